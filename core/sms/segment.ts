// 23.040 9.2.3.16 / 9.2.3.24.1: how text splits into parts. A part's user data holds 140 octets; a
// concatenation header takes 6 octets (8-bit reference) or 7 (16-bit), which in GSM 7-bit costs 7 or 8
// septets once the fill bits are counted: 160/153/152 septets, 70/67/66 UCS2 code units.
import { SmsEncodeError } from './errors.ts';
import { gsm7Width } from './gsm7.ts';

export type TextEncodingChoice = 'auto' | 'gsm7' | 'ucs2';

export interface TextPlan {
  encoding: 'gsm7' | 'ucs2';
  /** [from, to) code-unit ranges of `text`, one per part. */
  chunks: [number, number][];
  /** Units (septets or UTF-16 code units) in each chunk. */
  units: number[];
  unitsUsed: number;
  /** Units in the last part. */
  lastUnits: number;
  /** Capacity of each part (the single-part capacity when there is one part). */
  perPart: number;
}

const UD_OCTETS = 140;

/** Capacity in units of a part whose UDH (UDHL octet included) takes `udhOctets`. */
export function capacity(encoding: 'gsm7' | 'ucs2' | '8bit', udhOctets: number): number {
  if (encoding === 'gsm7') return Math.floor((UD_OCTETS * 8) / 7) - Math.ceil((udhOctets * 8) / 7);
  if (encoding === 'ucs2') return Math.floor((UD_OCTETS - udhOctets) / 2);
  return UD_OCTETS - udhOctets;
}

/** Octets a 16-bit port addressing IE adds to a UDH (IEI 0x05, length, two ports). */
export const PORT_IE_OCTETS = 6;

/** Octets a concatenation IE adds to a UDH (IEI, length, data). */
export function concatIeOctets(ref16: boolean | undefined): number {
  return ref16 ? 6 : 5;
}

/**
 * Picks the encoding and splits `text`. `otherUdh` is the octets of IEs other than concatenation (e.g.
 * 6 for 16-bit ports). An escape sequence or a surrogate pair never straddles two parts.
 */
export function planText(text: string, choice: TextEncodingChoice, ref16: boolean | undefined, otherUdh = 0): TextPlan {
  const n = text.length;
  if (choice !== 'ucs2') {
    // One pass: widths, total, and the multi-part boundaries in case the total exceeds one part.
    const single = capacity('gsm7', otherUdh > 0 ? otherUdh + 1 : 0);
    const per = capacity('gsm7', otherUdh + concatIeOctets(ref16) + 1);
    const chunks: [number, number][] = [];
    const sizes: number[] = [];
    let from = 0;
    let units = 0;
    let total = 0;
    let i = 0;
    for (; i < n; i++) {
      const w = gsm7Width(text.charCodeAt(i));
      if (w === 0) break;
      if (units + w > per) {
        chunks.push([from, i]);
        sizes.push(units);
        from = i;
        units = 0;
      }
      units += w;
      total += w;
    }
    if (i === n) {
      if (total <= single) return { encoding: 'gsm7', chunks: [[0, n]], units: [total], unitsUsed: total, lastUnits: total, perPart: single };
      chunks.push([from, n]);
      sizes.push(units);
      return { encoding: 'gsm7', chunks, units: sizes, unitsUsed: total, lastUnits: units, perPart: per };
    }
    if (choice === 'gsm7') throw new SmsEncodeError('charset', 'text has characters outside the GSM 7-bit alphabet');
  }
  const single = capacity('ucs2', otherUdh > 0 ? otherUdh + 1 : 0);
  if (n <= single) return { encoding: 'ucs2', chunks: [[0, n]], units: [n], unitsUsed: n, lastUnits: n, perPart: single };
  const per = capacity('ucs2', otherUdh + concatIeOctets(ref16) + 1);
  const chunks: [number, number][] = [];
  const sizes: number[] = [];
  let from = 0;
  let units = 0;
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i);
    // A surrogate pair moves as one: it never straddles two parts.
    const w = c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    if (units + w > per) {
      chunks.push([from, i]);
      sizes.push(units);
      from = i;
      units = 0;
    }
    units += w;
    i += w;
  }
  chunks.push([from, n]);
  sizes.push(units);
  return { encoding: 'ucs2', chunks, units: sizes, unitsUsed: n, lastUnits: units, perPart: per };
}

/**
 * How `text` would be sent: the encoding `auto` picks (GSM 7-bit when every character fits, an
 * extension character counting two septets; else UCS2), the number of parts, units used, and units
 * left in the last part. `port: true` counts a 16-bit port addressing IE as well (as `encodeDeliver({ port })`).
 *
 * @example segments('hello') // { encoding: 'gsm7', parts: 1, unitsUsed: 5, unitsLeft: 155, perPart: 160 }
 */
export function segments(text: string, opts: { encoding?: TextEncodingChoice; ref16?: boolean; port?: boolean } = {}):
  { encoding: 'gsm7' | 'ucs2'; parts: number; unitsUsed: number; unitsLeft: number; perPart: number } {
  // `port`: 16-bit application port addressing (IEI 0x05, 23.040 9.2.3.24.4) takes 6 more UDH octets.
  const plan = planText(text, opts.encoding ?? 'auto', opts.ref16, opts.port ? PORT_IE_OCTETS : 0);
  return {
    encoding: plan.encoding, parts: plan.chunks.length, unitsUsed: plan.unitsUsed,
    unitsLeft: plan.perPart - plan.lastUnits, perPart: plan.perPart,
  };
}
