// 23.040 9.2.2: decoding SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT TPDUs, with or without the
// SMSC field that 27.005 +CMGR/+CMGL/+CMT/+CDS put in front of them.
import { decodeAddress, decodeSmsc } from './address.ts';
import { parseDcs } from './dcs.ts';
import { PduDecodeError } from './errors.ts';
import { decodeSeptets } from './gsm7.ts';
import { fromHex } from './hex.ts';
import { statusState } from './status.ts';
import { decodeTimestamp } from './time.ts';
import type { Dcs, DecodedDeliver, DecodedPdu, DecodedStatusReport, DecodedSubmit, Validity } from './types.ts';
import { decodeUtf16BEKeep } from './ucs2.ts';
import { parseUdh, type Udh } from './udh.ts';

export interface DecodeOptions {
  /** The <length> of +CMGR/+CMGL/+CMT/+CDS: TPDU octets without the SMSC field. Decides whether an SMSC field leads. */
  tpduLength?: number;
  /** Force the SMSC field present (true) or absent (false) instead of detecting it. */
  smsc?: boolean;
}

/**
 * Decodes a PDU as a modem prints it (hex, either case; whitespace and trailing junk after the declared
 * lengths are ignored). Throws only PduDecodeError.
 *
 * @example
 * decodePdu('0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B').from // 'diafaan'
 */
export function decodePdu(hex: string, opts: DecodeOptions = {}): DecodedPdu {
  if (typeof hex !== 'string') throw new PduDecodeError('invalid_hex', 0, 'PDU must be a hex string');
  let clean = hex.trim();
  if (clean.indexOf(' ') >= 0 || clean.indexOf('\n') >= 0 || clean.indexOf('\r') >= 0 || clean.indexOf('\t') >= 0) {
    clean = clean.replace(/\s+/g, ''); // a PDU wrapped over several log lines
  }
  if (clean.length === 0) throw new PduDecodeError('empty', 0, 'empty PDU');
  const { bytes, stop } = fromHex(clean);
  const n = bytes.length;
  if (n === 0) throw new PduDecodeError('invalid_hex', 0, 'PDU is not hex');
  const junk = stop < clean.length;
  try {
    return decodeBytes(bytes, opts);
  } catch (err) {
    // Cut short by a non-hex character: say so rather than "truncated".
    if (junk && err instanceof PduDecodeError && err.code === 'truncated') {
      throw new PduDecodeError('invalid_hex', n, `PDU has a non-hex character at position ${stop}`);
    }
    throw err;
  }
}

function decodeBytes(bytes: Uint8Array, opts: DecodeOptions): DecodedPdu {
  const n = bytes.length;
  if (opts.smsc !== undefined) {
    const end = opts.tpduLength !== undefined ? endFor(bytes, opts.smsc, opts.tpduLength) : n;
    return parse(bytes, opts.smsc, end).pdu;
  }
  if (opts.tpduLength !== undefined) {
    const t = opts.tpduLength;
    if (!Number.isInteger(t) || t < 1 || t > 255) throw new PduDecodeError('tpdu_length_mismatch', 0, `TPDU length ${t} is impossible`);
    if (t > n) throw new PduDecodeError('truncated', n, `PDU has ${n} octets, the TPDU length says ${t}`);
    // The SMSC field is there when the octets before the TPDU are exactly one SMSC field.
    const smsc = n > t && bytes[0]! + 1 + t <= n;
    return parse(bytes, smsc, endFor(bytes, smsc, t)).pdu;
  }
  // Auto-detect: the form that accounts for every octet wins; with an SMSC field first since modems
  // print it in +CMGR/+CMGL/+CMT by default (27.005 3.1, <pdu>).
  let first: Attempt | PduDecodeError;
  try { first = parse(bytes, true, n); } catch (err) { first = asDecodeError(err); }
  if (!(first instanceof PduDecodeError) && first.used === n) return first.pdu;
  let second: Attempt | PduDecodeError;
  try { second = parse(bytes, false, n); } catch (err) { second = asDecodeError(err); }
  if (!(second instanceof PduDecodeError) && second.used === n) return second.pdu;
  const ok = [first, second].filter((a): a is Attempt => !(a instanceof PduDecodeError));
  const whole = ok.find((a) => a.used <= n); // trailing junk only
  if (whole) return whole.pdu;
  if (ok.length > 0) return ok[0]!.pdu; // user data cut short: keep what is there, flagged in warnings
  throw first instanceof PduDecodeError && (bytes[0]! <= 11 || !(second instanceof PduDecodeError)) ? first : second;
}

function asDecodeError(err: unknown): PduDecodeError {
  if (err instanceof PduDecodeError) return err;
  // Defensive: a bug must still surface as the one error type callers handle.
  return new PduDecodeError('internal', 0, err instanceof Error ? err.message : String(err));
}

function endFor(bytes: Uint8Array, smsc: boolean, tpduLength: number): number {
  const end = (smsc ? bytes[0]! + 1 : 0) + tpduLength;
  if (end > bytes.length) throw new PduDecodeError('truncated', bytes.length, `PDU is shorter than its TPDU length ${tpduLength}`);
  return end;
}

interface Attempt { pdu: DecodedPdu; used: number }

function parse(bytes: Uint8Array, hasSmsc: boolean, end: number): Attempt {
  let smsc: string | null = null;
  let p = 0;
  if (hasSmsc) {
    const s = decodeSmsc(bytes, end);
    smsc = s.smsc && s.smsc.number !== '' ? s.smsc.number : null;
    p = s.next;
  }
  if (p >= end) throw new PduDecodeError('truncated', p, 'TPDU is missing');
  const start = p;
  const fo = bytes[p]!;
  const mti = fo & 3;
  // 23.040 9.2.3.1: a reserved MTI (11) is processed as SMS-DELIVER.
  if (mti === 1) return parseSubmit(bytes, start, end, smsc);
  if (mti === 2) return parseStatusReport(bytes, start, end, smsc);
  return parseDeliver(bytes, start, end, smsc);
}

function need(p: number, count: number, end: number, field: string): void {
  if (p + count > end) throw new PduDecodeError('truncated', p, `${field} is cut off`);
}

function parseDeliver(bytes: Uint8Array, start: number, end: number, smsc: string | null): Attempt {
  const fo = bytes[start]!;
  const warnings: string[] = [];
  const oa = decodeAddress(bytes, start + 1, end, 'originating');
  let p = oa.next;
  need(p, 10, end, 'PID, DCS and timestamp');
  const pid = bytes[p]!;
  const dcs = parseDcs(bytes[p + 1]!);
  const timestamp = decodeTimestamp(bytes, p + 2, 'timestamp', warnings);
  p += 9;
  const ud = parseUserData(bytes, p, end, (fo & 0x40) !== 0, dcs, warnings);
  const pdu: DecodedDeliver = {
    type: 'deliver', smsc, from: oa.address.number, fromAddress: oa.address, timestamp,
    firstOctet: fo, pid, dcs, encoding: ud.encoding, text: ud.text, data: ud.data, class: dcs.class,
    concat: ud.udh ? ud.udh.concat : null, port: ud.udh?.port, language: ud.udh?.language,
    udh: ud.udh ? ud.udh.ies : null, udl: ud.udl, tpduLength: Math.min(ud.used, end) - start, warnings,
    moreMessages: (fo & 0x04) === 0, statusReportIndication: (fo & 0x20) !== 0, replyPath: (fo & 0x80) !== 0,
  };
  if (ud.units !== undefined) pdu.utf16 = ud.units;
  return { pdu, used: ud.used };
}

function parseSubmit(bytes: Uint8Array, start: number, end: number, smsc: string | null): Attempt {
  const fo = bytes[start]!;
  const warnings: string[] = [];
  need(start, 2, end, 'message reference');
  const mr = bytes[start + 1]!;
  const da = decodeAddress(bytes, start + 2, end, 'destination');
  let p = da.next;
  need(p, 2, end, 'PID and DCS');
  const pid = bytes[p]!;
  const dcs = parseDcs(bytes[p + 1]!);
  p += 2;
  let validity: Validity | null = null;
  const vpf = (fo >> 3) & 3;
  if (vpf === 2) {
    need(p, 1, end, 'validity period');
    validity = { format: 'relative', octet: bytes[p]!, minutes: relativeMinutes(bytes[p]!) };
    p += 1;
  } else if (vpf === 3) {
    need(p, 7, end, 'validity period');
    validity = { format: 'absolute', time: decodeTimestamp(bytes, p, 'validity period', warnings) };
    p += 7;
  } else if (vpf === 1) {
    need(p, 7, end, 'validity period');
    validity = enhancedValidity(bytes.slice(p, p + 7));
    p += 7;
  }
  const ud = parseUserData(bytes, p, end, (fo & 0x40) !== 0, dcs, warnings);
  const pdu: DecodedSubmit = {
    type: 'submit', smsc, to: da.address.number, toAddress: da.address, mr, validity,
    firstOctet: fo, pid, dcs, encoding: ud.encoding, text: ud.text, data: ud.data, class: dcs.class,
    concat: ud.udh ? ud.udh.concat : null, port: ud.udh?.port, language: ud.udh?.language,
    udh: ud.udh ? ud.udh.ies : null, udl: ud.udl, tpduLength: Math.min(ud.used, end) - start, warnings,
    statusReportRequest: (fo & 0x20) !== 0, rejectDuplicates: (fo & 0x04) !== 0, replyPath: (fo & 0x80) !== 0,
  };
  if (ud.units !== undefined) pdu.utf16 = ud.units;
  return { pdu, used: ud.used };
}

function parseStatusReport(bytes: Uint8Array, start: number, end: number, smsc: string | null): Attempt {
  const fo = bytes[start]!;
  const warnings: string[] = [];
  need(start, 2, end, 'message reference');
  const mr = bytes[start + 1]!;
  const ra = decodeAddress(bytes, start + 2, end, 'recipient');
  let p = ra.next;
  need(p, 15, end, 'timestamps and status');
  const timestamp = decodeTimestamp(bytes, p, 'timestamp', warnings);
  const dischargeTime = decodeTimestamp(bytes, p + 7, 'discharge time', warnings);
  const status = bytes[p + 14]!;
  p += 15;
  // 9.2.3.27: TP-PI and the fields it announces are optional; 0xFF is SIM record padding, not a PI.
  let pid = 0;
  let dcs = parseDcs(0);
  let ud: UserData | null = null;
  let used = p;
  if (p < end) {
    const pi = bytes[p]!;
    if (pi === 0xff) {
      warnings.push('TP-PI 0xFF (padding) ignored');
    } else {
      let q = p + 1;
      if (pi & 1 && q < end) pid = bytes[q++]!;
      if (pi & 2 && q < end) dcs = parseDcs(bytes[q++]!);
      used = q;
      if (pi & 4 && q < end) {
        ud = parseUserData(bytes, q, end, (fo & 0x40) !== 0, dcs, warnings);
        used = ud.used;
      }
    }
  }
  const st = statusState(status);
  const pdu: DecodedStatusReport = {
    type: 'status-report', smsc, mr, recipient: ra.address.number, recipientAddress: ra.address, timestamp,
    dischargeTime, status, state: st.state, meaning: st.meaning, final: st.final,
    firstOctet: fo, pid, dcs, encoding: ud ? ud.encoding : dcs.encoding, text: ud ? ud.text : null, data: ud?.data,
    class: dcs.class, concat: ud?.udh ? ud.udh.concat : null, port: ud?.udh?.port, language: ud?.udh?.language,
    udh: ud?.udh ? ud.udh.ies : null, udl: ud ? ud.udl : 0, tpduLength: Math.min(used, end) - start, warnings,
    forCommand: (fo & 0x20) !== 0, moreMessages: (fo & 0x04) === 0,
  };
  if (ud?.units !== undefined) pdu.utf16 = ud.units;
  return { pdu, used };
}

interface UserData {
  udl: number;
  encoding: 'gsm7' | 'ucs2' | '8bit';
  text: string | null;
  /** UCS2 with a lone surrogate: the code units as received (see DecodedPdu `utf16`). */
  units?: string;
  data?: Uint8Array;
  udh: Udh | null;
  /** Offset just past the user data as TP-UDL declares it (may exceed the PDU when it is cut short). */
  used: number;
}

/** 23.040 9.2.3.16/9.2.3.24: TP-UDL at `p`, then the user data with its optional header. */
function parseUserData(bytes: Uint8Array, p: number, end: number, udhi: boolean, dcs: Dcs, warnings: string[]): UserData {
  need(p, 1, end, 'user data length');
  const udl = bytes[p]!;
  const ud = p + 1;
  const septets = dcs.encoding === 'gsm7' && !dcs.compressed;
  // 9.2.3.16: at most 160 septets or 140 octets of user data.
  if (septets ? udl > 160 : udl > 140) throw new PduDecodeError('invalid_length', p, `user data length ${udl} is impossible`);
  const declared = septets ? (udl * 7 + 7) >> 3 : udl;
  const used = ud + declared;
  const udEnd = Math.min(used, end);
  if (used > end) warnings.push(`user data cut short: ${end - ud} of ${declared} octets present`);
  let udh: Udh | null = null;
  let body = ud;
  if (udhi) {
    if (udl === 0) {
      warnings.push('UDHI set but the user data is empty');
    } else {
      need(ud, 1, udEnd, 'user data header length');
      const udhl = bytes[ud]!;
      if (udhl + 1 > declared) throw new PduDecodeError('invalid_udh', ud, `header length ${udhl} exceeds the user data`);
      need(ud + 1, udhl, udEnd, 'user data header');
      udh = parseUdh(bytes, ud + 1, ud + 1 + udhl, warnings);
      body = ud + 1 + udhl;
    }
  }
  const encoding = dcs.compressed ? '8bit' : dcs.encoding;
  if (dcs.compressed) {
    warnings.push('compressed user data (23.042) returned as bytes');
  }
  if (septets) {
    // Fill bits: the text starts at the first septet boundary after the header (9.2.3.24).
    const headerSeptets = udh || body > ud ? Math.ceil(((body - ud) * 8) / 7) : 0;
    let count = udl - headerSeptets;
    if (count < 0) throw new PduDecodeError('invalid_udh', ud, 'user data header is longer than TP-UDL');
    const available = Math.floor(((udEnd - ud) * 8) / 7) - headerSeptets;
    if (count > available) count = Math.max(0, available);
    const lang = udh?.language;
    const text = decodeSeptets(bytes, ud, udEnd, headerSeptets * 7, count, lang?.locking ?? 0, lang?.single ?? 0);
    return { udl, encoding: 'gsm7', text, udh, used };
  }
  if (encoding === 'ucs2') {
    if ((udEnd - body) & 1) warnings.push('UCS2 user data has an odd number of octets; the last is ignored');
    const { text, units } = decodeUtf16BEKeep(bytes, body, udEnd);
    return units === undefined ? { udl, encoding, text, udh, used } : { udl, encoding, text, units, udh, used };
  }
  return { udl, encoding: '8bit', text: null, data: bytes.slice(body, udEnd), udh, used };
}

/** 23.040 9.2.3.12.1: relative validity period octet to minutes. */
export function relativeMinutes(v: number): number {
  if (v <= 143) return (v + 1) * 5;
  if (v <= 167) return 720 + (v - 143) * 30;
  if (v <= 196) return (v - 166) * 1440;
  return (v - 192) * 10080;
}

/** 23.040 9.2.3.12.3: enhanced validity period. */
function enhancedValidity(raw: Uint8Array): Validity {
  const fmt = raw[0]! & 7;
  const singleShot = (raw[0]! & 0x40) !== 0;
  let minutes: number | null = null;
  if (fmt === 1) minutes = relativeMinutes(raw[1]!);
  else if (fmt === 2) minutes = raw[1]! / 60;
  else if (fmt === 3) {
    const d = (o: number) => (o & 0xf) * 10 + (o >> 4);
    minutes = d(raw[1]!) * 60 + d(raw[2]!) + d(raw[3]!) / 60;
  }
  return { format: 'enhanced', minutes, singleShot, raw };
}
