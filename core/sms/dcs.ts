// 23.038 clause 4: SMS data coding scheme.
import type { Dcs, Encoding } from './types.ts';

const MWI_KINDS = ['voicemail', 'fax', 'email', 'other'] as const;
const ALPHABETS: Encoding[] = ['gsm7', '8bit', 'ucs2', 'gsm7']; // 11 is reserved: treated as the default alphabet
const cache: Dcs[] = [];

/** Parses a DCS octet. Reserved codings are read as the GSM 7-bit default alphabet, as 23.038 clause 4 requires. */
export function parseDcs(raw: number): Dcs {
  const hit = cache[raw];
  if (hit) return hit;
  const group = raw >> 4;
  let dcs: Dcs;
  if (group <= 7) {
    // 00xx / 01xx: general data coding (01xx also marks automatic deletion); bit 4 says bits 1-0 are a class.
    dcs = {
      raw, encoding: ALPHABETS[(raw >> 2) & 3]!, class: raw & 0x10 ? (raw & 3) as 0 | 1 | 2 | 3 : null,
      compressed: (raw & 0x20) !== 0, autoDelete: group >= 4, mwi: null,
    };
  } else if (group >= 0xc && group <= 0xe) {
    // 1100 discard, 1101 store (GSM 7-bit), 1110 store (UCS2): message waiting indication groups.
    dcs = {
      raw, encoding: group === 0xe ? 'ucs2' : 'gsm7', class: null, compressed: false, autoDelete: false,
      mwi: { active: (raw & 8) !== 0, kind: MWI_KINDS[raw & 3]!, store: group !== 0xc },
    };
  } else if (group === 0xf) {
    // 1111: bit 3 reserved, bit 2 selects 8-bit data, bits 1-0 the class.
    dcs = { raw, encoding: raw & 4 ? '8bit' : 'gsm7', class: (raw & 3) as 0 | 1 | 2 | 3, compressed: false, autoDelete: false, mwi: null };
  } else {
    // 1000-1011: reserved coding groups.
    dcs = { raw, encoding: 'gsm7', class: null, compressed: false, autoDelete: false, mwi: null };
  }
  if (dcs.mwi) Object.freeze(dcs.mwi);
  cache[raw] = Object.freeze(dcs);
  return dcs;
}
