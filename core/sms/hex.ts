// Hex <-> bytes for PDUs as modems print them.
import { Buffer } from 'node:buffer';

const HEX = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX[i] = (i.toString(16).toUpperCase().padStart(2, '0').charCodeAt(0) << 8) | i.toString(16).toUpperCase().padStart(2, '0').charCodeAt(1);

let scratch = new Uint8Array(512);

/** Upper-case hex of `bytes[start..end)`. */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = (end - start) * 2;
  if (scratch.length < n) scratch = new Uint8Array(n * 2);
  const out = scratch;
  for (let i = start, j = 0; i < end; i++, j += 2) {
    const h = HEX[bytes[i]!]!;
    out[j] = h >> 8;
    out[j + 1] = h & 0xff;
  }
  return Buffer.prototype.latin1Slice.call(out, 0, n) as string;
}

/**
 * Bytes of the longest leading run of hex pairs in `hex` (either case). `stop` is the character index
 * where parsing stopped: hex.length when the whole string was hex, otherwise the first junk character.
 */
export function fromHex(hex: string): { bytes: Uint8Array; stop: number } {
  const bytes: Uint8Array = Buffer.from(hex, 'hex');
  return { bytes, stop: bytes.length * 2 };
}
