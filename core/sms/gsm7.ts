// GSM 7-bit text: septet <-> character mapping (23.038 6.2.1) and septet packing (23.038 6.1.2.1.1).
import { Buffer } from 'node:buffer';
import { endianness } from 'node:os';
import { DEFAULT_TABLE, LOCKING_TABLES, SINGLE_TABLES } from './alphabet.ts';

const ESCAPE = 0x1b;
const SPACE = 0x20;
const UNASSIGNED = 0xffff;

/**
 * Char code -> septet for the default alphabet: 0..127 is a default-table septet, 0x100|s is
 * ESC + s from the extension table, -1 is not representable. One flat table keeps encoding a lookup.
 */
const ENCODE = /* @__PURE__ */ (() => {
  const map = new Int16Array(65536).fill(-1);
  const ext = SINGLE_TABLES.get(0)!;
  for (let s = 127; s >= 0; s--) {
    const c = ext.charCodeAt(s);
    if (c !== UNASSIGNED) map[c] = 0x100 | s;
  }
  // Default-table positions win over the extension table (none collide today; the order makes it explicit).
  for (let s = 127; s >= 0; s--) {
    const c = DEFAULT_TABLE.charCodeAt(s);
    if (c !== UNASSIGNED) map[c] = s;
  }
  return map;
})();

/** Septets `ch` needs in the default alphabet (1, or 2 for an extension character), or 0 when it has none. */
export function gsm7Width(code: number): number {
  const v = ENCODE[code]!;
  return v < 0 ? 0 : v > 0xff ? 2 : 1;
}

/** The septet value (0x100|s for ESC+s) of a UTF-16 code unit, -1 when not in the default alphabet. */
export function gsm7Code(code: number): number {
  return ENCODE[code]!;
}

/** Septet count of `text` in the default alphabet, or -1 when some character is not representable. */
export function gsm7Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = ENCODE[text.charCodeAt(i)]!;
    if (v < 0) return -1;
    n += v > 0xff ? 2 : 1;
  }
  return n;
}

let scratch = new Uint16Array(256);

/**
 * Unpacks `count` septets starting `bitOffset` bits into `bytes[start..]` and maps them through the
 * locking-shift table `locking` and single-shift table `single` (national language ids, 0 = default).
 * Septets past `end` are not read: the caller bounds `count`.
 */
export function decodeSeptets(bytes: Uint8Array, start: number, end: number, bitOffset: number, count: number,
  locking = 0, single = 0): string {
  const main = LOCKING_TABLES.get(locking) ?? DEFAULT_TABLE;
  const shift = SINGLE_TABLES.get(single) ?? SINGLE_TABLES.get(0)!;
  if (scratch.length < count) scratch = new Uint16Array(count * 2);
  const out = scratch;
  let n = 0;
  let escaped = false;
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i * 7;
    const at = start + (bit >> 3);
    const sh = bit & 7;
    let v = bytes[at]! >> sh;
    if (sh > 1 && at + 1 < end) v |= bytes[at + 1]! << (8 - sh);
    v &= 0x7f;
    if (escaped) {
      escaped = false;
      // 6.2.1.1: ESC ESC is reserved for a future table (shown as a space); a code the single-shift
      // table does not define is shown from the main table.
      let c = v === ESCAPE ? SPACE : shift.charCodeAt(v);
      if (c === UNASSIGNED) c = main.charCodeAt(v);
      out[n++] = c === UNASSIGNED ? SPACE : c;
    } else if (v === ESCAPE) {
      escaped = true;
    } else {
      const c = main.charCodeAt(v);
      out[n++] = c === UNASSIGNED ? SPACE : c;
    }
  }
  if (escaped) out[n++] = SPACE;
  return fromCodes(out, n);
}

// Strings of more than a few characters are fastest made natively from UTF-16LE bytes; the view over the
// scratch array is rebuilt only when the array grows. Big-endian hosts take the portable path.
const LITTLE_ENDIAN = endianness() === 'LE';
let view: { codes: Uint16Array; bytes: Buffer } | null = null;
// Buffer#ucs2Slice is the unchecked native behind toString('ucs2'); @types/node does not declare it.
const ucs2Slice = (Buffer.prototype as unknown as { ucs2Slice: (this: Buffer, start: number, end: number) => string }).ucs2Slice;

/** String from the first `n` code units of `codes`. */
export function fromCodes(codes: Uint16Array, n: number): string {
  if (n > 16 && LITTLE_ENDIAN) {
    if (view === null || view.codes !== codes) view = { codes, bytes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength) };
    return ucs2Slice.call(view.bytes, 0, n * 2);
  }
  if (n <= 4096) return String.fromCharCode.apply(null, codes.subarray(0, n) as unknown as number[]);
  let s = '';
  for (let i = 0; i < n; i += 4096) {
    s += String.fromCharCode.apply(null, codes.subarray(i, Math.min(n, i + 4096)) as unknown as number[]);
  }
  return s;
}

/**
 * Writes the septets of `text[from..to)` (all representable; check with gsm7Length first) packed into
 * `out` starting at byte `start` after `bitOffset` bits (the fill bits after a UDH, which must be zero
 * in `out`). Returns septets written.
 */
export function packText(text: string, from: number, to: number, out: Uint8Array, start: number, bitOffset: number): number {
  let at = start + (bitOffset >> 3);
  let bits = bitOffset & 7;
  let acc = bits > 0 ? out[at]! & ((1 << bits) - 1) : 0;
  let septets = 0;
  for (let i = from; i < to; i++) {
    let v = ENCODE[text.charCodeAt(i)]!;
    if (v > 0xff) {
      acc |= ESCAPE << bits;
      bits += 7;
      septets++;
      if (bits >= 8) { out[at++] = acc & 0xff; acc >>>= 8; bits -= 8; }
      v &= 0x7f;
    } else if (v < 0) {
      v = 0x3f; // '?' only if the caller skipped the check
    }
    acc |= v << bits;
    bits += 7;
    septets++;
    if (bits >= 8) { out[at++] = acc & 0xff; acc >>>= 8; bits -= 8; }
  }
  if (bits > 0) out[at] = acc & 0xff;
  return septets;
}

/** Bytes needed to hold `septets` septets after `bitOffset` fill bits. */
export function packedLength(septets: number, bitOffset = 0): number {
  return (bitOffset + septets * 7 + 7) >> 3;
}
