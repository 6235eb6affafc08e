/**
 * imaptest's `checkpoint=N` (checkpoint.c), done our way: every N seconds every random client
 * and watcher/mover pair finishes what it has outstanding and stops; then each selected session
 * sends NOOP, and every session's view must agree with a fresh read of the mailbox (EXAMINE and
 * UID FETCH 1:* (FLAGS) on a session of the checkpoint's own), since nothing changes the mailbox
 * while everyone is stopped and NOOP must announce every change before (RFC 9051 §7.4.1, §6.1.2):
 * - checkpoint-count: EXISTS differs (imaptest "Mailbox has only N of M messages");
 * - checkpoint-uid: a sequence number's known UID differs (imaptest "Message seq UID differs");
 * - checkpoint-flags: a message's flags differ, system flags or keywords (\Recent aside);
 * - checkpoint-recent-twice: a message \Recent in two read-write sessions (RFC 3501 §2.3.2).
 * Only what a view knows is compared: UIDs never fetched and flags a view no longer knows (after a
 * .SILENT STORE of a shared flag) are skipped. The QRESYNC resync clients change no message and
 * do not stop.
 */
import { performance } from 'node:perf_hooks';
import type { StressClient } from './client.js';
import { StressConnection } from './connection.js';
import { fetchItems } from './response.js';
import { quote } from './client.js';
import type { SharedModel } from './model.js';
import type { StressTarget } from './workload.js';

/** Longest wait for every participant to stop; a checkpoint not reached by then is skipped. */
const GATHER_MS = 20_000;

export interface CheckpointStats {
  done: number;
  skipped: number;
  sessions: number;
  messages: number;
}

export class Checkpoint {
  readonly stats: CheckpointStats = { done: 0, skipped: 0, sessions: 0, messages: 0 };
  private nextAt: number;
  private participants = 0;
  private arrived: StressClient[] = [];
  private arrivals = 0;
  private release: (() => void) | null = null;
  private gathering: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: StressTarget,
    private readonly model: SharedModel,
    readonly everyMs: number,
  ) {
    this.nextAt = everyMs;
  }

  private now(): number {
    return performance.now() - this.model.epoch;
  }

  /** A loop that will call arrive() whenever due() says so, until it calls leave(). */
  join(): void {
    this.participants++;
  }

  leave(): void {
    this.participants--;
    if (this.gathering && this.arrivals >= this.participants) void this.complete();
  }

  due(): boolean {
    return this.now() >= this.nextAt;
  }

  /**
   * Stops here until everyone has arrived and the views are compared. `clients` are this loop's
   * sessions (nothing outstanding on them); null entries are skipped.
   */
  arrive(clients: Array<StressClient | null>): Promise<void> {
    for (const client of clients) if (client && !client.connection.isClosed) this.arrived.push(client);
    this.arrivals++;
    if (!this.gathering) {
      this.gathering = new Promise<void>((resolve) => {
        this.release = resolve;
      });
      this.timer = setTimeout(() => this.finish(false), GATHER_MS);
    }
    const gathering = this.gathering;
    if (this.arrivals >= this.participants) void this.complete();
    return gathering;
  }

  private async complete(): Promise<void> {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.compare(this.arrived.slice());
    } finally {
      this.finish(true);
    }
  }

  private finish(compared: boolean): void {
    if (!compared) {
      if (!this.timer) return;
      this.timer = null;
      this.stats.skipped++;
    }
    this.arrived = [];
    this.arrivals = 0;
    this.nextAt = this.now() + this.everyMs;
    const release = this.release;
    this.gathering = null;
    this.release = null;
    release?.();
  }

  private async compare(clients: StressClient[]): Promise<void> {
    const selected = clients.filter((client) => client.view && !client.connection.isClosed);
    await Promise.all(selected.map((client) => client.run('NOOP', 'NOOP').catch(() => undefined)));
    const byMailbox = new Map<string, StressClient[]>();
    for (const client of selected) {
      if (!client.view || client.connection.isClosed) continue;
      const list = byMailbox.get(client.view.mailbox) ?? [];
      list.push(client);
      byMailbox.set(client.view.mailbox, list);
    }
    if (byMailbox.size === 0) {
      this.stats.done++;
      return;
    }
    const connection = await StressConnection.open({ host: this.target.host, port: this.target.port, name: 'checkpoint', epoch: this.model.epoch });
    try {
      await connection.command(connection.nextTag(), `LOGIN ${quote(this.target.user)} ${quote(this.target.password)}`);
      for (const [mailbox, sessions] of byMailbox) {
        const examine = await connection.command(connection.nextTag(), `EXAMINE ${quote(mailbox)}`);
        if (examine.tagged.status !== 'OK') continue;
        const fetched = await connection.command(connection.nextTag(), 'FETCH 1:* (UID FLAGS)');
        const uids: number[] = [];
        const flags: string[] = [];
        for (const response of fetched.untagged) {
          if (typeof response.values[1] !== 'string' || response.values[1].toUpperCase() !== 'FETCH') continue;
          const items = fetchItems(response.values[2]);
          const seq = Number(response.values[0]);
          const list = items.get('FLAGS');
          uids[seq - 1] = Number(items.get('UID'));
          flags[seq - 1] = Array.isArray(list) ? normalFlags(list.filter((flag): flag is string => typeof flag === 'string')) : '';
        }
        this.compareMailbox(mailbox, sessions, uids, flags, connection);
      }
      this.stats.done++;
    } finally {
      connection.close();
    }
  }

  private compareMailbox(mailbox: string, sessions: StressClient[], uids: number[], flags: string[], fresh: StressConnection): void {
    const recentIn = new Map<number, StressClient>();
    for (const client of sessions) {
      const view = client.view!;
      this.stats.sessions++;
      if (view.uids.length !== uids.length) {
        client.violation('checkpoint-count', `checkpoint: ${mailbox} has ${view.uids.length} messages in this view, ${uids.length} in a fresh EXAMINE`, [fresh]);
        continue;
      }
      for (const [index, uid] of view.uids.entries()) {
        if (uid === 0) continue;
        if (uid !== uids[index]) {
          client.violation('checkpoint-uid', `checkpoint: ${mailbox} seq ${index + 1} is UID ${uid} here, UID ${uids[index]} in a fresh EXAMINE`, [fresh]);
          break;
        }
        const known = view.flags[index];
        if (!known) continue;
        this.stats.messages++;
        const mine = normalFlags([...known]);
        if (mine !== flags[index]) client.violation('checkpoint-flags', `checkpoint: ${mailbox} UID ${uid} has (${mine}) here, (${flags[index]}) in a fresh EXAMINE`, [fresh]);
        if (!view.readOnly && known.has('\\recent')) {
          const other = recentIn.get(uid);
          if (other) client.violation('checkpoint-recent-twice', `checkpoint: ${mailbox} UID ${uid} is \\Recent here and in ${other.name} (RFC 3501 §2.3.2)`, [other.connection]);
          else recentIn.set(uid, client);
        }
      }
    }
  }
}

function normalFlags(flags: string[]): string {
  return flags
    .map((flag) => flag.toLowerCase())
    .filter((flag) => flag !== '\\recent')
    .sort()
    .join(' ');
}
