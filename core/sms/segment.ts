// 23.040 9.2.3.16 / 9.2.3.24.1: how text splits into parts. A part's user data holds 140 octets; a
// concatenation header takes 6 octets (8-bit reference) or 7 (16-bit), which in GSM 7-bit costs 7 or 8
// septets once the fill bits are counted: 160/153/152 septets, 70/67/66 UCS2 code units.
import { SmsEncodeError } from './errors.ts';
import { gsm7Length, gsm7Width } from './gsm7.ts';

export type TextEncodingChoice = 'auto' | 'gsm7' | 'ucs2';

export interface TextPlan {
  encoding: 'gsm7' | 'ucs2';
  /** [from, to) code-unit ranges of `text`, one per part. */
  chunks: [number, number][];
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

/** Octets a concatenation IE adds to a UDH (IEI, length, data). */
export function concatIeOctets(ref16: boolean | undefined): number {
  return ref16 ? 6 : 5;
}

/**
 * Picks the encoding and splits `text`. `otherUdh` is the octets of IEs other than concatenation (e.g.
 * 6 for 16-bit ports). An escape sequence or a surrogate pair never straddles two parts.
 */
export function planText(text: string, choice: TextEncodingChoice, ref16: boolean | undefined, otherUdh = 0): TextPlan {
  let septets = -1;
  if (choice !== 'ucs2') {
    septets = gsm7Length(text);
    if (septets < 0 && choice === 'gsm7') {
      throw new SmsEncodeError('E_CHARSET', 'text has characters outside the GSM 7-bit alphabet');
    }
  }
  const encoding = septets >= 0 ? 'gsm7' : 'ucs2';
  const total = encoding === 'gsm7' ? septets : text.length;
  const single = capacity(encoding, otherUdh > 0 ? otherUdh + 1 : 0);
  if (total <= single) return { encoding, chunks: [[0, text.length]], unitsUsed: total, lastUnits: total, perPart: single };
  const per = capacity(encoding, otherUdh + concatIeOctets(ref16) + 1);
  const chunks: [number, number][] = [];
  let from = 0;
  let units = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    let w: number;
    let step = 1;
    if (encoding === 'gsm7') {
      w = gsm7Width(c);
    } else {
      w = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { w = 2; step = 2; }
      }
    }
    if (units + w > per) {
      chunks.push([from, i]);
      from = i;
      units = 0;
    }
    units += w;
    i += step;
  }
  chunks.push([from, text.length]);
  return { encoding, chunks, unitsUsed: total, lastUnits: units, perPart: per };
}

/**
 * How `text` would be sent: the encoding `auto` picks (GSM 7-bit when every character fits, an
 * extension character counting two septets; else UCS2), the number of parts, units used, and units
 * left in the last part.
 *
 * @example segments('hello') // { encoding: 'gsm7', parts: 1, unitsUsed: 5, unitsLeft: 155, perPart: 160 }
 */
export function segments(text: string, opts: { encoding?: TextEncodingChoice; ref16?: boolean } = {}):
  { encoding: 'gsm7' | 'ucs2'; parts: number; unitsUsed: number; unitsLeft: number; perPart: number } {
  const plan = planText(text, opts.encoding ?? 'auto', opts.ref16);
  return {
    encoding: plan.encoding, parts: plan.chunks.length, unitsUsed: plan.unitsUsed,
    unitsLeft: plan.perPart - plan.lastUnits, perPart: plan.perPart,
  };
}
