// 23.040 9.2.3.24: the user data header, a list of information elements (IEI, length, data).
import { PduDecodeError } from './errors.ts';
import type { Concat, InformationElement } from './types.ts';

export interface Udh {
  ies: InformationElement[];
  concat: Concat | null;
  port?: { src: number; dst: number };
  language?: { single?: number; locking?: number };
}

/** Parses the IEs in `bytes[p..end)` (after the UDHL octet). */
export function parseUdh(bytes: Uint8Array, p: number, end: number, warnings: string[]): Udh {
  const udh: Udh = { ies: [], concat: null };
  let q = p;
  while (q < end) {
    if (q + 2 > end) throw new PduDecodeError('invalid_udh', q, 'information element header overruns the UDH');
    const iei = bytes[q]!;
    const len = bytes[q + 1]!;
    const data = q + 2;
    if (data + len > end) throw new PduDecodeError('invalid_udh', q, `information element ${iei} overruns the UDH`);
    udh.ies.push({ iei, data: bytes.slice(data, data + len) });
    // A repeated IE: 9.2.3.24 says the last occurrence is used.
    if ((iei === 0x00 && len === 3) || (iei === 0x08 && len === 4)) {
      const ref16 = iei === 0x08;
      const ref = ref16 ? (bytes[data]! << 8) | bytes[data + 1]! : bytes[data]!;
      const total = bytes[data + (ref16 ? 2 : 1)]!;
      const part = bytes[data + (ref16 ? 3 : 2)]!;
      // 9.2.3.24.1: a zero count, zero sequence number or one past the count voids the IE.
      if (total === 0 || part === 0 || part > total) warnings.push(`concatenation IE ignored (part ${part} of ${total})`);
      else udh.concat = ref16 ? { ref, total, part, ref16: true } : { ref, total, part };
    } else if (iei === 0x04 && len === 2) {
      udh.port = { dst: bytes[data]!, src: bytes[data + 1]! };
    } else if (iei === 0x05 && len === 4) {
      udh.port = { dst: (bytes[data]! << 8) | bytes[data + 1]!, src: (bytes[data + 2]! << 8) | bytes[data + 3]! };
    } else if ((iei === 0x24 || iei === 0x25) && len === 1) {
      udh.language ??= {};
      if (iei === 0x24) udh.language.single = bytes[data]!;
      else udh.language.locking = bytes[data]!;
    }
    q = data + len;
  }
  return udh;
}
