// GSM 7-bit text: septet <-> character mapping (23.038 6.2.1) and septet packing (23.038 6.1.2.1.1).
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

/** String from the first `n` code units of `codes`, in chunks so apply() never meets a huge array. */
export function fromCodes(codes: Uint16Array, n: number): string {
  if (n <= 4096) return String.fromCharCode.apply(null, codes.subarray(0, n) as unknown as number[]);
  let s = '';
  for (let i = 0; i < n; i += 4096) {
    s += String.fromCharCode.apply(null, codes.subarray(i, Math.min(n, i + 4096)) as unknown as number[]);
  }
  return s;
}

/**
 * Writes the septets of `text[from..to)` (all representable; check with gsm7Length first) packed into
 * `out` starting at byte `start` after `bitOffset` bits (the fill bits after a UDH). Returns septets written.
 */
export function packText(text: string, from: number, to: number, out: Uint8Array, start: number, bitOffset: number): number {
  let bit = bitOffset;
  for (let i = from; i < to; i++) {
    const v = ENCODE[text.charCodeAt(i)]!;
    if (v > 0xff) {
      bit = putSeptet(out, start, bit, ESCAPE);
      bit = putSeptet(out, start, bit, v & 0x7f);
    } else {
      bit = putSeptet(out, start, bit, v < 0 ? 0x3f : v); // '?' only if the caller skipped the check
    }
  }
  return (bit - bitOffset) / 7;
}

function putSeptet(out: Uint8Array, start: number, bit: number, v: number): number {
  const at = start + (bit >> 3);
  const sh = bit & 7;
  out[at] |= (v << sh) & 0xff;
  if (sh > 1) out[at + 1] |= v >> (8 - sh);
  return bit + 7;
}

/** Bytes needed to hold `septets` septets after `bitOffset` fill bits. */
export function packedLength(septets: number, bitOffset = 0): number {
  return (bitOffset + septets * 7 + 7) >> 3;
}
