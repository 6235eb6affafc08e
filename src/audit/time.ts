/**
 * Time arguments of `bridgehead audit` and `bridgehead stats`: `--since 2h` (s, m, h, d, w ago),
 * `--since 2026-11-24` (that day, 00:00 UTC) or a full ISO 8601 time.
 */
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class TimeArgumentError extends Error {
  constructor(text: string) {
    super(`cannot read the time ${JSON.stringify(text)}: use e.g. 30m, 2h, 7d, 2026-11-24 or 2026-11-24T10:00Z`);
    this.name = 'TimeArgumentError';
  }
}

/** epoch ms of a --since value, relative to `now`. */
export function parseSince(text: string, now: number): number {
  const value = text.trim();
  const relative = /^(\d+)\s*([smhdw])$/i.exec(value);
  if (relative) return now - Number(relative[1]) * UNITS[relative[2].toLowerCase()];
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== value) throw new TimeArgumentError(text);
    return ms;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new TimeArgumentError(text);
}
