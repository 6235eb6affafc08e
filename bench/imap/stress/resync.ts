/**
 * QRESYNC resynchronisation clients (RFC 7162 §3.2.5, §3.2.6; imaptest's `qresync` option): a
 * client that remembers a mailbox (UIDVALIDITY, HIGHESTMODSEQ, every UID with its flags, the
 * order it saw them in), UNSELECTs or logs out while the random clients change the mailbox, and
 * comes back with either
 *   SELECT box (QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]]))   or
 *   SELECT box, then UID FETCH 1:* (FLAGS) (CHANGEDSINCE modseq VANISHED).
 * The remembered state with VANISHED (EARLIER) and the FETCHes of the resync applied must then be
 * what a fresh UID FETCH 1:* (FLAGS MODSEQ) shows, except for messages whose MODSEQ in that fetch
 * is above the HIGHESTMODSEQ the SELECT gave (changed after the resync was computed). Checked:
 * - resync-missed-flag-change: a message's flags differ although its MODSEQ is not above that
 *   HIGHESTMODSEQ (a client keeping it would never learn of the change);
 * - resync-missed-message: a message not in the remembered state, not reported by the resync,
 *   and not newer than that HIGHESTMODSEQ;
 * - resync-missed-expunge: a remembered UID gone from the fresh fetch and never reported
 *   expunged (VANISHED (EARLIER) in the resync, or VANISHED until the NOOP after the fetch);
 * - resync-vanished-exists: VANISHED (EARLIER) named a UID the fresh fetch still shows;
 * - resync-modseq-not-above: a FETCH of the resync carries no MODSEQ above the client's modseq.
 * Remembering is done with the same rules: SELECT, UID FETCH 1:* (FLAGS MODSEQ), and every
 * FETCH/VANISHED the session is told until UNSELECT; the modseq it comes back with is the
 * HIGHESTMODSEQ of that SELECT.
 */
import { performance } from 'node:perf_hooks';
import type { StressClient } from './client.js';
import { expandSet, fetchItems, type ImapValue, type Response } from './response.js';
import { seededRandom } from '../../../test/imap/fuzz-sessions.js';
import { compress } from './search-model.js';
import { connectClient, type RunState } from './workload.js';

export interface Memory {
  mailbox: string;
  uidValidity: number;
  modseq: number;
  flags: Map<number, string>;
  /** UIDs in sequence order when the client left. */
  order: number[];
}

export interface Recorded {
  response: Response;
  /** For FETCH: the UID (its UID item, else the view's UID for its number when it arrived). */
  uid: number;
}

/** Resync rounds done, and messages compared in them. */
export interface ResyncStats {
  rounds: number;
  compared: number;
  variants: Map<string, number>;
}

/** Records every response of a client in order, until stopped. */
function record(client: StressClient): { responses: Recorded[]; stop: () => void } {
  const connection = client.connection;
  const base = connection.onResponse;
  const responses: Recorded[] = [];
  connection.onResponse = (response) => {
    let uid = 0;
    if (response.tag === '*' && typeof response.values[1] === 'string' && response.values[1].toUpperCase() === 'FETCH') {
      const items = fetchItems(response.values[2]);
      const uidItem = items.get('UID');
      uid = typeof uidItem === 'string' ? Number(uidItem) : (client.view?.uids[Number(response.values[0]) - 1] ?? 0);
    }
    responses.push({ response, uid });
    base(response);
  };
  return { responses, stop: () => (connection.onResponse = base) };
}

function flagsOf(items: Map<string, ImapValue>): string | null {
  const flags = items.get('FLAGS');
  if (!Array.isArray(flags)) return null;
  return flags
    .filter((flag): flag is string => typeof flag === 'string')
    .map((flag) => flag.toLowerCase())
    .filter((flag) => flag !== '\\recent')
    .sort()
    .join(' ');
}

function modseqOf(items: Map<string, ImapValue>): number | null {
  const value = items.get('MODSEQ');
  return Array.isArray(value) && typeof value[0] === 'string' ? Number(value[0]) : null;
}

/** `* VANISHED [(EARLIER)] set`: the UIDs and whether EARLIER was given. */
function vanished(response: Response): { uids: number[]; earlier: boolean } | null {
  if (response.tag !== '*' || typeof response.values[0] !== 'string' || response.values[0].toUpperCase() !== 'VANISHED') return null;
  const earlier = Array.isArray(response.values[1]);
  const set = response.values[earlier ? 2 : 1];
  return { uids: typeof set === 'string' ? expandSet(set) : [], earlier };
}

/** Splits recorded responses at the tagged replies, in the order the commands were sent. */
function byCommand(responses: Recorded[], tags: string[]): Recorded[][] {
  const out: Recorded[][] = tags.map(() => []);
  let index = 0;
  for (const entry of responses) {
    if (index >= tags.length) break;
    if (entry.response.tag === tags[index]) {
      index++;
      continue;
    }
    out[index].push(entry);
  }
  return out;
}

async function remember(client: StressClient, mailbox: string, readOnly: boolean): Promise<Memory | null> {
  const recorder = record(client);
  try {
    const view = client.beginSelect(mailbox, readOnly);
    const verb = readOnly ? 'EXAMINE' : 'SELECT';
    const selected = await client.run(verb, `${verb} "${mailbox}"`, { select: true });
    if (selected.reply.tagged.status !== 'OK') {
      client.view = null;
      client.violation('select-failed', `${verb} ${mailbox} failed: ${selected.reply.tagged.raw}`);
      return null;
    }
    const memory: Memory = { mailbox, uidValidity: view.uidValidity, modseq: view.highestModSeq, flags: new Map(), order: [] };
    await client.run('UID FETCH', 'UID FETCH 1:* (FLAGS MODSEQ)', { fetching: true });
    const { reply } = await client.run('UNSELECT', 'UNSELECT');
    for (const { response, uid } of recorder.responses) {
      const gone = vanished(response);
      if (gone) for (const expunged of gone.uids) memory.flags.delete(expunged);
      if (uid > 0) {
        const flags = flagsOf(fetchItems(response.values[2]));
        if (flags !== null) memory.flags.set(uid, flags);
      }
    }
    // What the session was told when it left: the view's order; messages announced by EXISTS
    // alone (UID not fetched) are not remembered, and the resync must report them as new.
    memory.order = client.view?.uids.slice() ?? [];
    for (const uid of memory.flags.keys()) if (!memory.order.includes(uid)) memory.flags.delete(uid);
    if (reply.tagged.status === 'OK') client.view = null;
    if (memory.order.some((uid) => uid > 0 && !memory.flags.has(uid))) return null;
    return memory;
  } finally {
    recorder.stop();
  }
}

/** The QRESYNC parameter: known UIDs and sequence match data, each given or not, and a label for the statistics. */
function qresyncParameter(memory: Memory, random: () => number): { text: string; label: string } {
  const parts = [String(memory.uidValidity), String(memory.modseq)];
  const uids = memory.order.filter((uid) => uid > 0).sort((a, b) => a - b);
  const knownStyle = random();
  if (knownStyle < 0.3 || uids.length === 0) return { text: `(QRESYNC (${parts.join(' ')}))`, label: 'QRESYNC' };
  parts.push(knownStyle < 0.65 ? compress(uids) : `1:${uids[uids.length - 1]}`);
  if (random() < 0.5) {
    // Up to 8 (seq, UID) pairs from what the client saw, ascending (RFC 7162 §3.2.5.2).
    const step = Math.max(1, Math.floor(memory.order.length / 8));
    const seqs: number[] = [];
    for (let seq = 1; seq <= memory.order.length; seq += step) if (memory.order[seq - 1] > 0) seqs.push(seq);
    if (seqs.length > 0) {
      parts.push(`(${compress(seqs)} ${compress(seqs.map((seq) => memory.order[seq - 1]))})`);
      return { text: `(QRESYNC (${parts.join(' ')}))`, label: 'QRESYNC known-uids seq-match' };
    }
  }
  return { text: `(QRESYNC (${parts.join(' ')}))`, label: 'QRESYNC known-uids' };
}

async function resync(run: RunState, client: StressClient, memory: Memory, random: () => number, stats: ResyncStats): Promise<void> {
  const recorder = record(client);
  const tags: string[] = [];
  const readOnly = random() < 0.3;
  const verb = readOnly ? 'EXAMINE' : 'SELECT';
  const viaSelect = random() < 0.6;
  let line: string;
  try {
    client.beginSelect(memory.mailbox, readOnly);
    const parameter = qresyncParameter(memory, random);
    line = viaSelect ? `${verb} "${memory.mailbox}" ${parameter.text}` : `${verb} "${memory.mailbox}"`;
    const variant = viaSelect ? `${verb} ${parameter.label}` : `${verb}, UID FETCH CHANGEDSINCE VANISHED`;
    const selected = await client.run(verb, line, { select: true, earlier: viaSelect });
    tags.push(selected.reply.tagged.tag);
    if (selected.reply.tagged.status !== 'OK') {
      client.view = null;
      client.violation('select-failed', `${line} failed: ${selected.reply.tagged.raw}`);
      return;
    }
    const highest = client.view!.highestModSeq;
    if (!viaSelect) {
      const changed = `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${memory.modseq} VANISHED)`;
      line += `; ${changed}`;
      const fetched = await client.run('UID FETCH', changed, { fetching: true, earlier: true });
      tags.push(fetched.reply.tagged.tag);
    }
    const fresh = await client.run('UID FETCH', 'UID FETCH 1:* (FLAGS MODSEQ)', { fetching: true });
    tags.push(fresh.reply.tagged.tag);
    const noop = await client.run('NOOP', 'NOOP');
    tags.push(noop.reply.tagged.tag);
    stats.variants.set(variant, (stats.variants.get(variant) ?? 0) + 1);
    for (const [kind, message] of resyncProblems({ memory, highest, responses: recorder.responses, tags, resyncCommands: viaSelect ? 1 : 2, stats })) {
      client.violation(kind, `${line.replace(/\r\n/g, ' ')}: ${message}`);
    }
  } finally {
    recorder.stop();
  }
}

/**
 * The violations of one resync: `responses` are everything the session received from the resync
 * command(s) (the first `resyncCommands` of `tags`) to the NOOP after the fresh fetch; `highest`
 * is the HIGHESTMODSEQ the SELECT gave. Returns [kind, message] pairs.
 */
export function resyncProblems(input: { memory: Memory; highest: number; responses: Recorded[]; tags: string[]; resyncCommands: number; stats: ResyncStats }): Array<[string, string]> {
  const { memory, highest, responses, tags, resyncCommands, stats } = input;
  const parts = byCommand(responses, tags);
  const state = new Map(memory.flags);
  const reportedGone = new Set<number>();
  const earlierGone = new Set<number>();
  const problems: Array<[string, string]> = [];
  for (const [index, part] of parts.entries()) {
    const inResync = index < resyncCommands;
    const isFresh = index === resyncCommands;
    for (const { response, uid } of part) {
      const gone = vanished(response);
      if (gone) {
        for (const expunged of gone.uids) {
          state.delete(expunged);
          reportedGone.add(expunged);
          if (gone.earlier) earlierGone.add(expunged);
        }
        continue;
      }
      if (!inResync || uid === 0) continue;
      const items = fetchItems(response.values[2]);
      const modseq = modseqOf(items);
      if (modseq === null || modseq <= memory.modseq) problems.push(['resync-modseq-not-above', `FETCH of UID ${uid} in the resync has MODSEQ ${modseq ?? 'none'}, not above ${memory.modseq}`]);
      const flags = flagsOf(items);
      if (flags !== null) state.set(uid, flags);
    }
    if (isFresh) {
      const fresh = new Map<number, { flags: string; modseq: number }>();
      for (const { response, uid } of part) {
        if (uid === 0 || vanished(response)) continue;
        const items = fetchItems(response.values[2]);
        const flags = flagsOf(items);
        const modseq = modseqOf(items);
        // An unsolicited FETCH may stand next to the result: the newest counts.
        if (flags !== null && modseq !== null && modseq >= (fresh.get(uid)?.modseq ?? 0)) fresh.set(uid, { flags, modseq });
      }
      for (const [uid, now] of fresh) {
        stats.compared++;
        if (earlierGone.has(uid)) problems.push(['resync-vanished-exists', `VANISHED (EARLIER) named UID ${uid}, which the fresh fetch shows`]);
        if (now.modseq > highest) continue;
        const known = state.get(uid);
        if (known === undefined) problems.push(['resync-missed-message', `UID ${uid} (MODSEQ ${now.modseq} <= HIGHESTMODSEQ ${highest}) was neither remembered nor reported by the resync`]);
        else if (known !== now.flags) problems.push(['resync-missed-flag-change', `UID ${uid} has (${now.flags}) at MODSEQ ${now.modseq} <= HIGHESTMODSEQ ${highest}, the resynced state says (${known}); remembered (${memory.flags.get(uid) ?? 'not known'}) at modseq ${memory.modseq}`]);
      }
      for (const uid of state.keys()) {
        if (!fresh.has(uid)) state.set(uid, '\u0000gone');
      }
    }
  }
  for (const [uid, flags] of state) {
    if (flags === '\u0000gone' && !reportedGone.has(uid)) problems.push(['resync-missed-expunge', `remembered UID ${uid} is gone from the fresh fetch but no VANISHED reported it (by the NOOP after)`]);
  }
  return problems;
}

/**
 * One resync client: remember a mailbox, leave it (UNSELECT, or LOGOUT and a new connection),
 * wait 0.3-1.8 s while the others change it, come back with QRESYNC, compare; repeat.
 */
export async function resyncClient(run: RunState, index: number, stats: ResyncStats): Promise<void> {
  const random = seededRandom(run.seed * 31 + 17 + index);
  const now = () => performance.now() - run.model.epoch;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let client: StressClient | null = null;
  let generation = 0;
  const connect = () => connectClient(run, `q${index}s${generation++}`, `q${index}`, 'qresync', { compress: random() < 0.2 });
  while (now() < run.until) {
    try {
      if (!client || client.connection.isClosed) client = await connect();
      const mailbox = random() < 0.7 ? 'INBOX' : 'Filed';
      const memory = await remember(client, mailbox, random() < 0.2);
      if (random() < 0.4) {
        client.markLoggingOut();
        await client.run('LOGOUT', 'LOGOUT');
        client.connection.close();
        client = null;
      }
      await sleep(300 + Math.floor(random() * 1500));
      if (!memory || now() >= run.until) continue;
      if (!client) client = await connect();
      await resync(run, client, memory, random, stats);
      stats.rounds++;
      const { reply } = await client.run('UNSELECT', 'UNSELECT');
      if (reply.tagged.status === 'OK') client.view = null;
    } catch (error) {
      if (client && !client.connection.isClosed) client.violation('connection-error', `${(error as Error).message}`);
      client?.connection.close();
      client = null;
    }
  }
  if (client && !client.connection.isClosed) {
    client.markLoggingOut();
    await client.run('LOGOUT', 'LOGOUT').catch(() => undefined);
    client.connection.close();
  }
}
