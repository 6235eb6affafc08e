/**
 * One IMAP session's state (RFC 9051 §3): the state machine not-authenticated → authenticated →
 * selected → logout, the logged-in account, enabled extensions, the selected mailbox view, and
 * the way responses reach the client. Commands act through this object; they never touch the
 * socket, the parser or the server.
 *
 * Invariants:
 * - `state` is 'selected' exactly when `selected` is set.
 * - Store events for the selected mailbox are queued in the view and announced only at the points
 *   RFC 3501 §7.4.1 allows (after a command, see commands/index.ts) or at once while IDLE
 *   (RFC 2177). Events for other accounts and mailboxes are ignored.
 * - A mailbox being selected already receives events while its listing loads, so nothing that
 *   happens in between is lost (the view applies them idempotently).
 * - \Recent (RFC 3501 §2.3.2), IMAP4rev1 only: a read-write SELECT claims the mailbox's unclaimed
 *   UIDs (Store.claimRecent), and so does every new-mail event while selected read-write, so the
 *   first session notified of a message is the one that sees it \Recent. New mail is announced
 *   only once its claim is settled, so EXISTS and the FLAGS that follow agree. A read-only view
 *   claims nothing: it sees \Recent on the UIDs still unclaimed when it is notified
 *   (Store.peekRecent), read after the claims of read-write sessions notified by the same event,
 *   so a message a read-write session was told of is \Recent there only.
 */
import { imapNo } from '../errors.js';
import type { TrafficCounter } from '../audit/events.js';
import type { Logger } from '../log.js';
import type { Authenticator } from '../pipeline/auth.js';
import type { Quotas } from '../pipeline/quota.js';
import type { Mailbox, Store, StoreEvent } from '../store/types.js';
import { capabilities } from './capabilities.js';
import type { NameEncoding } from './mailbox-names.js';
import { continuation, untagged, untaggedStatus } from './protocol/writer.js';
import type { ImapValue } from './protocol/types.js';
import { SelectedMailbox } from './selected.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** What a session needs from its connection. */
export interface SessionTransport {
  readonly cid: string;
  readonly remoteAddress: string;
  /** TLS is active (implicit TLS, or after STARTTLS). */
  readonly secure: boolean;
  /** STARTTLS may still be used: a plain listener that has not upgraded yet. */
  readonly canStartTls: boolean;
  /**
   * The client already sent, after the running command, one that names messages by sequence
   * number (pipelined): expunges must wait, or they would renumber under it (RFC 9051 §5.5).
   */
  hasQueuedSequenceCommand(): boolean;
  write(data: Buffer): void;
  /** Resolves when the client has read enough of what was written (output backpressure). */
  waitForOutput(): Promise<void>;
  /** The next raw line from the client (IDLE, AUTHENTICATE); null when the connection closed. */
  readLine(): Promise<Buffer | null>;
  /** Upgrades the connection to TLS (RFC 9051 §6.2.1); resolves once the handshake is done. */
  startTls(): Promise<void>;
  /** COMPRESS=DEFLATE is active (RFC 4978). */
  readonly compressed: boolean;
  /** Compresses both directions from now on (RFC 4978 §3); called right after COMPRESS's OK. */
  startCompression(): void;
  /** Ends the connection once what was written is sent. */
  close(): void;
}

export interface SessionLimits {
  /** Largest message APPEND accepts, octets (RFC 7889 APPENDLIMIT). */
  maxMessageSize: number;
}

export interface SessionContext {
  store: Store;
  auth: Authenticator;
  /** Storage quotas (QUOTA, RFC 9208; checked by APPEND and COPY). */
  quotas: Quotas;
  log: Logger;
  hostname: string;
  limits: SessionLimits;
  /** Traffic counters (src/audit): authentication failures. */
  stats?: TrafficCounter;
}

export class Session {
  state: SessionState = 'not-authenticated';
  /** The account address once authenticated. */
  user: string | null = null;
  /** UTF8=ACCEPT is enabled (RFC 6855 §3). */
  utf8 = false;
  /**
   * CONDSTORE is enabled (RFC 7162 §3.1): by ENABLE or by any command that uses modseqs
   * (enableCondstore); flag updates then carry MODSEQ. QRESYNC (§3.2) implies it and turns
   * EXPUNGE into VANISHED.
   */
  private condstoreEnabled = false;
  qresync = false;
  /** ENABLE IMAP4rev2 (RFC 9051): rev2 replies (ESEARCH, no RECENT, LIST at SELECT, ...). */
  rev2 = false;
  /** The selected mailbox, or the one being selected while its listing loads. */
  private view: SelectedMailbox | null = null;
  private idling = false;
  /** Claims of \Recent still running, in order (see the module comment); null when none. */
  private claims: Promise<void> | null = null;
  log: Logger;

  constructor(
    readonly transport: SessionTransport,
    readonly context: SessionContext,
  ) {
    this.log = context.log;
  }

  get store(): Store {
    return this.context.store;
  }

  get selected(): SelectedMailbox | null {
    return this.state === 'selected' ? this.view : null;
  }

  /** The selected view; only for commands whose gate requires the selected state. */
  get mailbox(): SelectedMailbox {
    const view = this.selected;
    if (!view) throw new Error('No mailbox selected');
    return view;
  }

  get account(): string {
    if (!this.user) throw new Error('Not authenticated');
    return this.user;
  }

  get names(): NameEncoding {
    return { utf8: this.utf8 };
  }

  get condstore(): boolean {
    return this.condstoreEnabled;
  }

  /**
   * A CONDSTORE-enabling command was issued (RFC 7162 §3.1). The first one issued while a mailbox
   * is selected also reports that mailbox's HIGHESTMODSEQ, which the client had no reason to
   * ask for before (SELECT reports it to sessions that already enabled CONDSTORE).
   */
  enableCondstore(): void {
    if (this.condstoreEnabled) return;
    this.condstoreEnabled = true;
    const view = this.selected;
    if (view) this.sendStatus('OK', 'Highest', `HIGHESTMODSEQ ${view.knownModSeq()}`);
  }

  /** LOGIN and AUTHENTICATE may be used: under TLS, or from loopback if allowed (pipeline/auth.ts). */
  get acceptsPasswords(): boolean {
    return this.context.auth.acceptsPasswords({ tls: this.transport.secure, remoteAddress: this.transport.remoteAddress });
  }

  capabilities(): string[] {
    return capabilities({
      authenticated: this.state !== 'not-authenticated',
      acceptsPasswords: this.acceptsPasswords,
      startTls: this.transport.canStartTls,
      appendLimit: this.context.limits.maxMessageSize,
    });
  }

  // ---- output ------------------------------------------------------------------------------

  /** Writes an untagged response `* v1 v2 ...`. */
  send(...values: ImapValue[]): void {
    this.transport.write(untagged(...values));
  }

  /** Writes an untagged status response `* OK [CODE] text` (also BYE). */
  sendStatus(status: 'OK' | 'NO' | 'BAD' | 'BYE', text: string, code: string | null = null): void {
    this.transport.write(untaggedStatus(status, text, code));
  }

  sendContinuation(text: string): void {
    this.transport.write(continuation(text));
  }

  waitForOutput(): Promise<void> {
    return this.transport.waitForOutput();
  }

  readLine(): Promise<Buffer | null> {
    return this.transport.readLine();
  }

  // ---- state changes -----------------------------------------------------------------------

  /**
   * Checks credentials (LOGIN, AUTHENTICATE) and enters the authenticated state. Failures are NO
   * [AUTHENTICATIONFAILED], or [UNAVAILABLE] while the address or account is throttled
   * (RFC 5530). The password is never logged.
   */
  async logIn(username: string, password: string): Promise<void> {
    const result = await this.context.auth.authenticate(username, password, {
      remoteAddress: this.transport.remoteAddress,
      protocol: 'imap',
    });
    if (!result.ok) {
      this.log.info({ evt: 'imap.auth-failed', reason: result.reason }, 'authentication failed');
      this.context.stats?.count('auth.failures');
      if (result.reason === 'rate-limited') throw imapNo('Too many failed attempts, try again later', 'UNAVAILABLE');
      throw imapNo('Authentication failed', 'AUTHENTICATIONFAILED');
    }
    this.user = result.account;
    this.state = 'authenticated';
    this.log = this.log.child({ user: result.account });
  }

  /** Enters the authenticated state for an account whose proof was checked elsewhere (SCRAM). */
  enterAuthenticated(account: string): void {
    this.user = account;
    this.state = 'authenticated';
    this.log = this.log.child({ user: account });
  }

  /** The tagged OK of a successful login carries the new capabilities (RFC 9051 §6.2.2). */
  loggedInResult(): { text: string; code: string } {
    return { text: 'Logged in', code: `CAPABILITY ${this.capabilities().join(' ')}` };
  }

  /** Selects a mailbox (SELECT, EXAMINE), leaving any previous one first (RFC 9051 §6.3.2). */
  async open(mailbox: Mailbox, options: { readOnly: boolean }): Promise<SelectedMailbox> {
    this.leaveMailbox();
    const view = new SelectedMailbox(mailbox, options);
    this.view = view;
    try {
      // Read once the view receives events: a change after this read is queued (RFC 7162 §3.1.2.1).
      const current = await this.store.getMailboxById(mailbox.id);
      view.load(await this.store.listMessages(mailbox.id), current?.highestModSeq ?? mailbox.highestModSeq);
      if (!this.rev2) {
        // After the listing: every message in it is either claimed (or peeked at) here or already claimed elsewhere.
        this.trackRecent(view);
        await this.settleClaims();
      }
    } catch (error) {
      this.view = null;
      throw error;
    }
    if (this.view !== view) throw new Error('Mailbox selection was superseded');
    this.state = 'selected';
    return view;
  }

  /** Back to the authenticated state without telling the client anything (CLOSE, UNSELECT). */
  leaveMailbox(): void {
    this.view = null;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  /**
   * Leaves the selected mailbox, if any, as SELECT and EXAMINE do: QRESYNC and IMAP4rev2
   * sessions are told `* OK [CLOSED]` (RFC 7162 §3.2.11, RFC 9051 §7.1).
   */
  closeSelectedMailbox(): void {
    if (!this.selected) return;
    this.leaveMailbox();
    if (this.qresync || this.rev2) this.sendStatus('OK', 'Previous mailbox is now closed', 'CLOSED');
  }

  logout(): void {
    this.view = null;
    this.state = 'logout';
  }

  // ---- other sessions' changes ---------------------------------------------------------------

  /** Called for every store change; keeps what concerns the selected mailbox. */
  onStoreEvent(event: StoreEvent): void {
    const view = this.view;
    if (!view || event.account !== this.user || event.mailboxId !== view.mailboxId) return;
    switch (event.kind) {
      case 'append':
        if (!this.rev2) this.trackRecent(view);
        view.queue(event);
        break;
      case 'flags':
      case 'expunge':
        view.queue(event);
        break;
      case 'mailbox-renamed':
        view.name = event.name;
        return;
      case 'mailbox-deleted':
        view.deleted = true;
        break;
      case 'mailbox-created':
        return;
    }
    if (this.idling) void this.announceWhileIdling();
  }

  /**
   * Claims \Recent for the view's mailbox (read-write) or reads what is still unclaimed
   * (read-only). The claim enters the store's writer lane at once, in the same turn of the event
   * loop as the change that caused it; a read-only view first lets that turn end, so that the
   * read-write sessions told of the same change have queued their claims before its read. The
   * results are applied in order, after any claim already running.
   */
  private trackRecent(view: SelectedMailbox): void {
    const request = view.readOnly
      ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.store.peekRecent(view.mailboxId))
      : this.store.claimRecent(view.mailboxId);
    // Handled in the chain below, possibly after a later turn: not an unhandled rejection meanwhile.
    request.catch(() => undefined);
    const previous = this.claims ?? Promise.resolve();
    const claim = previous
      .then(() => request)
      .then(
        ({ from, to }) => view.addRecent(from, to),
        (error: unknown) => this.log.warn({ evt: 'imap.recent-claim-failed', err: error }, 'could not claim \\Recent'),
      )
      .finally(() => {
        if (this.claims === claim) this.claims = null;
      });
    this.claims = claim;
  }

  /** Resolves once no claim of \Recent is running. */
  async settleClaims(): Promise<void> {
    while (this.claims) await this.claims;
  }

  private async announceWhileIdling(): Promise<void> {
    await this.settleClaims();
    if (this.idling) this.announceUpdates({ allowExpunge: true });
  }

  /**
   * Tells the client about queued changes to the selected mailbox. allowExpunge is false while
   * answering FETCH, STORE or SEARCH (RFC 3501 §7.4.1): those expunges wait for a later command.
   * They also wait while a sequence-number command the client pipelined is queued behind this
   * one, whichever command announces (the UID commands do at their start too).
   */
  announceUpdates(options: { allowExpunge: boolean }): void {
    const view = this.selected;
    if (!view) return;
    if (view.deleted) {
      this.sendStatus('BYE', 'Selected mailbox was deleted, have to disconnect');
      this.logout();
      this.transport.close();
      return;
    }
    const updates = view.takeUpdates({
      // The look at pipelined input only when something is queued: most commands end with nothing to tell.
      allowExpunge: options.allowExpunge && view.hasPendingUpdates && !this.transport.hasQueuedSequenceCommand(),
      modseq: this.condstore,
      vanished: this.qresync,
      holdAppends: this.claims !== null,
      recent: !this.rev2,
    });
    for (const response of updates) this.send(...response);
  }

  /** IDLE (RFC 2177): while on, changes are announced as they happen. */
  setIdling(on: boolean): void {
    this.idling = on;
    if (on) void this.announceWhileIdling();
  }
}
