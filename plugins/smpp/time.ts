// SMPP 3.4 7.1.1: times are 16 characters, YYMMDDhhmmsstnnp. p '+'/'-' is an absolute time whose
// offset from UTC is nn quarter hours; p 'R' is relative (YY years, MM months, DD days, hh:mm:ss
// from now). An empty string means "none".

export class TimeError extends Error {
  override name = 'TimeError';
}

/**
 * The instant an SMPP time names, in ms; undefined for the empty string. Throws TimeError for
 * anything else that is not a time.
 *
 * @example
 * smppTime('260301100000000+', now) // Date.parse('2026-03-01T10:00:00Z')
 * smppTime('000000010000000R', now) // now + 1 hour
 */
export function smppTime(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d)(\d\d)([+\-R])$/.exec(value);
  if (!m) throw new TimeError(`"${value}" is not an SMPP time (YYMMDDhhmmsstnnp)`);
  const [yy, mo, dd, hh, mi, ss, t, nn] = m.slice(1, 9).map(Number) as number[];
  if (m[9] === 'R') {
    const at = new Date(now);
    at.setUTCFullYear(at.getUTCFullYear() + yy!, at.getUTCMonth() + mo!, at.getUTCDate() + dd!);
    return at.getTime() + ((hh! * 60 + mi!) * 60 + ss!) * 1000;
  }
  if (!(mo! >= 1 && mo! <= 12 && dd! >= 1 && dd! <= 31 && hh! < 24 && mi! < 60 && ss! < 60 && nn! <= 48)) throw new TimeError(`"${value}" is not a real date and time`);
  const utc = Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!, ss!, t! * 100);
  if (new Date(utc).getUTCDate() !== dd) throw new TimeError(`"${value}" is not a real date and time`);
  const offset = nn! * 15 * 60_000;
  return m[9] === '+' ? utc - offset : utc + offset;
}

/** YYMMDDhhmm in UTC, as delivery receipts write their dates. */
export function receiptDate(ms: number): string {
  return new Date(ms).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3$4$5');
}
