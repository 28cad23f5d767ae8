// 27.007 7.15 +CUSD strings: with a GSM 7-bit DCS, modems in PDU-ish mode print the packed septets as
// hex (23.038 6.1.2.3: USSD packing, with CR padding in 6.1.2.3.1); with UCS2 they print UTF-16BE hex.
import { PduDecodeError, SmsEncodeError } from './errors.ts';
import { decodeSeptets, gsm7Length, packText, packedLength } from './gsm7.ts';
import { fromHex, toHex } from './hex.ts';
import { decodeUtf16BE } from './ucs2.ts';

const CR = 0x0d;

function bytesOf(hex: string): Uint8Array {
  const clean = hex.trim();
  const { bytes, stop } = fromHex(clean);
  if (stop < clean.length) throw new PduDecodeError('invalid_hex', bytes.length, 'not an even-length hex string');
  return bytes;
}

/** Text of packed GSM 7-bit hex; a CR that only pads the last octet (6.1.2.3.1) is dropped. */
export function decodeGsm7Packed(hex: string): string {
  const bytes = bytesOf(hex);
  let count = Math.floor((bytes.length * 8) / 7);
  if (count > 0 && count % 8 === 0 && bytes[bytes.length - 1]! >> 1 === CR) count--;
  return decodeSeptets(bytes, 0, bytes.length, 0, count);
}

/** Packed GSM 7-bit hex of `text`, CR-padded per 6.1.2.3.1 so the receiver cannot read a stray '@'. */
export function encodeGsm7Packed(text: string): string {
  const septets = gsm7Length(text);
  if (septets < 0) throw new SmsEncodeError('charset', 'text has characters outside the GSM 7-bit alphabet');
  const endsWithCr = text.length > 0 && text.charCodeAt(text.length - 1) === CR;
  const padded = septets % 8 === 7 || (endsWithCr && septets % 8 === 0) ? text + '\r' : text;
  const total = septets + (padded === text ? 0 : 1);
  const out = new Uint8Array(packedLength(total));
  packText(padded, 0, padded.length, out, 0, 0);
  return toHex(out);
}

/** Text of UCS2 (UTF-16BE) hex; dangling surrogates become U+FFFD. */
export function decodeUcs2Hex(hex: string): string {
  const bytes = bytesOf(hex);
  return decodeUtf16BE(bytes, 0, bytes.length & ~1);
}
