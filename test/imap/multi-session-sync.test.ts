/**
 * Several sessions on one mailbox with different extensions on: QRESYNC (VANISHED), CONDSTORE
 * only (EXPUNGE, MODSEQ in FETCH) and plain IMAP4rev1. Each session keeps the view a client
 * would keep, built only from the responses it receives, while the sessions take turns to
 * STORE, EXPUNGE, MOVE and APPEND; after every step each view must equal the store.
 */
import t from 'tap';
import { USER, appendMessage, sampleMessage, startServer, type TranscriptClient } from './harness.js';

/** What a client knows: UIDs in sequence order, with flags and (when it asked for them) modseqs. */
interface ClientView {
  name: string;
  client: TranscriptClient;
  modseqs: boolean;
  uids: number[];
  flags: Map<number, string[]>;
  modseq: Map<number, number>;
  tags: number;
}

const FETCH = /^\* (\d+) FETCH \((.*)\)$/;

/** Applies one command's untagged responses to the view, as a client would. */
function apply(view: ClientView, lines: string[]): number | null {
  let exists: number | null = null;
  for (const line of lines) {
    let match: RegExpExecArray | null;
    if ((match = /^\* (\d+) EXISTS$/.exec(line))) exists = Number(match[1]);
    else if ((match = /^\* (\d+) EXPUNGE$/.exec(line))) view.uids.splice(Number(match[1]) - 1, 1);
    else if ((match = /^\* VANISHED (?!\(EARLIER\))(\S+)$/.exec(line))) {
      const gone = expandSet(match[1]);
      view.uids = view.uids.filter((uid) => !gone.has(uid));
    } else if ((match = FETCH.exec(line))) {
      const seq = Number(match[1]);
      const items = match[2];
      const uidMatch = /UID (\d+)/.exec(items);
      let uid = view.uids[seq - 1];
      if (seq > view.uids.length) {
        if (!uidMatch || seq !== view.uids.length + 1) throw new Error(`${view.name}: FETCH for unknown message ${seq}: ${line}`);
        uid = Number(uidMatch[1]);
        view.uids.push(uid);
      } else if (uidMatch && Number(uidMatch[1]) !== uid) {
        throw new Error(`${view.name}: message ${seq} is UID ${uid}, the server says ${uidMatch[1]}`);
      }
      const flags = /FLAGS \(([^)]*)\)/.exec(items);
      // \Recent is session state (RFC 3501 §2.3.2), not part of the store's flags compared here.
      if (flags) view.flags.set(uid, flags[1] === '' ? [] : flags[1].split(' ').filter((flag) => flag !== '\\Recent'));
      const modseq = /MODSEQ \((\d+)\)/.exec(items);
      if (modseq) view.modseq.set(uid, Number(modseq[1]));
    }
  }
  return exists;
}

function expandSet(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b = a] = part.split(':').map(Number);
    for (let n = Math.min(a, b); n <= Math.max(a, b); n++) out.add(n);
  }
  return out;
}

/** Sends a command, applies its responses, and fetches what new messages EXISTS announced. */
async function run(view: ClientView, command: string): Promise<string[]> {
  const tag = `${view.name}${view.tags++}`;
  const lines = await view.client.command(`${tag} ${command}`);
  await absorb(view, lines);
  return lines;
}

async function absorb(view: ClientView, lines: string[]): Promise<void> {
  let exists = apply(view, lines);
  while (exists !== null && exists > view.uids.length) {
    const items = view.modseqs ? '(UID FLAGS MODSEQ)' : '(UID FLAGS)';
    const more = await view.client.command(`${view.name}${view.tags++} FETCH ${view.uids.length + 1}:${exists} ${items}`);
    exists = apply(view, more);
  }
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

t.test('QRESYNC, CONDSTORE and plain sessions keep consistent views', async (t) => {
  const h = await startServer(t);
  for (let i = 1; i <= 6; i++) await h.store.append(USER, 'INBOX', Buffer.from(sampleMessage(`Start ${i}`)));
  const inbox = (await h.store.getMailbox(USER, 'INBOX'))!;
  const views: ClientView[] = [];
  for (const [name, enable] of [['q', 'QRESYNC'], ['c', 'CONDSTORE'], ['p', null]] as const) {
    const client = await h.loggedIn();
    const view: ClientView = { name, client, modseqs: enable !== null, uids: [], flags: new Map(), modseq: new Map(), tags: 1 };
    if (enable) t.same((await run(view, `ENABLE ${enable}`))[0], `* ENABLED ${enable}`);
    await run(view, 'SELECT INBOX');
    await run(view, view.modseqs ? 'FETCH 1:* (UID FLAGS MODSEQ)' : 'FETCH 1:* (UID FLAGS)');
    views.push(view);
  }
  const [q] = views;
  const startModSeq = (await h.store.getMailbox(USER, 'INBOX'))!.highestModSeq;
  const startUids = [...q.uids];
  const next = random(20260305);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const seen = { vanished: 0, expunge: 0 };

  for (let step = 0; step < 40; step++) {
    const actor = pick(views);
    const action = pick(['store', 'store', 'expunge', 'move', 'append', 'append']);
    const seq = actor.uids.length > 0 ? 1 + Math.floor(next() * actor.uids.length) : 0;
    if (action === 'append') {
      const tag = `${actor.name}${actor.tags++}`;
      await absorb(actor, await appendMessage(actor.client, tag, 'INBOX', sampleMessage(`Step ${step}`)));
    } else if (seq === 0) {
      continue;
    } else if (action === 'store') {
      await run(actor, `STORE ${seq} ${pick(['+', '-'])}FLAGS (${pick(['\\Seen', '\\Flagged', '$Label'])})`);
    } else if (action === 'expunge') {
      await run(actor, `STORE ${seq} +FLAGS.SILENT (\\Deleted)`);
      const lines = await run(actor, `UID EXPUNGE ${actor.uids[seq - 1]}`);
      if (lines.some((line) => line.startsWith('* VANISHED'))) seen.vanished++;
      if (lines.some((line) => line.endsWith(' EXPUNGE'))) seen.expunge++;
    } else {
      await run(actor, `MOVE ${seq} Archive`);
    }
    const truth = await h.store.listMessages(inbox.id);
    for (const view of views) {
      await run(view, 'NOOP');
      t.same(view.uids, truth.map((meta) => meta.uid), `step ${step} (${actor.name} ${action}): ${view.name}'s message list`);
      const flagsOk = truth.every((meta) => JSON.stringify(view.flags.get(meta.uid)) === JSON.stringify(meta.flags));
      t.ok(flagsOk, `step ${step}: ${view.name}'s flags`);
      if (view.modseqs) {
        const modseqOk = truth.every((meta) => view.modseq.get(meta.uid) === meta.modseq);
        t.ok(modseqOk, `step ${step}: ${view.name}'s modseqs`);
      }
    }
  }
  t.ok(seen.vanished > 0 && seen.expunge > 0, 'both kinds of expunge reply were exercised');

  // The QRESYNC client resynchronises from its first state: exactly the UIDs gone since.
  const final = await h.store.getMailbox(USER, 'INBOX');
  const gone = startUids.filter((uid) => !q.uids.includes(uid));
  const lines = await q.client.command(`z SELECT INBOX (QRESYNC (${inbox.uidValidity} ${startModSeq} ${startUids.join(',')}))`);
  const vanished = lines.find((line) => line.startsWith('* VANISHED (EARLIER) '));
  t.same(vanished ? [...expandSet(vanished.slice('* VANISHED (EARLIER) '.length))] : [], gone);
  t.ok(lines.includes(`* OK [HIGHESTMODSEQ ${final!.highestModSeq}] Highest`));
});
