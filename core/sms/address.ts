// 23.040 9.1.2.5: address fields (TP-OA, TP-DA, TP-RA) and the SMSC address of 24.011 8.2.5.1.
import { PduDecodeError, SmsEncodeError } from './errors.ts';
import { decodeSeptets, gsm7Length, packText, packedLength } from './gsm7.ts';
import type { Address } from './types.ts';

// 24.008 10.5.4.7: BCD digits 0-9, then * # a b c; 0xF is the filler.
const DIGITS = '0123456789*#abc';
const ALPHANUMERIC = 5;
const INTERNATIONAL = 1;

/** Semi-octet digits of `count` nibbles from `bytes[start..]`, low nibble first; fillers are dropped. */
function readDigits(bytes: Uint8Array, start: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const o = bytes[start + (i >> 1)]!;
    const d = i & 1 ? o >> 4 : o & 0xf;
    if (d !== 0xf) s += DIGITS[d];
  }
  return s;
}

function readNumber(bytes: Uint8Array, toa: number, start: number, digits: number, end: number): Address {
  const ton = (toa >> 4) & 7;
  let number: string;
  if (ton === ALPHANUMERIC) {
    // 9.1.2.5: an alphanumeric address is GSM 7-bit packed; the length still counts semi-octets.
    let septets = Math.floor((digits * 4) / 7);
    // A trailing '@' (septet 0) that an encoder added only to fill the last octet is padding, not text:
    // it is padding when one septet fewer already needs exactly the octets sent.
    if (septets > 0 && packedLength(septets - 1) * 2 === digits && lastSeptet(bytes, start, septets) === 0) septets--;
    number = decodeSeptets(bytes, start, end, 0, septets);
  } else {
    number = readDigits(bytes, start, digits);
    if (ton === INTERNATIONAL && number.length > 0) number = '+' + number;
  }
  return { number, ton, npi: toa & 0xf, toa };
}

function lastSeptet(bytes: Uint8Array, start: number, septets: number): number {
  const bit = (septets - 1) * 7;
  const at = start + (bit >> 3);
  const sh = bit & 7;
  let v = bytes[at]! >> sh;
  if (sh > 1) v |= (bytes[at + 1] ?? 0) << (8 - sh);
  return v & 0x7f;
}

/** Reads a TP address at `p`; returns it and the offset after it. */
export function decodeAddress(bytes: Uint8Array, p: number, end: number, field: string): { address: Address; next: number } {
  if (p + 2 > end) throw new PduDecodeError('truncated', p, `${field} address is cut off`);
  const digits = bytes[p]!;
  // At most 20 semi-octets (10 octets of digits) fit in an address field.
  if (digits > 20) throw new PduDecodeError('invalid_length', p, `${field} address length ${digits} exceeds 20 digits`);
  const octets = (digits + 1) >> 1;
  const next = p + 2 + octets;
  if (next > end) throw new PduDecodeError('truncated', p, `${field} address is cut off`);
  return { address: readNumber(bytes, bytes[p + 1]!, p + 2, digits, next), next };
}

/** Reads the SMSC field at 0 (its length counts octets, TOA included; 0 means none). */
export function decodeSmsc(bytes: Uint8Array, end: number): { smsc: Address | null; next: number } {
  if (end < 1) throw new PduDecodeError('truncated', 0, 'empty PDU');
  const octets = bytes[0]!;
  if (octets === 0) return { smsc: null, next: 1 };
  if (octets > 11) throw new PduDecodeError('invalid_length', 0, `SMSC length ${octets} exceeds 11 octets`);
  const next = 1 + octets;
  if (next > end) throw new PduDecodeError('truncated', 0, 'SMSC address is cut off');
  return { smsc: readNumber(bytes, bytes[1]!, 2, (octets - 1) * 2, next), next };
}

/** Semi-octet value of each character that may appear in a number (24.008 10.5.4.7), -1 otherwise. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < DIGITS.length; i++) NIBBLE[DIGITS.charCodeAt(i)] = i;

/** True for 1-20 BCD digits with an optional leading `+`. */
function diallable(number: string): boolean {
  const start = number.charCodeAt(0) === 0x2b ? 1 : 0;
  const n = number.length - start;
  if (n < 1 || n > 20) return false;
  for (let i = start; i < number.length; i++) {
    const c = number.charCodeAt(i);
    if (c > 127 || NIBBLE[c]! < 0) return false;
  }
  return true;
}

/** Bytes of a TP address field for `number` (`+` = international; letters other than *#abc = alphanumeric). */
export function encodeAddress(number: string, allowAlphanumeric: boolean): Uint8Array {
  if (diallable(number)) {
    const intl = number.charCodeAt(0) === 0x2b ? 1 : 0;
    const count = number.length - intl;
    const out = new Uint8Array(2 + ((count + 1) >> 1));
    out[0] = count;
    out[1] = intl ? 0x91 : 0x81;
    writeDigits(number, intl, out, 2);
    return out;
  }
  const septets = gsm7Length(number);
  if (!allowAlphanumeric || septets < 1 || septets > 11) {
    throw new SmsEncodeError('invalid_address', 'address must be 1-20 digits, optionally with a leading +' +
      (allowAlphanumeric ? ', or 1-11 GSM 7-bit characters' : ''));
  }
  const octets = packedLength(septets);
  const out = new Uint8Array(2 + octets);
  out[0] = Math.ceil((septets * 7) / 4);
  out[1] = 0xd0; // TON 5 alphanumeric, NPI 0
  packText(number, 0, number.length, out, 2, 0);
  return out;
}

/** Bytes of the SMSC field: `00` (use the SIM's SMSC) when `number` is absent. */
export function encodeSmsc(number: string | undefined): Uint8Array {
  if (number === undefined || number === '') return new Uint8Array(1);
  if (!diallable(number)) throw new SmsEncodeError('invalid_address', 'SMSC must be 1-20 digits, optionally with a leading +');
  const tp = encodeAddress(number, false);
  tp[0] = tp.length - 1;
  return tp;
}

function writeDigits(number: string, from: number, out: Uint8Array, start: number): void {
  for (let i = 0; i < number.length - from; i++) {
    const d = NIBBLE[number.charCodeAt(from + i)]!;
    const at = start + (i >> 1);
    if (i & 1) out[at] = (out[at]! & 0x0f) | (d << 4);
    else out[at] = 0xf0 | d;
  }
}

/** Semi-octet BCD encode of two decimal digits, low digit first on the wire (23.040 9.1.2.3). */
export function swapBcd(value: number): number {
  return ((value % 10) << 4) | Math.floor(value / 10) % 10;
}
