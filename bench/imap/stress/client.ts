/**
 * One stress client: a StressConnection plus the mailbox view a careful client keeps from the
 * responses it receives (sequence → UID, flags, MODSEQ), and the checks that every response must
 * pass against that view and against the SharedModel. Several commands may be outstanding
 * (pipelining, RFC 9051 §5.5): untagged responses belong to the oldest, whose tagged reply the
 * server sends before it starts the next. The workload (workload.ts) decides which commands.
 *
 * Checked as responses arrive (RFC 9051 §7.4.1, §2.3.1, RFC 7162, RFC 3501 §2.3.2):
 * - EXISTS never goes down; EXPUNGE names a sequence number in 1..exists, never 0;
 * - no EXPUNGE or VANISHED while a FETCH, STORE or SEARCH by sequence number is outstanding
 *   (sent and not answered, pipelined behind others or not);
 * - VANISHED only after QRESYNC was enabled, EXPUNGE never after (RFC 7162 §3.2.10);
 * - FETCH names a sequence number in 1..exists; the UID of a sequence number never changes and
 *   UIDs ascend with sequence numbers;
 * - static data of a UID (ENVELOPE, BODYSTRUCTURE, BODY, RFC822.SIZE, INTERNALDATE, BODY[...]
 *   contents) is the same in every session, and RFC822.SIZE equals the BODY[] length;
 * - keywords in FETCH FLAGS were announced by FLAGS; PERMANENTFLAGS keywords are in FLAGS; a
 *   FLAGS response never drops a keyword a message in the view still has;
 * - \Recent only in IMAP4rev1 sessions, for one session per UID; no RECENT in IMAP4rev2;
 * - with CONDSTORE on: unsolicited FETCH FLAGS carry MODSEQ; a UID's MODSEQ never goes down, and
 *   flags never change at the same MODSEQ;
 * - an owned keyword (model.ts) never differs from its owner's last answered STORE;
 * - for messages this run generated (facts.ts): RFC822.SIZE and INTERNALDATE as APPENDed, and
 *   BODY[HEADER.FIELDS (...)] / .NOT holding exactly the fields asked for, in message order,
 *   then the blank line (RFC 9051 §6.4.5); for others, no field that was not asked for;
 * - no untagged BAD, no unexpected BYE, no unparsable response, no tagged reply or continuation
 *   request that no outstanding command asked for.
 */
import { performance } from 'node:perf_hooks';
import { StressConnection, type CommandReply } from './connection.js';
import { ImapString, canonical, expandSet, fetchItems, type ImapValue, type Response } from './response.js';
import { keywordOwner, type MailboxTruth, type SharedModel } from './model.js';
import { createHash } from 'node:crypto';
import { expectedHeaderFields, headerLines } from './facts.js';

export type Mode = 'rev1' | 'condstore' | 'qresync' | 'rev2';

/** What an outstanding command allows (RFC 9051 §7.4.1: no expunges during sequence FETCH/STORE/SEARCH). */
export interface CommandContext {
  name: string;
  forbidsExpunge: boolean;
  /** FETCH responses here are solicited (FETCH, UID FETCH). */
  fetching: boolean;
  /** STORE: UIDs that got a FETCH back (UIDs: a UID STORE may announce expunges that shift numbers). */
  fetchedUids: Set<number>;
  searchResults: number[] | null;
  /** Messages in the view when the search result arrived (later EXISTS may follow it). */
  searchExists: number;
  copyUid: { validity: number; source: number[]; dest: number[] } | null;
  appendUid: { validity: number; uid: number } | null;
  select: boolean;
  /** Sequence numbers that got a FETCH response while this command ran. */
  fetchedSeqs: Set<number>;
  /** VANISHED (EARLIER) may come: a SELECT/EXAMINE with QRESYNC or UID FETCH ... VANISHED (RFC 7162 §3.2.5, §3.2.6). */
  earlier: boolean;
  /** Runs when the tagged reply is read, before any later response (see StressClient.run). */
  onTagged: ((tagged: Response, context: CommandContext) => void) | null;
}

export interface CommandRun {
  reply: CommandReply;
  context: CommandContext;
  /** Milliseconds since the run started when the command was written. */
  sentAt: number;
}

export interface View {
  mailbox: string;
  readOnly: boolean;
  uids: number[];
  flags: Array<Set<string> | null>;
  modseq: Array<number | null>;
  keywords: Set<string>;
  permanentKeywords: Set<string>;
  uidNext: number;
  uidValidity: number;
  highestModSeq: number;
  recent: number;
  /** EXISTS count when SELECT completed, UIDNEXT at that time. */
  selectedExists: number;
  selectSentAt: number;
}

const SYSTEM = new Set(['\\seen', '\\answered', '\\flagged', '\\deleted', '\\draft', '\\recent']);

export class StressClient {
  view: View | null = null;
  mode: Mode = 'rev1';
  loggedIn = false;
  /** Commands sent and not yet answered, oldest first (tag, context, when sent). */
  private readonly pending: Array<{ tag: string; context: CommandContext; started: number }> = [];
  private loggingOut = false;
  /** UIDs this client marked \Deleted (per mailbox), so EXPUNGE must remove them. */
  readonly deletedByMe = new Map<string, Set<number>>();

  constructor(
    /** This session's name (tags, transcripts, \Recent holder). */
    readonly name: string,
    /** The owner of this client's keywords: the same across its reconnections. */
    readonly owner: string,
    readonly connection: StressConnection,
    readonly model: SharedModel,
    readonly counts: Map<string, { n: number; ms: number }>,
  ) {
    connection.onResponse = (response) => this.onResponse(response);
  }

  get condstore(): boolean {
    return this.mode === 'condstore' || this.mode === 'qresync';
  }

  get qresync(): boolean {
    return this.mode === 'qresync';
  }

  get rev2(): boolean {
    return this.mode === 'rev2';
  }

  now(): number {
    return performance.now() - this.model.epoch;
  }

  truth(): MailboxTruth | null {
    return this.view ? this.model.mailbox(this.view.mailbox) : null;
  }

  violation(kind: string, message: string, others: StressConnection[] = []): void {
    const format = (connection: StressConnection) => ({
      name: connection.name,
      lines: connection.lines().map((line) => `${line.at.toFixed(0).padStart(7)} ms ${connection.name} ${line.dir}: ${line.text}`),
    });
    this.model.report({
      kind,
      client: this.name,
      message: `${this.name}: ${message}`,
      at: this.now(),
      transcripts: [format(this.connection), ...others.filter((other) => other !== this.connection).map(format)],
    });
  }

  // ---- running commands ----------------------------------------------------------------------

  /**
   * Runs a command with its own context and counts it; `label` names it in the statistics. The
   * command is written before this returns its promise, so calls made in one turn pipeline.
   * `onTagged` runs when the tagged reply is read, before any later response is: the place for
   * checks that read the view, which later pipelined replies may change.
   */
  run(label: string, line: string, options: Partial<CommandContext> = {}): Promise<CommandRun> {
    const { context, tag, sentAt } = this.register(label, options);
    return this.connection.command(tag, line).then((reply) => ({ reply, context, sentAt }));
  }

  append(mailbox: string, flags: string[], message: Buffer, internalDate?: string): Promise<CommandRun> {
    const { context, tag, sentAt } = this.register('APPEND', {});
    const date = internalDate ? ` ${quote(internalDate)}` : '';
    return this.connection.append(tag, `APPEND ${quote(mailbox)} (${flags.join(' ')})${date}`, message).then((reply) => ({ reply, context, sentAt }));
  }

  /** Commands sent and not yet answered, oldest first. */
  outstanding(): CommandContext[] {
    return this.pending.map((entry) => entry.context);
  }

  /**
   * Whether a command with sequence numbers may be sent now: only while everything outstanding
   * is a FETCH, STORE or SEARCH by number, during which no EXPUNGE may come (RFC 9051 §5.5).
   */
  sequenceNumbersSafe(): boolean {
    return this.pending.every((entry) => entry.context.forbidsExpunge);
  }

  private register(label: string, options: Partial<CommandContext>): { context: CommandContext; tag: string; sentAt: number } {
    const context = this.newContext(label, options);
    const tag = this.connection.nextTag();
    this.pending.push({ tag, context, started: performance.now() });
    return { context, tag, sentAt: this.now() };
  }

  /** The command the server is answering now: the oldest outstanding one. */
  private get current(): CommandContext | null {
    return this.pending[0]?.context ?? null;
  }

  /**
   * IDLE for `ms`, then DONE; returns when the tagged reply came and the time DONE was sent.
   * `beforeDone` sees the view as IDLE's pushes left it, before DONE goes out. Nothing else may
   * be outstanding (RFC 2177: the client sends only DONE while idling).
   */
  async idle(ms: number, beforeDone: () => void = () => {}): Promise<{ reply: CommandReply; sentAt: number; doneAt: number; pushed: Response[] }> {
    const { tag, sentAt } = this.register('IDLE', {});
    const started = performance.now();
    this.connection.write(`${tag} IDLE\r\n`);
    const pushed: Response[] = [];
    // Untagged data may precede the continuation; the tagged reply means IDLE was refused.
    for (;;) {
      const response = await this.connection.next(10_000);
      if (!response) throw new Error('no continuation for IDLE');
      if (response.tag === '+') break;
      if (response.tag === tag) return { reply: { tagged: response, untagged: [], ms: performance.now() - started }, sentAt, doneAt: this.now(), pushed };
      pushed.push(response);
    }
    await new Promise((resolve) => setTimeout(resolve, ms));
    pushed.push(...this.connection.drain());
    const doneAt = this.now();
    beforeDone();
    this.connection.write('DONE\r\n');
    const reply = await this.connection.until(tag, started, 10_000);
    reply.untagged.unshift(...pushed);
    return { reply, sentAt, doneAt, pushed };
  }

  private newContext(name: string, options: Partial<CommandContext>): CommandContext {
    return {
      name,
      forbidsExpunge: false,
      fetching: false,
      fetchedUids: new Set(),
      fetchedSeqs: new Set(),
      searchResults: null,
      searchExists: 0,
      copyUid: null,
      appendUid: null,
      select: false,
      earlier: false,
      onTagged: null,
      ...options,
    };
  }

  /** The tagged reply of an outstanding command: statistics, codes, then its onTagged checks. */
  private onTagged(response: Response): void {
    const index = this.pending.findIndex((entry) => entry.tag === response.tag);
    if (index < 0) {
      this.violation('unexpected-tagged', `tagged reply for no outstanding command: ${response.raw}`);
      return;
    }
    const [{ context, started }] = this.pending.splice(index, 1);
    const entry = this.counts.get(context.name) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += performance.now() - started;
    this.counts.set(context.name, entry);
    if (response.status === 'BAD') this.violation('tagged-bad', `${context.name} answered BAD: ${response.raw}`);
    if (response.code) this.onCode(response.code, { tagged: true, context });
    context.onTagged?.(response, context);
  }

  // ---- responses -----------------------------------------------------------------------------

  private onResponse(response: Response): void {
    if (response.tag === '+') {
      // Literals are non-synchronizing (LITERAL+): only IDLE waits for a continuation.
      if (this.current?.name !== 'IDLE') this.violation('unexpected-continuation', `continuation request outside IDLE: ${response.raw}`);
      return;
    }
    if (response.values[0] === 'UNPARSABLE') {
      this.violation('unparsable', `could not parse a response (${response.text})`);
      return;
    }
    if (response.tag !== '*') {
      this.onTagged(response);
      return;
    }
    if (response.status) {
      if (response.status === 'BAD') this.violation('untagged-bad', `untagged BAD: ${response.raw}`);
      if (response.status === 'BYE' && !this.loggingOut) this.violation('unexpected-bye', `unexpected BYE: ${response.raw}`);
      if (response.code) this.onCode(response.code, { tagged: false, context: this.current });
      return;
    }
    const [first, second, third] = response.values;
    if (typeof first === 'string' && /^\d+$/.test(first) && typeof second === 'string') {
      const n = Number(first);
      const what = second.toUpperCase();
      if (what === 'EXISTS') this.onExists(n);
      else if (what === 'EXPUNGE') this.onExpunge(n);
      else if (what === 'FETCH') this.onFetch(n, third);
      else if (what === 'RECENT') this.onRecentCount(n);
      return;
    }
    if (typeof first !== 'string') return;
    switch (first.toUpperCase()) {
      case 'FLAGS':
        this.onFlags(second);
        break;
      case 'VANISHED':
        this.onVanished(response.values.slice(1));
        break;
      case 'SEARCH':
        this.onSearch(response.values.slice(1));
        break;
      case 'ESEARCH':
        this.onEsearch(response.values.slice(1));
        break;
      case 'ENABLED':
        break;
      default:
        break;
    }
  }

  private onCode(code: { name: string; text: string }, { tagged, context }: { tagged: boolean; context: CommandContext | null }): void {
    const view = this.view;
    const truth = this.truth();
    switch (code.name) {
      case 'UIDVALIDITY':
        if (view && context?.select) {
          view.uidValidity = Number(code.text);
          if (truth!.uidValidity === 0) truth!.uidValidity = view.uidValidity;
          else if (truth!.uidValidity !== view.uidValidity) this.violation('uidvalidity-changed', `UIDVALIDITY of ${view.mailbox} changed ${truth!.uidValidity} -> ${view.uidValidity}`);
        }
        break;
      case 'UIDNEXT':
        if (view && context?.select) {
          view.uidNext = Number(code.text);
          // Messages announced after this code (new mail during SELECT) may be at or above it.
          view.selectedExists = view.uids.length;
          const before = truth!.uidNext.before(view.selectSentAt);
          if (view.uidNext < before) this.violation('uidnext-down', `UIDNEXT of ${view.mailbox} went down: ${before} earlier, ${view.uidNext} now`);
          const landedMax = truth!.maxUid.before(view.selectSentAt);
          if (view.uidNext <= landedMax) this.violation('uidnext-low', `UIDNEXT ${view.uidNext} of ${view.mailbox} is not above UID ${landedMax}, known before SELECT`);
          truth!.uidNext.record(this.now(), view.uidNext);
        }
        break;
      case 'HIGHESTMODSEQ':
        if (view && context?.select) {
          view.highestModSeq = Number(code.text);
          const before = truth!.highestModSeq.before(view.selectSentAt);
          if (view.highestModSeq < before) this.violation('highestmodseq-down', `HIGHESTMODSEQ of ${view.mailbox} went down: ${before} earlier, ${view.highestModSeq} now`);
          truth!.highestModSeq.record(this.now(), view.highestModSeq);
        }
        break;
      case 'PERMANENTFLAGS':
        if (view) {
          const inner = code.text.replace(/^\(|\)$/g, '').split(' ').filter(Boolean);
          view.permanentKeywords = new Set(inner.filter((flag) => !flag.startsWith('\\')).map((flag) => flag.toLowerCase()));
          for (const keyword of view.permanentKeywords) {
            if (!view.keywords.has(keyword)) this.violation('permanentflags-not-in-flags', `PERMANENTFLAGS keyword ${keyword} was not in FLAGS`);
          }
        }
        break;
      case 'READ-ONLY':
        if (view && tagged) view.readOnly = true;
        break;
      case 'READ-WRITE':
        if (view && tagged) view.readOnly = false;
        break;
      case 'APPENDUID':
        if (context) {
          const [validity, uid] = code.text.split(' ');
          context.appendUid = { validity: Number(validity), uid: Number(uid) };
        }
        break;
      case 'COPYUID':
        if (context) {
          const [validity, source, dest] = code.text.split(' ');
          context.copyUid = { validity: Number(validity), source: expandSet(source), dest: expandSet(dest) };
        }
        break;
      case 'CLOSED':
        break;
      default:
        break;
    }
  }

  private onExists(n: number): void {
    const view = this.view;
    if (!view) {
      this.violation('exists-unselected', `EXISTS ${n} while no mailbox is selected`);
      return;
    }
    if (this.current?.select && view.uids.length === 0) {
      this.grow(view, n);
      return;
    }
    if (n < view.uids.length) {
      this.violation('exists-dropped', `message count dropped ${view.uids.length} -> ${n} without EXPUNGE`);
      view.uids.length = n;
      view.flags.length = n;
      view.modseq.length = n;
      return;
    }
    this.grow(view, n);
  }

  private grow(view: View, n: number): void {
    while (view.uids.length < n) {
      view.uids.push(0);
      view.flags.push(null);
      view.modseq.push(null);
    }
  }

  /** No EXPUNGE while any FETCH, STORE or SEARCH by number is outstanding (RFC 9051 §5.5, §7.5.1). */
  private checkExpungeAllowed(what: string): boolean {
    const holding = this.pending.find((entry) => entry.context.forbidsExpunge);
    if (holding) {
      const running = this.current!.name;
      this.violation('expunge-during-command', `${what} sent while ${holding.context.name} (${holding.tag}) was outstanding${running !== holding.context.name ? `, answering ${running}` : ''} (RFC 9051 §5.5, §7.5.1 forbid it)`);
      return false;
    }
    return true;
  }

  private onExpunge(seq: number): void {
    const view = this.view;
    if (!view) return;
    if (this.qresync) this.violation('expunge-with-qresync', `EXPUNGE ${seq} sent although QRESYNC is enabled (RFC 7162 §3.2.10: VANISHED)`);
    this.checkExpungeAllowed(`* ${seq} EXPUNGE`);
    if (seq < 1 || seq > view.uids.length) {
      this.violation('expunge-out-of-range', `EXPUNGE ${seq} with only ${view.uids.length} messages`);
      return;
    }
    this.removeSeq(view, seq);
  }

  private removeSeq(view: View, seq: number): void {
    const uid = view.uids[seq - 1];
    if (seq <= view.selectedExists) view.selectedExists--;
    if (uid) this.truth()!.expunged.add(uid);
    view.uids.splice(seq - 1, 1);
    view.flags.splice(seq - 1, 1);
    view.modseq.splice(seq - 1, 1);
  }

  private onVanished(args: ImapValue[]): void {
    const view = this.view;
    if (!view) return;
    if (Array.isArray(args[0])) {
      // EARLIER names messages expunged before this view was built: the view is not renumbered
      // (RFC 7162 §3.2.10); resync.ts checks what they say.
      if (!this.current?.earlier) this.violation('vanished-earlier', `VANISHED (EARLIER) without a QRESYNC SELECT or UID FETCH VANISHED`);
      return;
    }
    if (!this.qresync) this.violation('vanished-without-qresync', 'VANISHED sent although QRESYNC is not enabled');
    this.checkExpungeAllowed('VANISHED');
    const set = typeof args[0] === 'string' ? expandSet(args[0]) : [];
    for (const uid of set) {
      const index = view.uids.indexOf(uid);
      if (index >= 0) {
        this.removeSeq(view, index + 1);
        continue;
      }
      // An unknown UID may be one of the messages whose UID the client has not fetched yet: the
      // first unknown slot after the last lower known UID, if it comes before any higher one.
      let lowerIndex = -1;
      for (const [i, known] of view.uids.entries()) if (known !== 0 && known < uid) lowerIndex = i;
      const slot = lowerIndex + 1;
      if (slot < view.uids.length && view.uids[slot] === 0) {
        this.removeSeq(view, slot + 1);
        this.truth()!.expunged.add(uid);
      } else {
        this.violation('vanished-unknown', `VANISHED UID ${uid}, which is not in the view`);
      }
    }
  }

  private onRecentCount(n: number): void {
    if (this.rev2) this.violation('recent-in-rev2', `* ${n} RECENT in an IMAP4rev2 session (RFC 9051 removed it)`);
    if (this.view && n > this.view.uids.length) this.violation('recent-count', `RECENT ${n} > EXISTS ${this.view.uids.length}`);
  }

  private onFlags(list: ImapValue): void {
    const view = this.view;
    if (!view || !Array.isArray(list)) return;
    const keywords = new Set(list.filter((flag): flag is string => typeof flag === 'string' && !flag.startsWith('\\')).map((flag) => flag.toLowerCase()));
    for (const [index, flags] of view.flags.entries()) {
      for (const flag of flags ?? []) {
        if (!flag.startsWith('\\') && !keywords.has(flag)) {
          this.violation('keyword-dropped', `FLAGS dropped keyword ${flag}, still on seq ${index + 1} (UID ${view.uids[index]})`);
        }
      }
    }
    view.keywords = keywords;
  }

  private onFetch(seq: number, list: ImapValue): void {
    const view = this.view;
    const context = this.current;
    if (!view) {
      this.violation('fetch-unselected', `FETCH ${seq} while no mailbox is selected`);
      return;
    }
    if (seq < 1 || seq > view.uids.length) {
      this.violation('fetch-out-of-range', `FETCH for seq ${seq} with only ${view.uids.length} messages`);
      return;
    }
    const items = fetchItems(list);
    const truth = this.truth()!;
    const index = seq - 1;
    const uidValue = items.get('UID');
    if (typeof uidValue === 'string') {
      const uid = Number(uidValue);
      const known = view.uids[index];
      if (known === 0) {
        const lower = view.uids.slice(0, index).reduce((max, value) => Math.max(max, value), 0);
        const higher = view.uids.slice(index + 1).find((value) => value > 0);
        if (uid <= lower || (higher !== undefined && uid >= higher)) {
          this.violation('uid-order', `seq ${seq} has UID ${uid}, not between its neighbours ${lower} and ${higher ?? '∞'}`);
        }
        view.uids[index] = uid;
        truth.maxUid.record(this.now(), uid);
      } else if (known !== uid) {
        this.violation('uid-changed', `UID of seq ${seq} changed ${known} -> ${uid}`);
        view.uids[index] = uid;
        view.flags[index] = null;
        view.modseq[index] = null;
      }
    }
    const uid = view.uids[index];
    if (context && context.name.includes('STORE') && uid) context.fetchedUids.add(uid);
    context?.fetchedSeqs.add(seq);

    const modseqValue = items.get('MODSEQ');
    const modseq = Array.isArray(modseqValue) && typeof modseqValue[0] === 'string' ? Number(modseqValue[0]) : null;
    const flagsValue = items.get('FLAGS');
    if (flagsValue !== undefined) {
      if (!Array.isArray(flagsValue)) {
        this.violation('flags-not-list', `FLAGS of seq ${seq} is not a list`);
      } else {
        const flags = new Set(flagsValue.filter((flag): flag is string => typeof flag === 'string').map((flag) => flag.toLowerCase()));
        if (this.condstore && modseq === null && !(context?.fetching ?? false)) {
          this.violation('fetch-without-modseq', `unsolicited FETCH FLAGS for seq ${seq} without MODSEQ although CONDSTORE is enabled (RFC 7162 §3.2)`);
        }
        this.checkFlags(view, truth, seq, uid, flags, modseq);
        view.flags[index] = flags;
      }
    }
    if (modseq !== null) {
      const previous = view.modseq[index];
      // MODSEQ alone (a .SILENT STORE, RFC 7162 §3.2): the flags known may be older than it.
      if (flagsValue === undefined && previous !== null && modseq > previous) view.flags[index] = null;
      if (previous !== null && modseq < previous) this.violation('modseq-down', `MODSEQ of UID ${uid} went down ${previous} -> ${modseq}`);
      view.modseq[index] = Math.max(previous ?? 0, modseq);
    }
    if (uid) this.checkStatics(truth, uid, items);
  }

  private checkFlags(view: View, truth: MailboxTruth, seq: number, uid: number, flags: Set<string>, modseq: number | null): void {
    const index = seq - 1;
    for (const flag of flags) {
      if (flag.startsWith('\\')) {
        if (!SYSTEM.has(flag)) this.violation('bad-system-flag', `unknown system flag ${flag} on seq ${seq}`);
      } else if (!view.keywords.has(flag)) {
        this.violation('keyword-not-in-flags', `keyword ${flag} on seq ${seq} (UID ${uid}) was not announced in FLAGS`);
        view.keywords.add(flag);
      }
    }
    if (flags.has('\\recent')) {
      if (this.rev2) this.violation('recent-in-rev2', `\\Recent on seq ${seq} in an IMAP4rev2 session`);
      else if (uid && !view.readOnly) {
        const holder = truth.recentHolder.get(uid);
        if (holder === undefined) truth.recentHolder.set(uid, this.name);
        else if (holder !== this.name) this.violation('recent-twice', `UID ${uid} is \\Recent here and was \\Recent in ${holder} (RFC 3501 §2.3.2)`);
      } else if (uid && view.readOnly) {
        const holder = truth.recentHolder.get(uid);
        // Reported, but RFC 3501 §2.3.2 allows it when the read-only session was told of the
        // message before the read-write one (a SELECT, not an event, can claim it later).
        if (holder !== undefined && holder !== this.name) this.violation('recent-twice-examine', `UID ${uid} is \\Recent in this read-only view and was \\Recent in ${holder} (allowed if this session was told of it first)`);
      }
    }
    const previous = view.flags[index];
    const previousModseq = view.modseq[index];
    if (previous && modseq !== null && previousModseq !== null && modseq === previousModseq && !sameFlags(previous, flags)) {
      this.violation('flags-changed-same-modseq', `flags of UID ${uid} changed at the same MODSEQ ${modseq}: ${[...previous].join(' ')} -> ${[...flags].join(' ')}`);
    }
    if (!uid) return;
    // Owned keywords: only their owner stores them, so when no STORE of the owner is outstanding
    // the server must show exactly the owner's last answered state.
    const ownedOnMessage = truth.owned.get(uid);
    if (ownedOnMessage) {
      for (const [keyword, state] of ownedOnMessage) {
        if (state.inFlight) continue;
        if (keywordOwner(keyword) !== this.owner) continue;
        if (flags.has(keyword) !== state.set) {
          this.violation('owned-keyword-changed', `owned keyword ${keyword} of UID ${uid} is ${flags.has(keyword) ? 'set' : 'unset'}, its owner last stored it ${state.set ? 'set' : 'unset'}`);
        }
      }
    }
  }

  private checkStatics(truth: MailboxTruth, uid: number, items: Map<string, ImapValue>): void {
    let known = truth.statics.get(uid);
    if (!known) truth.statics.set(uid, (known = new Map()));
    const compare = (item: string, value: string): void => {
      const seen = known!.get(item);
      if (!seen) {
        known!.set(item, { value, by: this.name, at: this.now() });
      } else if (seen.value !== value) {
        this.violation('static-changed', `UID ${uid} ${item} differs from what ${seen.by} saw at ${seen.at.toFixed(0)} ms: ${shorten(seen.value)} -> ${shorten(value)}`);
      }
    };
    for (const [name, value] of items) {
      if (name === 'INTERNALDATE') this.checkInternalDate(truth, uid, value);
      if (name.startsWith('BODY[HEADER.FIELDS')) this.checkHeaderFields(truth, uid, name, value);
      if (name === 'ENVELOPE' || name === 'BODYSTRUCTURE' || name === 'BODY' || name === 'INTERNALDATE') {
        compare(name, canonical(value));
        if (name === 'ENVELOPE' && Array.isArray(value)) {
          const messageId = value[9];
          if (messageId instanceof ImapString) compare('MESSAGE-ID', messageId.text);
        }
      } else if (name === 'RFC822.SIZE') {
        compare('SIZE', canonical(value));
        const facts = truth.facts.get(uid);
        if (facts) this.model.tally('RFC822.SIZE');
        if (facts && typeof value === 'string' && Number(value) !== facts.size) this.violation('size-wrong', `UID ${uid} RFC822.SIZE ${value}, the APPENDed message has ${facts.size} octets`);
      } else if (name.startsWith('BODY[') || name.startsWith('BINARY[') || name === 'RFC822' || name === 'RFC822.HEADER' || name === 'RFC822.TEXT') {
        const octets = value instanceof ImapString ? value.bytes : typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.alloc(0);
        const key = name.replace(/^RFC822$/, 'BODY[]').replace(/\.PEEK/, '');
        compare(key, value === null ? 'NIL' : `${octets.length}:${createHash('sha1').update(octets).digest('hex')}`);
        if (key === 'BODY[]' && value !== null) compare('SIZE', String(octets.length));
      }
    }
  }

  /** INTERNALDATE is the date-time APPEND gave, in its zone (RFC 9051 §6.3.12). */
  private checkInternalDate(truth: MailboxTruth, uid: number, value: ImapValue): void {
    const date = truth.facts.get(uid)?.internalDate;
    if (!date || !(value instanceof ImapString)) return;
    this.model.tally('INTERNALDATE');
    const normal = (text: string) => text.trim().replace(/^0/, '');
    if (normal(value.text) !== normal(date.text)) this.violation('internaldate-wrong', `UID ${uid} INTERNALDATE "${value.text}", APPENDed with "${date.text}"`);
  }

  /**
   * BODY[HEADER.FIELDS (names)] and .NOT (RFC 9051 §6.4.5): only fields named (or not named),
   * case-insensitively, as they are in the message, in message order, then the blank line. The
   * names are read from the item name the server echoed.
   */
  private checkHeaderFields(truth: MailboxTruth, uid: number, name: string, value: ImapValue): void {
    const match = /^BODY\[HEADER\.FIELDS(\.NOT)? \((.*)\)\]$/.exec(name);
    if (!match || value === null) return;
    const not = match[1] !== undefined;
    const names = match[2].split(' ').filter(Boolean).map((field) => field.replace(/^"|"$/g, '').toLowerCase());
    const block = value instanceof ImapString ? value.text : typeof value === 'string' ? value : '';
    const facts = truth.facts.get(uid);
    if (facts) {
      const expected = expectedHeaderFields(facts, names, not);
      this.model.tally(not ? 'HEADER.FIELDS.NOT' : 'HEADER.FIELDS');
      if (block !== expected) this.violation('header-fields-wrong', `UID ${uid} ${name} returned ${JSON.stringify(shorten(block))}, the message gives ${JSON.stringify(shorten(expected))}`);
      return;
    }
    // Content not known here: at least no field that was not asked for (imaptest's "Unexpected header").
    for (const line of headerLines(block)) {
      if (names.includes(line.name.toLowerCase()) === not) this.violation('header-fields-unexpected', `UID ${uid} ${name} returned field ${line.name}`);
    }
    if (block !== '' && !block.endsWith('\r\n\r\n') && block !== '\r\n') this.violation('header-fields-unterminated', `UID ${uid} ${name} does not end with the blank line`);
  }

  private onSearch(values: ImapValue[]): void {
    const context = this.current;
    if (this.rev2) this.violation('search-in-rev2', 'plain SEARCH response in an IMAP4rev2 session (RFC 9051 §7.3.4: ESEARCH)');
    const numbers = values.filter((value): value is string => typeof value === 'string' && /^\d+$/.test(value)).map(Number);
    if (context) {
      context.searchResults = numbers;
      context.searchExists = this.view?.uids.length ?? 0;
    }
  }

  private onEsearch(values: ImapValue[]): void {
    const context = this.current;
    if (!context) return;
    const results: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value === 'string' && value.toUpperCase() === 'ALL' && typeof values[i + 1] === 'string') {
        results.push(...expandSet(values[i + 1] as string));
      }
    }
    context.searchResults = results;
    context.searchExists = this.view?.uids.length ?? 0;
  }

  // ---- helpers for the workload --------------------------------------------------------------

  markLoggingOut(): void {
    this.loggingOut = true;
  }

  /** Starts a fresh view before SELECT/EXAMINE. */
  beginSelect(mailbox: string, readOnly: boolean): View {
    this.view = {
      mailbox,
      readOnly,
      uids: [],
      flags: [],
      modseq: [],
      keywords: new Set(),
      permanentKeywords: new Set(),
      uidNext: 0,
      uidValidity: 0,
      highestModSeq: 0,
      recent: 0,
      selectedExists: 0,
      selectSentAt: this.now(),
    };
    return this.view;
  }
}

function sameFlags(a: Set<string>, b: Set<string>): boolean {
  const strip = (set: Set<string>) => [...set].filter((flag) => flag !== '\\recent').sort().join(' ');
  return strip(a) === strip(b);
}

function shorten(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
