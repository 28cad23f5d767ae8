// 23.040 9.2.2: building SMS-SUBMIT (what AT+CMGS sends), SMS-DELIVER and SMS-STATUS-REPORT (what the
// simulator hands to the agent). Every PDU starts with the SMSC field (27.005 3.1: `00` = the SIM's SMSC).
import { randomInt } from 'node:crypto';
import { encodeAddress, encodeSmsc } from './address.ts';
import { SmsEncodeError } from './errors.ts';
import { packText, packedLength } from './gsm7.ts';
import { toHex } from './hex.ts';
import { capacity, concatIeOctets, planText, PORT_IE_OCTETS, type TextEncodingChoice } from './segment.ts';
import { encodeTimestamp } from './time.ts';
import type { Concat } from './types.ts';
import { writeUtf16BE } from './ucs2.ts';

export interface EncodedPart { pdu: string; tpduLength: number }

export interface SubmitOptions {
  to: string;
  text: string;
  encoding?: TextEncodingChoice;
  /** TP-SRR: ask for an SMS-STATUS-REPORT. */
  statusReport?: boolean;
  /** Relative validity period (rounded up to what 9.2.3.12.1 can express, at most 63 weeks). */
  validityMinutes?: number;
  /** Class 0 (flash): shown, not stored. */
  class0?: boolean;
  /** Use 16-bit concatenation references (IEI 0x08). */
  ref16?: boolean;
  /** Concatenation reference; a fresh one per message by default. */
  concatRef?: number;
  smsc?: string;
  /** TP-MR; modems usually replace it (0 by default). */
  mr?: number;
}

export interface DeliverOptions {
  from: string;
  text?: string;
  data?: Uint8Array;
  port?: { src: number; dst: number };
  encoding?: TextEncodingChoice;
  timestamp?: Date | string;
  tzQuarterHours?: number;
  class?: 0 | 1 | 2 | 3;
  concatRef?: number;
  ref16?: boolean;
  smsc?: string;
}

export interface StatusReportOptions {
  mr: number;
  recipient: string;
  scts: Date | string;
  dischargeTime: Date | string;
  status: number;
  smsc?: string;
  tzQuarterHours?: number;
}

let nextRef8 = randomInt(256);
let nextRef16 = randomInt(65536);

function concatRef(opts: { concatRef?: number; ref16?: boolean }): number {
  if (opts.concatRef !== undefined) {
    const max = opts.ref16 ? 0xffff : 0xff;
    if (!Number.isInteger(opts.concatRef) || opts.concatRef < 0 || opts.concatRef > max) {
      throw new SmsEncodeError('out_of_range', `concatRef must be 0..${max}`);
    }
    return opts.concatRef;
  }
  if (opts.ref16) return (nextRef16 = (nextRef16 + 1) & 0xffff);
  return (nextRef8 = (nextRef8 + 1) & 0xff);
}

function byteRange(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new SmsEncodeError('out_of_range', `${name} must be 0..255`);
  return value;
}

/** 23.040 9.2.3.12.1: the relative validity octet for at least `minutes`. */
export function relativeValidity(minutes: number): number {
  if (!(minutes > 0) || minutes > 635040) throw new SmsEncodeError('out_of_range', 'validity must be 1 minute to 63 weeks');
  if (minutes <= 720) return Math.max(0, Math.ceil(minutes / 5) - 1);
  if (minutes <= 1440) return 143 + Math.ceil((minutes - 720) / 30);
  if (minutes <= 30 * 1440) return 166 + Math.ceil(minutes / 1440);
  return 192 + Math.ceil(minutes / 10080);
}

// PDUs are built in one scratch buffer and leave as hex, so encoding allocates no bytes per part.
// The largest PDU is 12 (SMSC) + 164 (TPDU) octets.
const buf = new Uint8Array(256);

function put(bytes: Uint8Array, p: number): number {
  for (let i = 0; i < bytes.length; i++) buf[p + i] = bytes[i]!;
  return p + bytes.length;
}

/**
 * Writes TP-UDL and the user data at `p`: the UDH (concatenation and/or ports), then text[from..to)
 * of `units` septets/code units or `data`. Returns the end offset.
 */
function putUserData(p: number, encoding: 'gsm7' | 'ucs2' | '8bit', concat: Concat | null,
  port: { src: number; dst: number } | undefined, text: string, from: number, to: number, data: Uint8Array | undefined): number {
  const udl = p;
  const ud = p + 1;
  let q = ud;
  if (concat || port) {
    q++; // UDHL, filled below
    if (port) {
      // 16-bit port addressing (9.2.3.24.4) also covers 8-bit port numbers.
      buf[q++] = 0x05; buf[q++] = 4;
      buf[q++] = port.dst >> 8; buf[q++] = port.dst & 0xff; buf[q++] = port.src >> 8; buf[q++] = port.src & 0xff;
    }
    if (concat) {
      if (concat.ref16) { buf[q++] = 0x08; buf[q++] = 4; buf[q++] = (concat.ref >> 8) & 0xff; }
      else { buf[q++] = 0x00; buf[q++] = 3; }
      buf[q++] = concat.ref & 0xff; buf[q++] = concat.total; buf[q++] = concat.part;
    }
    buf[ud] = q - ud - 1;
  }
  const udhOctets = q - ud;
  if (encoding === 'gsm7') {
    // Fill bits after the UDH up to a septet boundary (9.2.3.24) are zero.
    const headerSeptets = Math.ceil((udhOctets * 8) / 7);
    buf[q] = 0;
    const septets = packText(text, from, to, buf, ud, headerSeptets * 7);
    buf[udl] = headerSeptets + septets;
    return ud + packedLength(headerSeptets + septets);
  }
  if (encoding === 'ucs2') {
    const n = writeUtf16BE(text, from, to, buf, q);
    buf[udl] = udhOctets + n;
    return q + n;
  }
  q = put(data!, q);
  buf[udl] = q - ud;
  return q;
}

/**
 * SMS-SUBMIT PDUs for `text`, one per part, each with the TPDU length AT+CMGS needs.
 *
 * @example encodeSubmit({ to: '+4915112345678', text: 'hi' }).parts[0] // { pdu: '0001000D91...', tpduLength: 17 }
 */
export function encodeSubmit(opts: SubmitOptions): { encoding: 'gsm7' | 'ucs2'; parts: EncodedPart[] } {
  const smsc = encodeSmsc(opts.smsc);
  const da = encodeAddress(opts.to, false);
  const mr = byteRange(opts.mr, 'mr', 0);
  const plan = planText(opts.text, opts.encoding ?? 'auto', opts.ref16);
  const total = plan.chunks.length;
  if (total > 255) throw new SmsEncodeError('too_long', `text needs ${total} parts; at most 255 are possible`);
  const ref = total > 1 ? concatRef(opts) : 0;
  const vp = opts.validityMinutes !== undefined ? relativeValidity(opts.validityMinutes) : -1;
  // 23.038 clause 4: 00 GSM 7-bit, 08 UCS2; with bit 4 set the low bits carry the class (0 = flash).
  const dcs = (plan.encoding === 'ucs2' ? 0x08 : 0x00) | (opts.class0 ? 0x10 : 0);
  const parts: EncodedPart[] = [];
  // 9.2.3.1-9.2.3.5: MTI 01, VPF 10 (relative) when a validity is given, SRR, UDHI.
  const fo = 0x01 | (vp >= 0 ? 0x10 : 0) | (opts.statusReport ? 0x20 : 0) | (total > 1 ? 0x40 : 0);
  for (let i = 0; i < total; i++) {
    const [from, to] = plan.chunks[i]!;
    const concat: Concat | null = total > 1 ? { ref, total, part: i + 1, ref16: opts.ref16 } : null;
    let p = put(smsc, 0);
    buf[p++] = fo;
    buf[p++] = mr;
    p = put(da, p);
    buf[p++] = 0x00;
    buf[p++] = dcs;
    if (vp >= 0) buf[p++] = vp;
    p = putUserData(p, plan.encoding, concat, undefined, opts.text, from, to, undefined);
    parts.push({ pdu: toHex(buf, 0, p), tpduLength: p - smsc.length });
  }
  return { encoding: plan.encoding, parts };
}

/** SMS-DELIVER PDUs (one per part) as a service centre would hand them to a phone. */
export function encodeDeliver(opts: DeliverOptions): EncodedPart[] {
  const smsc = encodeSmsc(opts.smsc);
  const oa = encodeAddress(opts.from, true);
  const scts = new Uint8Array(7);
  encodeTimestamp(opts.timestamp ?? new Date(), opts.tzQuarterHours, scts, 0);
  if (opts.port) {
    for (const v of [opts.port.src, opts.port.dst]) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new SmsEncodeError('out_of_range', 'ports must be 0..65535');
    }
  }
  const portUdh = opts.port ? PORT_IE_OCTETS : 0;
  let encoding: 'gsm7' | 'ucs2' | '8bit';
  let chunks: [number, number][];
  const text = opts.text ?? '';
  if (opts.data) {
    encoding = '8bit';
    const single = capacity('8bit', portUdh ? portUdh + 1 : 0);
    const per = capacity('8bit', portUdh + concatIeOctets(opts.ref16) + 1);
    chunks = [];
    if (opts.data.length <= single) chunks.push([0, opts.data.length]);
    else for (let i = 0; i < opts.data.length; i += per) chunks.push([i, Math.min(opts.data.length, i + per)]);
  } else {
    const plan = planText(text, opts.encoding ?? 'auto', opts.ref16, portUdh);
    encoding = plan.encoding;
    chunks = plan.chunks;
  }
  const total = chunks.length;
  if (total > 255) throw new SmsEncodeError('too_long', `message needs ${total} parts; at most 255 are possible`);
  if (opts.class !== undefined && ![0, 1, 2, 3].includes(opts.class)) throw new SmsEncodeError('out_of_range', 'class must be 0..3');
  const ref = total > 1 ? concatRef(opts) : 0;
  const dcs = (encoding === 'ucs2' ? 0x08 : encoding === '8bit' ? 0x04 : 0) | (opts.class !== undefined ? 0x10 | opts.class : 0);
  const parts: EncodedPart[] = [];
  // MTI 00, TP-MMS set (no more messages), UDHI when there is a header.
  const fo = 0x04 | (total > 1 || opts.port ? 0x40 : 0);
  for (let i = 0; i < total; i++) {
    const [from, to] = chunks[i]!;
    const concat: Concat | null = total > 1 ? { ref, total, part: i + 1, ref16: opts.ref16 } : null;
    let p = put(smsc, 0);
    buf[p++] = fo;
    p = put(oa, p);
    buf[p++] = 0x00;
    buf[p++] = dcs;
    p = put(scts, p);
    p = putUserData(p, encoding, concat, opts.port, text, from, to, opts.data?.subarray(from, to));
    parts.push({ pdu: toHex(buf, 0, p), tpduLength: p - smsc.length });
  }
  return parts;
}

/** An SMS-STATUS-REPORT (23.040 9.2.2.3) for the message with reference `mr`. */
export function encodeStatusReport(opts: StatusReportOptions): EncodedPart {
  const smsc = encodeSmsc(opts.smsc);
  const mr = byteRange(opts.mr, 'mr', 0);
  const status = byteRange(opts.status, 'status', 0);
  const ra = encodeAddress(opts.recipient, false);
  const times = new Uint8Array(15);
  encodeTimestamp(opts.scts, opts.tzQuarterHours, times, 0);
  encodeTimestamp(opts.dischargeTime, opts.tzQuarterHours, times, 7);
  times[14] = status;
  // MTI 10, TP-MMS set, TP-SRQ 0 (reporting on an SMS-SUBMIT); no TP-PI.
  let p = put(smsc, 0);
  buf[p++] = 0x06;
  buf[p++] = mr;
  p = put(ra, p);
  p = put(times, p);
  return { pdu: toHex(buf, 0, p), tpduLength: p - smsc.length };
}
