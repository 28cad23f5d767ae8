/**
 * Wall-clock arithmetic in an IANA time zone (Intl only: no date library). Operator caps count by the
 * calendar day and month of the SIM's country, and quiet hours are a daily window on its clocks, both
 * across daylight-saving changes.
 */

export interface Wall {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is a zone this Node knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The system's own zone (what an agent without `timeZone` counts days in). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The wall clock in `timeZone` at the instant `ms`. */
export function wallAt(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatFor(timeZone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `ms`, in ms (east positive). */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallAt(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant the zone's clocks show this wall time (month and day may overflow: day 32 is the next
 * month). A time skipped by a spring-forward change reads as if the clocks had not jumped yet (02:30
 * in a 02:00-03:00 gap is 03:30, as Temporal's `compatible`); a time shown twice (fall back) is the earlier.
 */
export function instantOf(timeZone: string, year: number, month: number, day: number, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes settle the offset on either side of a change (the offset at the guess may be the other one).
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  if (second === first) {
    // Shown twice? The earlier instant (one offset-change before) may show the same wall time.
    const earlier = guess - offsetAt(first - 3_600_000, timeZone);
    if (earlier < first && sameWall(earlier, timeZone, guess)) return earlier;
    return first;
  }
  // In a gap neither instant shows the wall time asked for: take the later (after the clocks jumped).
  if (sameWall(second, timeZone, guess)) return second;
  if (sameWall(first, timeZone, guess)) return first;
  return Math.max(first, second);
}

function sameWall(ms: number, timeZone: string, wallAsUtc: number): boolean {
  const w = wallAt(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) === wallAsUtc;
}

/** Start of the zone's calendar day holding `ms`, and of the next one. */
export function dayBounds(ms: number, timeZone: string): { start: number; end: number } {
  const w = wallAt(ms, timeZone);
  return { start: instantOf(timeZone, w.year, w.month, w.day), end: instantOf(timeZone, w.year, w.month, w.day + 1) };
}

/** Start of the zone's calendar month holding `ms`, and of the next one. */
export function monthBounds(ms: number, timeZone: string): { start: number; end: number } {
  const w = wallAt(ms, timeZone);
  return { start: instantOf(timeZone, w.year, w.month, 1), end: instantOf(timeZone, w.year, w.month + 1, 1) };
}

/** `HH:MM` as minutes after midnight. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * When a daily window [from, to) (minutes after local midnight; across midnight when from > to) holds
 * `ms`, the instant it ends; null outside it. Computed on the zone's calendar, so a window across a
 * daylight-saving change ends at the wall time asked for.
 */
export function windowEnd(ms: number, timeZone: string, from: number, to: number): number | null {
  if (from === to) return null;
  const w = wallAt(ms, timeZone);
  const now = w.hour * 60 + w.minute;
  const inside = from < to ? now >= from && now < to : now >= from || now < to;
  if (!inside) return null;
  // The end is today when it is still ahead on today's clock, tomorrow otherwise.
  const dayOffset = now < to ? 0 : 1;
  return instantOf(timeZone, w.year, w.month, w.day + dayOffset, Math.floor(to / 60), to % 60);
}
