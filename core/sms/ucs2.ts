// UCS2 user data (23.038 6.2.3), read as UTF-16BE so surrogate pairs carry characters beyond the BMP.
import { fromCodes } from './gsm7.ts';

let scratch = new Uint16Array(128);

/**
 * Decodes big-endian UTF-16 from `bytes[start..end)`. A surrogate without its partner becomes U+FFFD
 * (never throws); an odd final byte is ignored by the caller's length arithmetic.
 */
export function decodeUtf16BE(bytes: Uint8Array, start: number, end: number): string {
  return decodeUtf16BEKeep(bytes, start, end).text;
}

/**
 * As decodeUtf16BE, and when a surrogate has no partner in this range, also `units`: the code units as
 * they came, lone surrogates kept. A sender that does not keep surrogate pairs together (23.038 6.2.3
 * allows any UCS2 split) puts half an emoji at the end of one part and half at the start of the next:
 * joined by units, the parts give the character back.
 */
export function decodeUtf16BEKeep(bytes: Uint8Array, start: number, end: number): { text: string; units?: string } {
  const n = (end - start) >> 1;
  if (scratch.length < n) scratch = new Uint16Array(n * 2);
  const out = scratch;
  for (let i = 0; i < n; i++) out[i] = (bytes[start + 2 * i]! << 8) | bytes[start + 2 * i + 1]!;
  let lone = -1;
  for (let i = 0; i < n; i++) {
    const c = out[i]!;
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < n) {
      const d = out[i + 1]!;
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
    }
    lone = i;
    break;
  }
  if (lone < 0) return { text: fromCodes(out, n) };
  const units = fromCodes(out, n);
  for (let i = lone; i < n; i++) {
    const c = out[i]!;
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < n) {
      const d = out[i + 1]!;
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
    }
    out[i] = 0xfffd;
  }
  return { text: fromCodes(out, n), units };
}

/** Writes `text[from..to)` as UTF-16BE into `out` at `start`; returns the bytes written. */
export function writeUtf16BE(text: string, from: number, to: number, out: Uint8Array, start: number): number {
  let at = start;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    out[at++] = c >> 8;
    out[at++] = c & 0xff;
  }
  return at - start;
}
