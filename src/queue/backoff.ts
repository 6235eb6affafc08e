/**
 * The retry schedule after temporary failures (RFC 5321 §4.5.4.1: retry, with the interval
 * growing, for at least 4-5 days): initial delay doubling per attempt up to a maximum; a message
 * older than the give-up age at the end of an attempt has its remaining recipients failed.
 */
export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  giveUpMs: number;
}

/** Delay before the next attempt after `attempts` attempts have been made (attempts ≥ 1). */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  const exponent = Math.max(0, attempts - 1);
  // 2^exponent grows past maxMs quickly; cap the exponent so the number stays finite.
  const delay = policy.initialMs * 2 ** Math.min(exponent, 40);
  return Math.min(delay, policy.maxMs);
}

/** Whether an entry created at `createdAt` has run out of time at `now`. */
export function expired(policy: RetryPolicy, createdAt: number, now: number): boolean {
  return now - createdAt >= policy.giveUpMs;
}

/**
 * When to try next; never later than the give-up moment itself, so that the last attempt
 * happens at the deadline rather than up to maxMs after it.
 */
export function nextAttemptAt(policy: RetryPolicy, createdAt: number, now: number, attempts: number): number {
  return Math.min(now + retryDelay(policy, attempts), Math.max(now, createdAt + policy.giveUpMs));
}
