/**
 * Time for the queue, injectable so tests can run five days of retries in milliseconds.
 *
 * Invariant: the queue reads time only through `now()` and waits only through `setTimer`, so a
 * ManualClock controls every schedule decision (backoff, give-up, delay notices, due scans).
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Runs `callback` once after `ms` (clamped to what setTimeout allows). */
  setTimer(ms: number, callback: () => void): Timer;
}

/** setTimeout's limit: longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, callback) {
    const handle = setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock that moves only when told to; due timers fire in time order on `advance`. */
export class ManualClock implements Clock {
  private time: number;
  private timers: Array<{ at: number; callback: () => void; cancelled: boolean }> = [];

  constructor(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, callback: () => void): Timer {
    const timer = { at: this.time + Math.max(0, ms), callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Moves time forward by `ms` and fires the timers that came due. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => !timer.cancelled && timer.at <= this.time).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((timer) => !timer.cancelled && timer.at > this.time);
    for (const timer of due) timer.callback();
  }
}
