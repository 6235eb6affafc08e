/**
 * The stress workload and the checks that need more than one response: N random clients on
 * INBOX and Filed (SELECT/EXAMINE, FETCH, STORE, \Deleted + EXPUNGE, APPEND, SEARCH, COPY/MOVE,
 * NOOP/CHECK/IDLE, LOGOUT), plus watcher/mover pairs replaying the pattern a Thunderbird trace
 * showed: the watcher SELECTs a mailbox (often a new, empty one), the mover MOVEs/COPYs/APPENDs a
 * message into it a few hundred ms later, then the watcher NOOPs, CHECKs or IDLEs.
 *
 * Checks here (client.ts has the per-response ones):
 * - after SELECT + UID FETCH 1:*, after NOOP/CHECK and at the end of IDLE: every message that
 *   landed in the mailbox (APPENDUID/COPYUID) before the command was sent, and still exists,
 *   is in the view (RFC 9051 §7.4.1, RFC 2177); during IDLE, messages that landed more than
 *   IDLE_GRACE_MS before DONE must have been pushed before DONE;
 * - at the same points, owned keywords match their owner's last answered STORE (flag changes by
 *   other sessions are announced);
 * - APPENDUID/COPYUID present (UIDPLUS) with the mailbox's UIDVALIDITY, new UIDs above every UID
 *   known before the command; UIDNEXT above the UIDs listed at SELECT;
 * - a non-silent STORE returns FETCH FLAGS for every message still existing, with the owned
 *   keyword as stored; EXPUNGE removes what this client marked \Deleted; MOVE removes its source;
 * - FETCH by sequence number answers every message still existing; SEARCH by an owned keyword
 *   matches the owner's state; tagged NO only where concurrent expunges allow it.
 * "Still exists" is asked of a separate oracle session (UID SEARCH), only when a check fails, so
 * a concurrent expunge never counts as a violation.
 */
import { performance } from 'node:perf_hooks';
import { StressConnection } from './connection.js';
import { StressClient, quote, type Mode } from './client.js';
import { ownedKeywords, type MailboxTruth, type SharedModel } from './model.js';
import { seededRandom } from '../../../test/imap/fuzz-sessions.js';
import { makeMessage } from './messages.js';
import { messageFacts, randomInternalDate } from './facts.js';
import { UNUSED_KEYWORD, evaluateProgram, keywordKnowledge, randomProgram, searchLine, type ModelMessage } from './search-model.js';
import type { Checkpoint } from './checkpoint.js';

export const MAILBOXES = ['INBOX', 'Filed'];
/** How long after landing a message must have been pushed to an IDLE session. */
export const IDLE_GRACE_MS = 300;
const MODES: Mode[] = ['rev1', 'condstore', 'qresync', 'rev2'];
const SHARED_FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$shared'];

export interface StressTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface RunState {
  target: StressTarget;
  model: SharedModel;
  counts: Map<string, { n: number; ms: number }>;
  seed: number;
  until: number;
  oracle: Oracle;
  /** The latest connection of every session name, for transcripts of other sessions. */
  connections: Map<string, StressConnection>;
  messageCounter: { n: number };
  /** Commands a random client keeps in flight at once (1: one at a time). */
  pipeline: number;
  /** The checks beyond the default ones (stress.ts options). */
  features: StressFeatures;
  /** Model-checked SEARCHes run and messages compared in them. */
  searchModelStats: { searches: number; compared: number };
}

export interface StressFeatures {
  /** Model-checked SEARCH programs (search-model.ts). */
  searchModel: boolean;
  /** Random BODY[HEADER.FIELDS (...)] / .NOT items in FETCH, checked against the message. */
  headerFields: boolean;
  /** imaptest's checkpoint=N: every N seconds everyone stops and the views are compared. */
  checkpoint: Checkpoint | null;
  /** Owners of keywords (random clients), so SEARCH can ask for other clients' keywords. */
  owners: string[];
}

/** A separate session that answers "which of these UIDs exist now?" (UID SEARCH). */
export class Oracle {
  private chain: Promise<unknown> = Promise.resolve();
  private connection: StressConnection | null = null;

  constructor(
    private readonly target: StressTarget,
    private readonly epoch: number,
  ) {}

  existing(mailbox: string, uids: number[]): Promise<number[]> {
    const next = this.chain.then(() => this.ask(mailbox, uids));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async ask(mailbox: string, uids: number[]): Promise<number[]> {
    if (uids.length === 0) return [];
    if (!this.connection || this.connection.isClosed) {
      this.connection = await StressConnection.open({ host: this.target.host, port: this.target.port, name: 'oracle', epoch: this.epoch });
      await this.connection.command(this.connection.nextTag(), `LOGIN ${quote(this.target.user)} ${quote(this.target.password)}`);
    }
    const examine = await this.connection.command(this.connection.nextTag(), `EXAMINE ${quote(mailbox)}`);
    if (examine.tagged.status !== 'OK') return [];
    const reply = await this.connection.command(this.connection.nextTag(), `UID SEARCH UID ${uids.join(',')}`);
    const found = new Set<number>();
    for (const response of reply.untagged) {
      if (response.values[0] === 'SEARCH') for (const value of response.values.slice(1)) if (typeof value === 'string') found.add(Number(value));
    }
    return uids.filter((uid) => found.has(uid));
  }

  close(): void {
    this.connection?.close();
  }
}

// ---- sessions --------------------------------------------------------------------------------

export async function connectClient(run: RunState, name: string, owner: string, mode: Mode, options: { compress?: boolean } = {}): Promise<StressClient> {
  const connection = await StressConnection.open({ host: run.target.host, port: run.target.port, name, epoch: run.model.epoch });
  run.connections.set(name, connection);
  const client = new StressClient(name, owner, connection, run.model, run.counts);
  client.mode = mode;
  const login = await client.run('LOGIN', `LOGIN ${quote(run.target.user)} ${quote(run.target.password)}`);
  if (login.reply.tagged.status !== 'OK') throw new Error(`${name}: LOGIN failed: ${login.reply.tagged.raw}`);
  client.loggedIn = true;
  if (options.compress) {
    const { reply } = await client.run('COMPRESS', 'COMPRESS DEFLATE');
    if (reply.tagged.status === 'OK') connection.startCompression();
    else client.violation('compress-failed', `COMPRESS DEFLATE failed: ${reply.tagged.raw}`);
  }
  const enable = { rev1: null, condstore: 'CONDSTORE', qresync: 'QRESYNC', rev2: 'IMAP4rev2' }[mode];
  if (enable) {
    const { reply } = await client.run('ENABLE', `ENABLE ${enable}`);
    const enabled = reply.untagged.some((response) => response.values[0] === 'ENABLED' && response.values.some((value) => typeof value === 'string' && value.toUpperCase() === enable.toUpperCase()));
    if (!enabled) client.violation('enable-ignored', `ENABLE ${enable} did not answer ENABLED ${enable}`);
  }
  return client;
}

/** SELECT (or EXAMINE), then UID FETCH 1:* (UID FLAGS [MODSEQ]) as most clients do, then the landed check. */
export async function select(
  run: RunState,
  client: StressClient,
  mailbox: string,
  options: { readOnly: boolean; fetchAll: boolean; condstoreParameter?: boolean },
): Promise<boolean> {
  const view = client.beginSelect(mailbox, options.readOnly);
  const verb = options.readOnly ? 'EXAMINE' : 'SELECT';
  // SELECT (CONDSTORE) turns CONDSTORE on for the session (RFC 7162 §3.1.8): the mode follows.
  const parameter = options.condstoreParameter ? ' (CONDSTORE)' : '';
  if (options.condstoreParameter && client.mode === 'rev1') client.mode = 'condstore';
  const { reply } = await client.run(verb, `${verb} ${quote(mailbox)}${parameter}`, { select: true });
  if (reply.tagged.status !== 'OK') {
    client.view = null;
    if (!mailbox.startsWith('Pair-')) client.violation('select-failed', `${verb} ${mailbox} failed: ${reply.tagged.raw}`);
    return false;
  }
  if (view.uidNext === 0) client.violation('no-uidnext', `${verb} did not send UIDNEXT (RFC 9051 §7.1 requires it)`);
  if (view.uidValidity === 0) client.violation('no-uidvalidity', `${verb} did not send UIDVALIDITY`);
  if (client.condstore && view.highestModSeq === 0) client.violation('no-highestmodseq', `${verb} with CONDSTORE enabled did not send HIGHESTMODSEQ`);
  if (options.fetchAll && view.uids.length > 0) {
    await fetchAll(client);
    const truth = client.truth()!;
    for (let seq = 1; seq <= view.selectedExists && seq <= view.uids.length; seq++) {
      const uid = view.uids[seq - 1];
      if (uid >= view.uidNext) client.violation('uid-above-uidnext', `seq ${seq} has UID ${uid}, not below the UIDNEXT ${view.uidNext} of the SELECT`);
    }
    truth.maxUid.record(client.now(), Math.max(0, ...view.uids));
    await landedCheck(run, client, view.selectSentAt, 'select-missed-message', `${verb} sent at ${view.selectSentAt.toFixed(0)} ms`);
  }
  return true;
}

async function fetchAll(client: StressClient): Promise<void> {
  const items = client.condstore ? 'UID FLAGS MODSEQ' : 'UID FLAGS';
  await client.run('UID FETCH', `UID FETCH 1:* (${items})`, { fetching: true });
}

/**
 * Every message that landed in the view's mailbox before `cutoff` and still exists must be in
 * the view (known UID, or one of the slots whose UID is not fetched yet).
 */
async function landedCheck(run: RunState, client: StressClient, cutoff: number, kind: string, after: string, snapshot?: number[]): Promise<void> {
  const view = client.view;
  if (!view) return;
  const truth = client.truth()!;
  const uids = snapshot ?? view.uids;
  const inView = new Set(uids);
  const unknownSlots = uids.filter((uid) => uid === 0).length;
  const missing: number[] = [];
  for (const [uid, landed] of truth.landed) {
    if (landed.at < cutoff && !truth.expunged.has(uid) && !inView.has(uid)) missing.push(uid);
  }
  if (missing.length <= unknownSlots) return;
  const existing = await run.oracle.existing(view.mailbox, missing);
  if (existing.length <= unknownSlots) return;
  const details = existing.map((uid) => {
    const landed = truth.landed.get(uid)!;
    return `UID ${uid} (${landed.how} by ${landed.by}, answered at ${landed.at.toFixed(0)} ms)`;
  });
  const others = existing.map((uid) => run.connections.get(truth.landed.get(uid)!.by)).filter((connection): connection is StressConnection => connection !== undefined);
  client.violation(
    kind,
    `${after}, in ${view.mailbox}: ${existing.length} message(s) that landed before ${cutoff.toFixed(0)} ms and still exist were never announced ` +
      `(view has ${uids.length} messages, ${unknownSlots} of unknown UID): ${details.join(', ')}`,
    [...new Set(others)],
  );
}

/** Owned keywords changed (answered) before `cutoff` must show in the view. */
async function flagsCheck(run: RunState, client: StressClient, cutoff: number, after: string): Promise<void> {
  const view = client.view;
  if (!view) return;
  const truth = client.truth()!;
  const suspects: Array<{ uid: number; keyword: string; set: boolean; changedAt: number }> = [];
  for (const [index, uid] of view.uids.entries()) {
    const flags = view.flags[index];
    if (!uid || !flags || truth.expunged.has(uid)) continue;
    const owned = truth.owned.get(uid);
    if (!owned) continue;
    for (const [keyword, state] of owned) {
      if (state.inFlight || state.changedAt >= cutoff) continue;
      if (flags.has(keyword) !== state.set) suspects.push({ uid, keyword, set: state.set, changedAt: state.changedAt });
    }
  }
  if (suspects.length === 0) return;
  const existing = new Set(await run.oracle.existing(view.mailbox, [...new Set(suspects.map((suspect) => suspect.uid))]));
  for (const suspect of suspects) {
    if (!existing.has(suspect.uid)) continue;
    const ownerName = suspect.keyword.replace(/^\$own-(.+)-[a-z]$/, '$1');
    const others = [...run.connections.entries()].filter(([name]) => name.startsWith(`${ownerName}s`)).map(([, connection]) => connection);
    client.violation(
      'flag-change-not-announced',
      `${after} sent at ${cutoff.toFixed(0)} ms: UID ${suspect.uid} keyword ${suspect.keyword} was ${suspect.set ? 'set' : 'cleared'} by its owner at ${suspect.changedAt.toFixed(0)} ms, the view still shows it ${suspect.set ? 'unset' : 'set'}`,
      others.slice(-1),
    );
  }
}

/** NOOP, CHECK or IDLE, and the checks that say everything before it was announced. */
async function sync(run: RunState, client: StressClient, kind: 'NOOP' | 'CHECK' | 'IDLE', idleMs = 0): Promise<void> {
  if (kind === 'IDLE') {
    let snapshot: number[] | undefined;
    const result = await client.idle(idleMs, () => {
      snapshot = client.view ? client.view.uids.slice() : undefined;
    });
    if (result.reply.tagged.status !== 'OK') {
      client.violation('idle-failed', `IDLE failed: ${result.reply.tagged.raw}`);
      return;
    }
    if (snapshot) await landedCheck(run, client, result.doneAt - IDLE_GRACE_MS, 'idle-not-pushed', `IDLE: not pushed before DONE at ${result.doneAt.toFixed(0)} ms`, snapshot);
    await landedCheck(run, client, result.sentAt, 'idle-missed-message', `IDLE sent at ${result.sentAt.toFixed(0)} ms`);
    await flagsCheck(run, client, result.sentAt, 'IDLE');
    return;
  }
  return planSync(run, client, kind).start();
}

/** NOOP or CHECK; may be pipelined (the view is taken when its tagged reply is read). */
function planSync(run: RunState, client: StressClient, kind: 'NOOP' | 'CHECK'): Planned {
  return {
    async start() {
      let snapshot: number[] | undefined;
      const { reply, sentAt } = await client.run(kind, kind, {
        onTagged: () => {
          snapshot = client.view?.uids.slice();
        },
      });
      if (reply.tagged.status !== 'OK') client.violation('sync-failed', `${kind} failed: ${reply.tagged.raw}`);
      await landedCheck(run, client, sentAt, 'noop-missed-message', `${kind} sent at ${sentAt.toFixed(0)} ms`, snapshot);
      await flagsCheck(run, client, sentAt, kind);
    },
  };
}

// ---- operations ------------------------------------------------------------------------------

/**
 * One command planned against the view as it is now. start() writes it before its first await
 * (so several started in one turn leave in one write) and then runs its checks. Whatever reads
 * the view after the command is done reads it in the command's onTagged, because replies to
 * commands pipelined behind it may already have changed the view when start() resumes.
 */
export interface Planned<T = void> {
  /** The command names messages by sequence number. */
  sequenceNumbers?: boolean;
  start(): Promise<T>;
}

/**
 * What the next command may use. Sequence numbers are safe only while every outstanding command
 * is a FETCH, STORE or SEARCH by number: no EXPUNGE can then come before the new command runs
 * (RFC 9051 §5.5). Without them the plan takes UIDs.
 */
interface PlanOptions {
  sequenceNumbers: boolean;
}

function pickSeqs(client: StressClient, random: () => number, max: number): number[] {
  const count = client.view!.uids.length;
  const n = 1 + Math.floor(random() * Math.min(max, count));
  const seqs = new Set<number>();
  if (random() < 0.4) {
    const start = 1 + Math.floor(random() * count);
    for (let seq = start; seq < start + n && seq <= count; seq++) seqs.add(seq);
  } else {
    for (let i = 0; i < n; i++) seqs.add(1 + Math.floor(random() * count));
  }
  return [...seqs].sort((a, b) => a - b);
}

const FETCH_ITEMS = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'BODYSTRUCTURE', 'BODY', 'RFC822.SIZE', 'BODY.PEEK[HEADER.FIELDS (From Subject Message-ID)]', 'BODY.PEEK[]', 'BODY.PEEK[TEXT]', 'BODY.PEEK[1]', 'BODY.PEEK[HEADER]', 'BINARY.PEEK[1]', 'RFC822.HEADER'];

const HEADER_NAMES = ['From', 'SUBJECT', 'message-id', 'X-Stress-Trace', 'x-stress', 'X-Empty', 'x-spaced', 'x-absent-field', 'To', 'cc', 'In-Reply-To', 'Content-Type', 'DATE', 'mime-version', 'Content-Transfer-Encoding', 'Received'];

/** BODY.PEEK[HEADER.FIELDS (...)] or .NOT with 1-4 names in odd case, sometimes quoted, some absent from every message. */
function randomHeaderFields(random: () => number): string {
  const count = 1 + Math.floor(random() * 4);
  const names = new Set<string>();
  while (names.size < count) {
    const name = HEADER_NAMES[Math.floor(random() * HEADER_NAMES.length)];
    const cased = [...name].map((c) => (random() < 0.3 ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
    names.add(random() < 0.15 ? quote(cased) : cased);
  }
  return `BODY.PEEK[HEADER.FIELDS${random() < 0.3 ? '.NOT' : ''} (${[...names].join(' ')})]`;
}

function planFetch(run: RunState, client: StressClient, random: () => number, plan: PlanOptions): Planned | null {
  const view = client.view!;
  if (view.uids.length === 0) return null;
  const seqs = pickSeqs(client, random, 8);
  const items = new Set<string>(['UID']);
  const wanted = 1 + Math.floor(random() * 4);
  while (items.size < wanted + 1) items.add(FETCH_ITEMS[Math.floor(random() * FETCH_ITEMS.length)]);
  if (run.features.headerFields && random() < 0.6) items.add(randomHeaderFields(random));
  if (client.condstore && random() < 0.3) items.add('MODSEQ');
  const mailbox = view.mailbox;
  const known = seqs.filter((seq) => view.uids[seq - 1] > 0);
  const byUid = (random() < 0.4 && known.length === seqs.length) || (!plan.sequenceNumbers && known.length > 0);
  if (!byUid && !plan.sequenceNumbers) return null;
  const list = [...items].join(' ');
  if (byUid) {
    const line = `UID FETCH ${known.map((seq) => view.uids[seq - 1]).join(',')} (${list})`;
    return {
      async start() {
        const { reply } = await client.run('UID FETCH', line, { fetching: true });
        if (reply.tagged.status !== 'OK' && !expungedElsewhere(reply.tagged)) client.violation('fetch-failed', `UID FETCH failed: ${reply.tagged.raw}`);
      },
    };
  }
  return {
    sequenceNumbers: true,
    async start() {
      let unanswered: number[] = [];
      const { reply } = await client.run('FETCH', `FETCH ${seqs.join(',')} (${list})`, {
        fetching: true,
        forbidsExpunge: true,
        // An unsolicited FETCH (a flag change) may stand where the expunged message's data would be.
        onTagged: (_tagged, context) => {
          unanswered = seqs.filter((seq) => !context.fetchedSeqs.has(seq)).map((seq) => client.view?.uids[seq - 1] ?? 0).filter((uid) => uid > 0);
        },
      });
      if (expungedElsewhere(reply.tagged)) return;
      if (reply.tagged.status !== 'OK') {
        client.violation('fetch-failed', `FETCH failed: ${reply.tagged.raw}`);
        return;
      }
      const existing = await run.oracle.existing(mailbox, unanswered);
      if (existing.length > 0) client.violation('fetch-missing', `FETCH answered OK without data for UID(s) ${existing.join(',')}, which still exist`);
    },
  };
}

/**
 * NO [EXPUNGEISSUED] (RFC 9051 §7.1) or imaptest's accepted wordings: a FETCH that named a
 * message another session expunged may fail this way.
 */
function expungedElsewhere(tagged: { status?: string; code?: { name: string }; text?: string }): boolean {
  return tagged.status === 'NO' && (tagged.code?.name === 'EXPUNGEISSUED' || /no longer exist|expunged/i.test(tagged.text ?? ''));
}

function planStore(run: RunState, client: StressClient, random: () => number, plan: PlanOptions): Planned | null {
  const view = client.view!;
  if (view.uids.length === 0 || view.readOnly) return null;
  const truth = client.truth()!;
  const mailbox = view.mailbox;
  const picked = pickSeqs(client, random, 4).filter((seq) => view.uids[seq - 1] > 0);
  const owned = random() < 0.7;
  const keyword = owned ? ownedKeywords(client.owner)[Math.floor(random() * 2)] : SHARED_FLAGS[Math.floor(random() * SHARED_FLAGS.length)];
  const lower = keyword.toLowerCase();
  const add = random() < 0.6;
  const silent = random() < 0.3;
  const byUid = random() < 0.5 || !plan.sequenceNumbers;
  // One STORE of an owned keyword per message in flight: its true state is known once answered.
  const seqs = owned ? picked.filter((seq) => !truth.ownedState(view.uids[seq - 1], lower)?.inFlight) : picked;
  if (seqs.length === 0) return null;
  const uids = seqs.map((seq) => view.uids[seq - 1]);
  const unchanged = client.condstore && random() < 0.2 ? ` (UNCHANGEDSINCE ${Math.max(...seqs.map((seq) => view.modseq[seq - 1] ?? 0), 1) + 1000000})` : '';
  const verb = `${add ? '+' : '-'}FLAGS${silent ? '.SILENT' : ''}`;
  const line = byUid ? `UID STORE ${uids.join(',')}${unchanged} ${verb} (${keyword})` : `STORE ${seqs.join(',')}${unchanged} ${verb} (${keyword})`;
  return {
    sequenceNumbers: !byUid,
    async start() {
      if (owned) for (const uid of uids) truth.setOwned(uid, lower, { set: false, changedAt: 0, inFlight: true });
      const missing: number[] = [];
      const notApplied: number[] = [];
      const { reply } = await client.run(byUid ? 'UID STORE' : 'STORE', line, {
        forbidsExpunge: !byUid,
        onTagged: (tagged, context) => {
          const answeredAt = client.now();
          if (owned) {
            for (const uid of uids) {
              if (tagged.status === 'OK') truth.setOwned(uid, lower, { set: add, changedAt: answeredAt, inFlight: false });
              else truth.owned.get(uid)?.delete(lower);
            }
          }
          const now = client.view;
          if (tagged.status !== 'OK' || !now || now.mailbox !== mailbox) return;
          if (silent) {
            // No FETCH came back: an owned keyword's change is applied to the view as a client
            // would. A shared flag's final state depends on other sessions' STOREs, whose FETCH
            // may have come before this reply: the view no longer knows it.
            for (const uid of uids) {
              const index = now.uids.indexOf(uid);
              if (!owned && index >= 0) now.flags[index] = null;
              const flags = now.flags[index];
              if (!flags) continue;
              if (add) flags.add(lower);
              else flags.delete(lower);
            }
            return;
          }
          // RFC 9051 §6.4.6: the updated flags come back as untagged FETCH (imaptest insists).
          for (const [i, uid] of uids.entries()) {
            const seq = byUid ? now.uids.indexOf(uid) + 1 : seqs[i];
            if (seq === 0) continue; // expunged meanwhile (UID STORE may announce it)
            if (!context.fetchedUids.has(uid)) {
              missing.push(uid);
              continue;
            }
            const flags = now.flags[seq - 1];
            if (owned && flags && flags.has(lower) !== add) notApplied.push(uid);
          }
        },
      });
      const status = reply.tagged.status;
      if (status !== 'OK') {
        if (status === 'NO' && /expunge/i.test(reply.tagged.text ?? '')) return;
        client.violation('store-failed', `${line} failed: ${reply.tagged.raw}`);
        return;
      }
      if (missing.length > 0) {
        const existing = await run.oracle.existing(mailbox, missing);
        if (existing.length > 0) client.violation('store-no-fetch', `${line}: no FETCH FLAGS for UID(s) ${existing.join(',')}, which still exist`);
      }
      if (notApplied.length > 0) {
        // A message expunged by another session may answer with its last flags: only live ones count.
        const existing = await run.oracle.existing(mailbox, notApplied);
        if (existing.length > 0) client.violation('store-not-applied', `${line}: FETCH for UID(s) ${existing.join(',')} shows ${keyword} ${add ? 'unset' : 'set'}, and they still exist`);
      }
    },
  };
}

/** UID STORE +FLAGS.SILENT (\Deleted) on a few messages, remembered as this client's to expunge. */
function planDelete(client: StressClient, random: () => number): Planned | null {
  const view = client.view!;
  if (view.uids.length === 0 || view.readOnly) return null;
  const mine = deletedByMe(client);
  const count = view.uids.length > 40 ? 6 : 2;
  const seqs = pickSeqs(client, random, count).filter((seq) => view.uids[seq - 1] > 0);
  if (seqs.length === 0) return null;
  const uids = seqs.map((seq) => view.uids[seq - 1]);
  return {
    async start() {
      // Counted at once: an EXPUNGE pipelined behind this STORE runs after it and removes them.
      for (const uid of uids) mine.add(uid);
      const mailbox = view.mailbox;
      const { reply } = await client.run('UID STORE', `UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)`, {
        // .SILENT: the client sets the flag in its view itself. No session ever clears \Deleted,
        // so whatever other sessions stored meanwhile, the message has it now.
        onTagged: (tagged) => {
          const now = client.view;
          if (tagged.status !== 'OK' || !now || now.mailbox !== mailbox) return;
          for (const uid of uids) now.flags[now.uids.indexOf(uid)]?.add('\\deleted');
        },
      });
      if (reply.tagged.status !== 'OK') for (const uid of uids) mine.delete(uid);
    },
  };
}

/** EXPUNGE or UID EXPUNGE of what this client marked \Deleted, which must then be gone. */
function planExpunge(run: RunState, client: StressClient, random: () => number): Planned | null {
  const view = client.view!;
  const mine = deletedByMe(client);
  if (view.readOnly || mine.size === 0) return null;
  const byUid = random() < 0.5;
  const targets = [...mine];
  const mailbox = view.mailbox;
  const line = byUid ? `UID EXPUNGE ${targets.join(',')}` : 'EXPUNGE';
  return {
    async start() {
      mine.clear();
      let left: number[] = [];
      const { reply } = await client.run(byUid ? 'UID EXPUNGE' : 'EXPUNGE', line, {
        onTagged: () => {
          left = targets.filter((uid) => client.view?.uids.includes(uid));
        },
      });
      if (reply.tagged.status !== 'OK') {
        client.violation('expunge-failed', `${line} failed: ${reply.tagged.raw}`);
        return;
      }
      if (left.length === 0) return;
      const existing = await run.oracle.existing(mailbox, left);
      if (existing.length > 0) client.violation('expunge-left-deleted', `${line} left UID(s) ${existing.join(',')} that this session marked \\Deleted`);
      else client.violation('expunge-not-announced', `${line} removed UID(s) ${left.join(',')} without telling this session`);
    },
  };
}

function deletedByMe(client: StressClient): Set<number> {
  const mailbox = client.view!.mailbox;
  let mine = client.deletedByMe.get(mailbox);
  if (!mine) client.deletedByMe.set(mailbox, (mine = new Set()));
  return mine;
}

/** \Deleted on a few messages, then half the time EXPUNGE, one command after the other. */
async function opDeleteExpunge(run: RunState, client: StressClient, random: () => number): Promise<void> {
  await planDelete(client, random)?.start();
  if (random() < 0.5) return;
  await planExpunge(run, client, random)?.start();
}

function planAppend(run: RunState, client: StressClient, random: () => number, mailbox: string): Planned {
  const truth = run.model.mailbox(mailbox);
  const flags: string[] = [];
  if (random() < 0.3) flags.push('\\Seen');
  const ownKeyword = random() < 0.3 ? ownedKeywords(client.owner)[0] : null;
  if (ownKeyword) flags.push(ownKeyword);
  const message = makeMessage(run.seed, run.messageCounter.n++, random);
  // Most with a date-time of their own (SINCE/BEFORE/ON have known answers), some with the server's.
  const internalDate = random() < 0.85 ? randomInternalDate(random) : null;
  return {
    async start() {
      const { reply, context, sentAt } = await client.append(mailbox, flags, message, internalDate?.text);
      if (reply.tagged.status !== 'OK') {
        if (!mailbox.startsWith('Pair-')) client.violation('append-failed', `APPEND to ${mailbox} failed: ${reply.tagged.raw}`);
        return;
      }
      const appended = context.appendUid;
      if (!appended) {
        client.violation('no-appenduid', `APPEND to ${mailbox} answered without APPENDUID (UIDPLUS is advertised)`);
        return;
      }
      landed(run, client, mailbox, [appended.uid], appended.validity, sentAt, 'APPEND');
      if (appended.validity === truth.uidValidity || truth.uidValidity === 0) {
        truth.facts.set(appended.uid, messageFacts(message, internalDate));
        truth.appendedHere.add(appended.uid);
      }
      if (ownKeyword) truth.setOwned(appended.uid, ownKeyword.toLowerCase(), { set: true, changedAt: client.now(), inFlight: false });
    },
  };
}

/** Records new UIDs in `mailbox` and checks they ascend beyond everything known before `sentAt`. */
function landed(run: RunState, client: StressClient, mailbox: string, uids: number[], validity: number, sentAt: number, how: string): void {
  const truth = run.model.mailbox(mailbox);
  if (truth.uidValidity !== 0 && validity !== truth.uidValidity) client.violation('uidvalidity-mismatch', `${how} into ${mailbox} reported UIDVALIDITY ${validity}, SELECT said ${truth.uidValidity}`);
  const before = truth.maxUid.before(sentAt);
  const at = client.now();
  for (const uid of uids) {
    if (uid <= before) client.violation('new-uid-not-ascending', `${how} into ${mailbox} got UID ${uid}, not above UID ${before} known before the command was sent`);
    if (truth.landed.has(uid)) client.violation('uid-reused', `${how} into ${mailbox} got UID ${uid}, which ${truth.landed.get(uid)!.by} already got`);
    truth.landed.set(uid, { at, by: client.name, how });
    truth.maxUid.record(at, uid);
  }
}

function planCopyMove(run: RunState, client: StressClient, random: () => number, destination: string, plan: PlanOptions): Planned<number[]> | null {
  const view = client.view!;
  if (view.uids.length === 0) return null;
  const move = !view.readOnly && random() < 0.5;
  const seqs = pickSeqs(client, random, 3).filter((seq) => view.uids[seq - 1] > 0);
  if (seqs.length === 0) return null;
  const uids = seqs.map((seq) => view.uids[seq - 1]);
  const byUid = random() < 0.7 || !plan.sequenceNumbers;
  const verb = move ? 'MOVE' : 'COPY';
  const line = byUid ? `UID ${verb} ${uids.join(',')} ${quote(destination)}` : `${verb} ${seqs.join(',')} ${quote(destination)}`;
  const source = view.mailbox;
  return {
    sequenceNumbers: !byUid,
    async start() {
      let still: number[] = [];
      const { reply, context, sentAt } = await client.run(byUid ? `UID ${verb}` : verb, line, {
        onTagged: (_tagged, context) => {
          if (move && context.copyUid) still = context.copyUid.source.filter((uid) => client.view?.uids.includes(uid));
        },
      });
      if (reply.tagged.status !== 'OK') {
        if (reply.tagged.status === 'NO' && /expunge/i.test(reply.tagged.text ?? '')) return [];
        if (!destination.startsWith('Pair-')) client.violation('copy-failed', `${line} failed: ${reply.tagged.raw}`);
        return [];
      }
      const copied = context.copyUid;
      if (!copied) {
        const existing = await run.oracle.existing(source, uids);
        if (existing.length > 0 && !move) client.violation('no-copyuid', `${line} answered without COPYUID`);
        return [];
      }
      if (copied.source.length !== copied.dest.length) client.violation('copyuid-mismatch', `${line}: COPYUID source and destination sets differ in size`);
      for (const uid of copied.source) if (!uids.includes(uid)) client.violation('copyuid-mismatch', `${line}: COPYUID names source UID ${uid}, not asked for`);
      landed(run, client, destination, copied.dest, copied.validity, sentAt, `${byUid ? 'UID ' : ''}${verb} from ${source} UID ${copied.source.join(',')}`);
      // The copy has the source's content: its static data must be the same.
      const sourceTruth = run.model.mailbox(source);
      const destTruth = run.model.mailbox(destination);
      copyKnowledge(sourceTruth, destTruth, copied.source, copied.dest, sentAt, client.now());
      for (const [i, uid] of copied.source.entries()) {
        const known = sourceTruth.statics.get(uid);
        if (!known || destTruth.statics.has(copied.dest[i])) continue;
        const copy = new Map<string, { value: string; by: string; at: number }>();
        for (const [item, seen] of known) copy.set(item, { value: seen.value, by: `${seen.by} (source UID ${uid} of ${verb})`, at: seen.at });
        destTruth.statics.set(copied.dest[i], copy);
      }
      if (still.length > 0) client.violation('move-not-expunged', `${line}: moved UID(s) ${still.join(',')} still in this session's view after OK (RFC 6851 §3.3)`);
      return copied.dest;
    },
  };
}

/**
 * A copy has its source's content and, RFC 9051 §6.4.7, its flags: the facts carry over, and an
 * owned keyword whose state was settled before the COPY/MOVE was sent (answered, none in flight)
 * is the copy's state too.
 */
function copyKnowledge(source: MailboxTruth, dest: MailboxTruth, sourceUids: number[], destUids: number[], sentAt: number, answeredAt: number): void {
  for (const [i, uid] of sourceUids.entries()) {
    const destUid = destUids[i];
    const facts = source.facts.get(uid);
    if (facts && !dest.facts.has(destUid)) dest.facts.set(destUid, facts);
    // Only when every owned keyword ever stored on the source is settled: then unset ones are known too.
    const owned = source.owned.get(uid);
    const settled = [...(owned?.values() ?? [])].every((state) => !state.inFlight && state.changedAt < sentAt);
    if (!settled || !source.appendedHere.has(uid) || dest.owned.has(destUid)) continue;
    for (const [keyword, state] of owned ?? []) dest.setOwned(destUid, keyword, { set: state.set, changedAt: answeredAt, inFlight: false });
    dest.appendedHere.add(destUid);
  }
}

function planSearch(run: RunState, client: StressClient, random: () => number, plan: PlanOptions): Planned {
  const view = client.view!;
  const truth = client.truth()!;
  const mailbox = view.mailbox;
  const keyword = ownedKeywords(client.owner)[Math.floor(random() * 2)].toLowerCase();
  const byUid = random() < 0.5 || !plan.sequenceNumbers;
  const kind = Math.floor(random() * 3);
  const criteria = kind === 0 ? `KEYWORD ${keyword}` : kind === 1 ? 'ALL' : 'FLAGGED';
  const line = `${byUid ? 'UID ' : ''}SEARCH ${criteria}`;
  return {
    sequenceNumbers: !byUid,
    async start() {
      const wrong: number[] = [];
      const { reply } = await client.run(byUid ? 'UID SEARCH' : 'SEARCH', line, {
        forbidsExpunge: !byUid,
        onTagged: (tagged, context) => {
          const now = client.view;
          if (tagged.status !== 'OK' || !now || now.mailbox !== mailbox) return;
          const results = context.searchResults ?? [];
          const resultUids = new Set<number>();
          for (const n of results) {
            if (byUid) resultUids.add(n);
            else if (n < 1 || n > context.searchExists) client.violation('search-out-of-range', `${line} returned seq ${n} with only ${context.searchExists} messages`);
            else resultUids.add(now.uids[n - 1]);
          }
          if (kind === 1 && !byUid && results.length !== context.searchExists) {
            client.violation('search-all-count', `SEARCH ALL returned ${results.length} messages, the view had ${context.searchExists}`);
          }
          if (kind !== 0) return;
          for (const uid of now.uids) {
            const state = uid ? truth.ownedState(uid, keyword) : undefined;
            if (!state || state.inFlight || truth.expunged.has(uid)) continue;
            if (state.set !== resultUids.has(uid)) wrong.push(uid);
          }
        },
      });
      if (reply.tagged.status !== 'OK') {
        client.violation('search-failed', `${line} failed: ${reply.tagged.raw}`);
        return;
      }
      if (wrong.length === 0) return;
      const existing = await run.oracle.existing(mailbox, wrong);
      if (existing.length > 0) client.violation('search-wrong', `${line}: UID(s) ${existing.join(',')} disagree with what this session stored`);
    },
  };
}

/**
 * A random SEARCH program (search-model.ts), by number or UID, whose answer is compared with the
 * model over the messages of the view when it was sent whose content and keywords are known.
 */
function planModelSearch(run: RunState, client: StressClient, random: () => number, plan: PlanOptions): Planned | null {
  const view = client.view!;
  const truth = client.truth()!;
  const mailbox = view.mailbox;
  const byUid = random() < 0.5 || !plan.sequenceNumbers;
  const sentUids = view.uids.slice();
  const known = (uid: number): boolean => uid > 0 && truth.facts.has(uid) && !truth.expunged.has(uid);
  const samples: ModelMessage[] = sentUids.filter(known).map((uid) => ({ seq: 0, uid, facts: truth.facts.get(uid)!, keyword: () => null }));
  const keywords = [...ownedKeywords(client.owner), ...run.features.owners.flatMap(ownedKeywords), UNUSED_KEYWORD, '$shared'];
  const program = randomProgram({
    random,
    samples,
    exists: sentUids.length,
    knownUids: sentUids.filter((uid) => uid > 0),
    keywords: [...new Set(keywords)],
    sequenceSets: plan.sequenceNumbers && (!byUid || random() < 0.3),
  });
  const line = searchLine(program, byUid);
  const usesSequenceSets = JSON.stringify(program).includes('"k":"seqs"');
  return {
    sequenceNumbers: !byUid || usesSequenceSets,
    async start() {
      const wrong: Array<{ uid: number; expected: boolean }> = [];
      let compared = 0;
      // When it is written (run() writes before returning): keywords settled before this are known.
      const sentAt = client.now();
      const { reply } = await client.run(byUid ? 'UID SEARCH' : 'SEARCH', line, {
        forbidsExpunge: !byUid,
        onTagged: (tagged, context) => {
          const now = client.view;
          if (tagged.status !== 'OK' || !now || now.mailbox !== mailbox) return;
          // Sequence numbers (results, or sets in the program) mean what they meant when sent
          // only if no message left the view meanwhile (a UID SEARCH may announce expunges).
          const renumbered = sentUids.some((uid, index) => now.uids[index] !== uid);
          if (renumbered && (!byUid || usesSequenceSets)) return;
          const results = new Set(context.searchResults ?? []);
          for (const [index, uid] of sentUids.entries()) {
            if (!known(uid) || !now.uids.includes(uid)) continue;
            const seq = index + 1;
            const value = evaluateProgram(program, { seq, uid, facts: truth.facts.get(uid)!, keyword: keywordKnowledge(truth, uid, sentAt) });
            if (value === null) continue;
            compared++;
            const found = byUid ? results.has(uid) : results.has(seq);
            if (found !== value) wrong.push({ uid, expected: value });
          }
        },
      });
      run.searchModelStats.searches++;
      run.searchModelStats.compared += compared;
      if (reply.tagged.status !== 'OK') {
        client.violation('search-failed', `${line} failed: ${reply.tagged.raw}`);
        return;
      }
      if (wrong.length === 0) return;
      const existing = new Set(await run.oracle.existing(mailbox, wrong.map((entry) => entry.uid)));
      const real = wrong.filter((entry) => existing.has(entry.uid));
      if (real.length > 0) {
        const details = real.map((entry) => `UID ${entry.uid} ${entry.expected ? 'should match' : 'should not match'} (${describe(truth, entry.uid)})`);
        client.violation('search-model-wrong', `${line.replace(/\r\n/g, ' ')}: ${details.join('; ')}`);
      }
    },
  };
}

function describe(truth: MailboxTruth, uid: number): string {
  const facts = truth.facts.get(uid)!;
  const owned = [...(truth.owned.get(uid) ?? [])].map(([keyword, state]) => `${keyword}=${state.inFlight ? '?' : state.set}`).join(' ');
  return `size ${facts.size}, date ${facts.internalDate?.text ?? 'server time'}, subject ${JSON.stringify(facts.subject)}, from ${JSON.stringify(facts.from)}${owned ? `, ${owned}` : ''}`;
}

// ---- the random client -----------------------------------------------------------------------

/**
 * A random client: up to `run.pipeline` commands in flight at once, written together (imaptest's
 * stress mode pipelines too). Commands that change state (SELECT, EXAMINE, UNSELECT, IDLE,
 * LOGOUT) go alone, once everything before them is answered. A command with sequence numbers
 * waits until nothing outstanding may expunge, and is then planned against the view as it is.
 */
export async function randomClient(run: RunState, index: number): Promise<void> {
  const random = seededRandom(run.seed * 1000 + index);
  const owner = `c${index}`;
  const depth = Math.max(1, run.pipeline);
  let generation = 0;
  let client: StressClient | null = null;
  let expungeNext = false;
  const inFlight = new Set<Promise<unknown>>();
  const drain = async (): Promise<void> => {
    await Promise.allSettled([...inFlight]);
  };
  const launch = (planned: Planned<unknown> | null): void => {
    if (!planned) return;
    const current = client!;
    const promise: Promise<unknown> = planned
      .start()
      .catch((error: unknown) => {
        if (current.connection.isClosed) return;
        current.violation('connection-error', `${(error as Error).message}`);
        current.connection.close();
      })
      .finally(() => inFlight.delete(promise));
    inFlight.add(promise);
  };
  const now = () => performance.now() - run.model.epoch;
  const checkpoint = run.features.checkpoint;
  checkpoint?.join();
  try {
  while (now() < run.until) {
    try {
      if (checkpoint?.due()) {
        await drain();
        await checkpoint.arrive([client]);
      }
      while (inFlight.size >= depth) await Promise.race(inFlight);
      if (client?.connection.isClosed) {
        await drain();
        client = null;
      }
      if (!client) {
        const mode = MODES[(index + generation) % MODES.length];
        client = await connectClient(run, `${owner}s${generation++}`, owner, mode, { compress: random() < 0.25 });
      }
      if (!client.view) {
        await drain();
        const mailbox = random() < 0.7 ? 'INBOX' : 'Filed';
        await select(run, client, mailbox, { readOnly: random() < 0.1, fetchAll: random() < 0.9 });
        continue;
      }
      const plan: PlanOptions = { sequenceNumbers: true };
      // imaptest's rule: a command with sequence numbers is not written behind one that may
      // expunge (or change state); the client waits for those replies, then plans afresh.
      const whenSafe = async (planned: () => Planned<unknown> | null): Promise<void> => {
        let next = planned();
        if (next?.sequenceNumbers && !client!.sequenceNumbersSafe()) {
          while (!client!.sequenceNumbersSafe() && inFlight.size > 0) await Promise.race(inFlight);
          if (client!.connection.isClosed || !client!.view) return;
          next = planned();
        }
        launch(next);
      };
      if (expungeNext) {
        expungeNext = false;
        launch(planExpunge(run, client, random));
        continue;
      }
      const other = client.view.mailbox === 'INBOX' ? 'Filed' : 'INBOX';
      const exists = client.view.uids.length;
      const appendWeight = exists < 20 ? 20 : exists > 60 ? 0 : 8;
      const deleteWeight = exists > 60 ? 20 : exists < 10 ? 0 : 6;
      const choice = weighted(random, [
        ['fetch', 25],
        ['store', 15],
        ['delete', deleteWeight],
        ['append', appendWeight],
        ['search', 8],
        ['msearch', run.features.searchModel ? 10 : 0],
        ['copy', 8],
        ['noop', 6],
        ['check', 2],
        ['idle', 4],
        ['reselect', 3],
        ['logout', 1],
        ['unselect', 1],
      ]);
      switch (choice) {
        case 'fetch':
          await whenSafe(() => planFetch(run, client!, random, plan));
          break;
        case 'store':
          await whenSafe(() => planStore(run, client!, random, plan));
          break;
        case 'delete':
          launch(planDelete(client, random));
          expungeNext = random() >= 0.5;
          break;
        case 'append':
          launch(planAppend(run, client, random, random() < 0.7 ? client.view.mailbox : other));
          break;
        case 'search':
          await whenSafe(() => planSearch(run, client!, random, plan));
          break;
        case 'msearch':
          await whenSafe(() => planModelSearch(run, client!, random, plan));
          break;
        case 'copy':
          await whenSafe(() => planCopyMove(run, client!, random, other, plan));
          break;
        case 'noop':
          launch(planSync(run, client, 'NOOP'));
          break;
        case 'check':
          launch(planSync(run, client, 'CHECK'));
          break;
        case 'idle': {
          const ms = 200 + Math.floor(random() * 800);
          await drain();
          if (client.view) await sync(run, client, 'IDLE', ms);
          break;
        }
        case 'reselect': {
          const mailbox = random() < 0.5 ? other : client.view.mailbox;
          const options = { readOnly: random() < 0.1, fetchAll: random() < 0.9 };
          await drain();
          await select(run, client, mailbox, options);
          break;
        }
        case 'unselect': {
          await drain();
          const { reply } = await client.run('UNSELECT', 'UNSELECT');
          if (reply.tagged.status === 'OK') client.view = null;
          break;
        }
        case 'logout':
          await drain();
          await logout(client);
          client = null;
          break;
      }
    } catch (error) {
      if (client && !client.connection.isClosed) client.violation('connection-error', `${(error as Error).message}`);
      client?.connection.close();
      await drain();
      client = null;
      if (now() >= run.until) break;
    }
  }
  } finally {
    checkpoint?.leave();
  }
  await drain();
  if (client && !client.connection.isClosed) await logout(client).catch(() => client?.connection.close());
}

async function logout(client: StressClient): Promise<void> {
  client.markLoggingOut();
  const { reply } = await client.run('LOGOUT', 'LOGOUT');
  const bye = reply.untagged.some((response) => response.status === 'BYE');
  if (!bye) client.violation('logout-no-bye', 'LOGOUT answered without BYE');
  client.connection.close();
}

function weighted<T extends string>(random: () => number, choices: Array<[T, number]>): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let at = random() * total;
  for (const [choice, weight] of choices) {
    at -= weight;
    if (at < 0) return choice;
  }
  return choices[choices.length - 1][0];
}

// ---- watcher/mover pairs ---------------------------------------------------------------------

/**
 * The Thunderbird pattern: watcher W SELECTs a mailbox (a fresh empty one half of the time);
 * 0-400 ms later mover M (selected on INBOX) MOVEs, COPYs or APPENDs a message into it; 0-600 ms
 * later W sends NOOP, CHECK or IDLE, which must announce the new message. W reconnects with
 * another mode (IMAP4rev1, CONDSTORE, QRESYNC, IMAP4rev2) every few rounds.
 */
export async function pairClients(run: RunState, index: number): Promise<void> {
  const random = seededRandom(run.seed * 7919 + index);
  const now = () => performance.now() - run.model.epoch;
  let round = 0;
  let watcher: StressClient | null = null;
  let mover: StressClient | null = null;
  let generation = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const checkpoint = run.features.checkpoint;
  checkpoint?.join();
  try {
  while (now() < run.until) {
    try {
      if (checkpoint?.due()) await checkpoint.arrive([watcher, mover]);
      if (!watcher || watcher.connection.isClosed || round % 4 === 0) {
        if (watcher) await logout(watcher).catch(() => watcher?.connection.close());
        // Thunderbird compresses (CLIENTS.md): half the watchers do.
        watcher = await connectClient(run, `w${index}s${generation}`, `w${index}`, MODES[(generation + index) % MODES.length], { compress: generation % 2 === 1 });
        generation++;
      }
      if (!mover || mover.connection.isClosed) {
        mover = await connectClient(run, `m${index}s${generation}`, `m${index}`, MODES[(generation + index + 1) % MODES.length]);
      }
      round++;
      const fresh = random() < 0.5;
      const target = fresh ? `Pair-${index}-${round}` : 'Filed';
      if (fresh) {
        const { reply } = await mover.run('CREATE', `CREATE ${quote(target)}`);
        if (reply.tagged.status !== 'OK') mover.violation('create-failed', `CREATE ${target} failed: ${reply.tagged.raw}`);
      }
      // Sometimes switch straight from another mailbox, as Thunderbird does (no UNSELECT).
      if (random() < 0.3) await select(run, watcher, 'INBOX', { readOnly: false, fetchAll: random() < 0.5 });
      if (!(await select(run, watcher, target, { readOnly: false, fetchAll: random() < 0.7, condstoreParameter: random() < 0.3 }))) continue;
      if (!mover.view || mover.view.mailbox !== 'INBOX') await select(run, mover, 'INBOX', { readOnly: false, fetchAll: true });
      await sleep(Math.floor(random() * 400));
      const how = random();
      if (how < 0.6 && mover.view && mover.view.uids.some((uid) => uid > 0)) await planCopyMove(run, mover, random, target, { sequenceNumbers: true })?.start();
      else await planAppend(run, mover, random, target).start();
      // The Thunderbird trace waited 2 s before IDLE; mostly shorter here to keep rounds coming.
      await sleep(Math.floor(random() * (random() < 0.15 ? 2500 : 600)));
      const kind = weighted(random, [
        ['IDLE', 5],
        ['NOOP', 4],
        ['CHECK', 1],
      ] as Array<['IDLE' | 'NOOP' | 'CHECK', number]>);
      await sync(run, watcher, kind, 300 + Math.floor(random() * 500));
      if (random() < 0.5 && watcher.view && watcher.view.uids.length > 0) await fetchAll(watcher);
      // Keep Filed from growing and the fresh mailboxes from piling up.
      if (random() < 0.5) await opDeleteExpunge(run, watcher, random);
      const { reply } = await watcher.run('UNSELECT', 'UNSELECT');
      if (reply.tagged.status === 'OK') watcher.view = null;
      if (fresh) await mover.run('DELETE', `DELETE ${quote(target)}`);
    } catch (error) {
      const culprit = watcher && watcher.connection.isClosed ? watcher : mover;
      culprit?.violation('connection-error', `${(error as Error).message}`);
      watcher?.connection.close();
      mover?.connection.close();
      watcher = null;
      mover = null;
    }
  }
  } finally {
    checkpoint?.leave();
  }
  for (const client of [watcher, mover]) if (client) await logout(client).catch(() => client.connection.close());
}
