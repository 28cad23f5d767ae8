// 23.040 9.2.3.11: service centre time stamp (also TP-DT and absolute TP-VP): seven semi-octet pairs,
// YY MM DD hh mm ss TZ, each with its low digit first. TZ counts quarter hours; bit 3 is the sign.
import { PduDecodeError, SmsEncodeError } from './errors.ts';
import { swapBcd } from './address.ts';

const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function digit2(bytes: Uint8Array, at: number, field: string): number {
  const o = bytes[at]!;
  const lo = o & 0xf;
  const hi = o >> 4;
  if (lo > 9 || hi > 9) throw new PduDecodeError('invalid_bcd', at, `${field} has a non-decimal semi-octet`);
  return lo * 10 + hi;
}

/** `YYYY-MM-DDThh:mm:ss±hh:mm` from the 7 octets at `p` (which the caller checked are present). */
export function decodeTimestamp(bytes: Uint8Array, p: number, field: string, warnings: string[]): string {
  const yy = digit2(bytes, p, field);
  const mo = digit2(bytes, p + 1, field);
  const dd = digit2(bytes, p + 2, field);
  const hh = digit2(bytes, p + 3, field);
  const mi = digit2(bytes, p + 4, field);
  const ss = digit2(bytes, p + 5, field);
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) {
    throw new PduDecodeError('invalid_bcd', p, `${field} is not a valid date and time`);
  }
  // 23.040 leaves the century open; two-digit years 70-99 are read as 1970-1999.
  const year = yy >= 70 ? 1900 + yy : 2000 + yy;
  const tz = bytes[p + 6]!;
  const tens = tz & 7;
  const units = tz >> 4;
  let offset = '+00:00';
  if (units > 9) {
    // A non-decimal TZ digit carries no offset we can trust: keep the wall-clock time, flag it.
    warnings.push(`${field} time zone octet ${tz.toString(16).padStart(2, '0')} is not BCD; offset taken as +00:00`);
  } else {
    const quarters = tens * 10 + units;
    const minutes = quarters * 15;
    offset = (tz & 8 && quarters > 0 ? '-' : '+') + TWO[Math.floor(minutes / 60) % 100] + ':' + TWO[minutes % 60];
  }
  return year + '-' + TWO[mo] + '-' + TWO[dd] + 'T' + TWO[hh] + ':' + TWO[mi] + ':' + TWO[ss] + offset;
}

/** The offset in quarter hours of an ISO 8601 string (`Z`, `±hh:mm`, `±hhmm`), or null if it has none. */
export function isoOffsetQuarters(iso: string): number | null {
  if (iso.endsWith('Z') || iso.endsWith('z')) return 0;
  const m = /([+-])(\d\d):?(\d\d)$/.exec(iso);
  if (!m || !iso.includes('T')) return null;
  const q = (Number(m[2]) * 60 + Number(m[3])) / 15;
  return m[1] === '-' ? -q : q;
}

/**
 * Writes the 7 timestamp octets of instant `when` as the wall-clock time at offset `tzQuarterHours`
 * (default: the offset written in an ISO string, else 0).
 */
export function encodeTimestamp(when: Date | string, tzQuarterHours: number | undefined, out: Uint8Array, p: number): void {
  const ms = typeof when === 'string' ? Date.parse(when) : when.getTime();
  if (!Number.isFinite(ms)) throw new SmsEncodeError('out_of_range', 'timestamp is not a valid date');
  const tz = tzQuarterHours ?? (typeof when === 'string' ? isoOffsetQuarters(when) : null) ?? 0;
  if (!Number.isInteger(tz) || tz < -79 || tz > 79) throw new SmsEncodeError('out_of_range', 'time zone must be -79..79 quarter hours');
  const local = new Date(ms + tz * 15 * 60_000);
  out[p] = swapBcd(local.getUTCFullYear() % 100);
  out[p + 1] = swapBcd(local.getUTCMonth() + 1);
  out[p + 2] = swapBcd(local.getUTCDate());
  out[p + 3] = swapBcd(local.getUTCHours());
  out[p + 4] = swapBcd(local.getUTCMinutes());
  out[p + 5] = swapBcd(local.getUTCSeconds());
  const q = Math.abs(tz);
  out[p + 6] = ((q % 10) << 4) | Math.floor(q / 10) | (tz < 0 ? 8 : 0);
}
