import { v7 } from 'uuid';

/**
 * A unique, time-sortable id (UUIDv7, RFC 9562). uuid's v7 keeps ids monotonic within one
 * millisecond, so ids generated in order sort in order.
 */
export function newId(): string {
  return v7();
}

/** ISO 8601 with the local UTC offset (e.g. `2026-11-23T01:17:52.123+01:00`), as receivers expect. */
export function isoWithOffset(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local.toISOString().slice(0, -1)}${sign}${hh}:${mm}`;
}
