// Quirks of real firmware that can be switched on per profile (its defaults) or per simulator /
// scenario (`createSimulator({ quirks })`, `simulate --quirk`): each one is something a driver met on
// real hardware and must cope with.
import type { StorageName } from './storage.ts';

export interface Quirks {
  /** How the modem ends its lines: V.250's CRLF, or CR only / LF only (some firmwares, some S3/S4 settings). */
  lineEnding?: 'crlf' | 'cr' | 'lf';
  /**
   * Status reports (27.005 3.4.1 <ds>): `as-asked` follows +CNMI; `stored` always stores them and
   * announces `+CDSI: "<mem>",<index>` whatever <ds> asks (Quectel EC25/EG25); `routed` always routes
   * them as `+CDS: <length>` and its +CNMI=? offers <ds> 0 and 1 only (SIMCom SIM800/SIM7600/A7670).
   */
  statusReports?: 'as-asked' | 'stored' | 'routed';
  /** Where stored status reports go: the SR storage (default when the modem has one) or SM. */
  reportStorage?: Extract<StorageName, 'SR' | 'SM'>;
  /**
   * The modem stops answering for `ms` (reads nothing, says nothing): `afterMs` after power-on
   * (default `everyMs`, else at once), then again every `everyMs` when given.
   */
  stall?: { ms: number; everyMs?: number; afterMs?: number };
  /** +CMGR/+CMGL print a <length> this many octets off the PDU's (negative: smaller; a firmware bug). */
  wrongLength?: number;
  /** AT+CPMS=? answered with mismatched quotes (`malformed`) or with no storage name at all (`garbled`). */
  cpmsTest?: 'malformed' | 'garbled';
  /** Registered on LTE only: +CREG/+CGREG say not registered, +CEREG follows the network (LTE profiles). */
  lteOnly?: boolean;
  /** USSD answers printed in the +CSCS character set (GSM 7-bit codes under "GSM": `w{hlen`). */
  ussdCharset?: boolean;
}

export const LINE_ENDINGS = { crlf: '\r\n', cr: '\r', lf: '\n' } as const;

/** Checks quirks given from outside (CLI, config); throws a RangeError naming the bad one. */
export function checkQuirks(q: Quirks): Quirks {
  if (q.lineEnding !== undefined && !Object.hasOwn(LINE_ENDINGS, q.lineEnding)) throw new RangeError('quirks.lineEnding must be crlf, cr or lf');
  if (q.statusReports !== undefined && !['as-asked', 'stored', 'routed'].includes(q.statusReports)) {
    throw new RangeError('quirks.statusReports must be as-asked, stored or routed');
  }
  if (q.reportStorage !== undefined && q.reportStorage !== 'SR' && q.reportStorage !== 'SM') throw new RangeError('quirks.reportStorage must be SR or SM');
  if (q.stall !== undefined) {
    const { ms, everyMs, afterMs } = q.stall;
    const bad = (v: unknown) => v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0);
    if (typeof ms !== 'number' || bad(ms) || ms === 0) throw new RangeError('quirks.stall.ms must be a number of milliseconds above 0');
    if (bad(everyMs) || (everyMs !== undefined && everyMs <= ms)) throw new RangeError('quirks.stall.everyMs must be longer than quirks.stall.ms');
    if (bad(afterMs)) throw new RangeError('quirks.stall.afterMs must be a number of 0 or more');
  }
  if (q.wrongLength !== undefined && (!Number.isInteger(q.wrongLength) || Math.abs(q.wrongLength) > 100)) throw new RangeError('quirks.wrongLength must be a whole number of octets (-100 to 100)');
  if (q.cpmsTest !== undefined && q.cpmsTest !== 'malformed' && q.cpmsTest !== 'garbled') throw new RangeError('quirks.cpmsTest must be malformed or garbled');
  return q;
}
