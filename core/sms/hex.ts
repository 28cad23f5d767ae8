// Hex <-> bytes for PDUs as modems print them.
import { Buffer } from 'node:buffer';
import { endianness } from 'node:os';

// Each byte's two hex digits as one 16-bit store: the first digit must land in the lower address, so the
// pair is byte-swapped on little-endian hosts.
const LE = endianness() === 'LE';
const PAIRS = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  const hi = '0123456789ABCDEF'.charCodeAt(i >> 4);
  const lo = '0123456789ABCDEF'.charCodeAt(i & 15);
  PAIRS[i] = LE ? (lo << 8) | hi : (hi << 8) | lo;
}

let scratch = new Uint16Array(256);
let scratchBytes = Buffer.from(scratch.buffer);
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Buffer, start: number, end: number) => string }).latin1Slice;

/** Upper-case hex of `bytes[start..end)`. */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (scratch.length < n) {
    scratch = new Uint16Array(n * 2);
    scratchBytes = Buffer.from(scratch.buffer);
  }
  const out = scratch;
  for (let i = 0; i < n; i++) out[i] = PAIRS[bytes[start + i]!]!;
  return latin1Slice.call(scratchBytes, 0, n * 2);
}

/**
 * Bytes of the longest leading run of hex pairs in `hex` (either case). `stop` is the character index
 * where parsing stopped: hex.length when the whole string was hex, otherwise the first junk character.
 */
export function fromHex(hex: string): { bytes: Uint8Array; stop: number } {
  const bytes: Uint8Array = Buffer.from(hex, 'hex');
  return { bytes, stop: bytes.length * 2 };
}
