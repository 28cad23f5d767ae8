// SMPP's short_message octets ⇄ text. SMPP 3.4 5.2.19 data_coding: 0 is the SMSC's default
// alphabet, which for a GSM SMSC (and in Kannel, Jasmin and most clients) is GSM 03.38 (23.038 6.2.1)
// one septet per octet, unpacked; 1 IA5 (ASCII), 3 Latin-1, 8 UCS2 (UTF-16 big-endian). The GSM
// tables are the project's own (core/sms/alphabet.ts).
import { DEFAULT_TABLE, SINGLE_TABLES } from '../../core/sms/alphabet.ts';
import { gsm7Code } from '../../core/sms/gsm7.ts';
import { planText } from '../../core/sms/segment.ts';

const ESC = 0x1b;
const UNASSIGNED = 0xffff;
const EXTENSION = SINGLE_TABLES.get(0)!;

/** The data_coding values whose text the agent reads; others are answered ESME_RINVDCS. */
export type TextCoding = 'gsm' | 'ascii' | 'latin1' | 'ucs2';

/** The alphabet a data_coding names, or undefined when the agent does not take it (binary, Cyrillic, JIS, ...). */
export function textCoding(dataCoding: number): TextCoding | undefined {
  switch (dataCoding) {
    case 0x00:
      return 'gsm';
    case 0x01:
      return 'ascii';
    case 0x03:
      return 'latin1';
    case 0x08:
      return 'ucs2';
  }
  // 23.038 4: 1111xxxx with bit 2 clear is the GSM 7-bit alphabet with a message class.
  if ((dataCoding & 0xf4) === 0xf0) return 'gsm';
  return undefined;
}

/** Thrown for octets that are no text in their alphabet (an odd UCS2 length, a lone surrogate). */
export class TextError extends Error {
  override name = 'TextError';
}

/**
 * The text of `octets` in `coding`. GSM: an ESC followed by an extension-table septet is that
 * character; an octet above 0x7F or an unknown escape is read leniently (as '?' and as the plain
 * character after it: 23.038 6.2.1.1 says a receiver shows the default-table character).
 *
 * @example
 * decodeText(Buffer.from([0x48, 0x69, 0x1b, 0x65]), 'gsm') // 'Hi€'
 */
export function decodeText(octets: Uint8Array, coding: TextCoding): string {
  switch (coding) {
    case 'ucs2': {
      if (octets.length % 2) throw new TextError('UCS2 text has an odd number of octets');
      const text = Buffer.from(octets).swap16().toString('utf16le');
      return text;
    }
    case 'latin1':
      return Buffer.from(octets).toString('latin1');
    case 'ascii':
      return Buffer.from(octets).toString('latin1').replace(/[\x80-\xff]/g, '?');
    case 'gsm': {
      let out = '';
      for (let i = 0; i < octets.length; i++) {
        const o = octets[i]!;
        if (o > 0x7f) {
          out += '?';
        } else if (o === ESC) {
          const next = octets[i + 1];
          if (next === undefined) continue; // a trailing ESC: nothing to show
          i++;
          const ext = EXTENSION.charCodeAt(next & 0x7f);
          out += ext === UNASSIGNED ? DEFAULT_TABLE[next & 0x7f] : String.fromCharCode(ext);
        } else {
          out += DEFAULT_TABLE[o];
        }
      }
      return out;
    }
  }
}

/**
 * Octets of `text` in the GSM default alphabet, unpacked (one septet per octet, ESC before an
 * extension character), or undefined when a character has no septet.
 */
export function encodeGsm(text: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const v = gsm7Code(text.charCodeAt(i));
    if (v < 0) return undefined;
    if (v > 0xff) out.push(ESC, v & 0x7f);
    else out.push(v);
  }
  return Buffer.from(out);
}

/** Octets of `text` in UCS2 (UTF-16 big-endian). */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

/**
 * `text` as a client gets it: GSM (data_coding 0) when every character has a septet, else UCS2 (8),
 * split into the parts a handset would get (153 septets / 67 UCS2 units with an 8-bit reference
 * header; never an escape or a surrogate pair across two parts).
 */
export function encodeForClient(text: string): { dataCoding: 0 | 8; whole: Buffer; parts: Buffer[] } {
  const plan = planText(text, 'auto', false);
  const encode = plan.encoding === 'gsm7' ? (s: string) => encodeGsm(s)! : encodeUcs2;
  return {
    dataCoding: plan.encoding === 'gsm7' ? 0 : 8,
    whole: encode(text),
    parts: plan.chunks.map(([from, to]) => encode(text.slice(from, to))),
  };
}

export interface Concat {
  ref: number;
  total: number;
  seq: number;
}

/**
 * Splits a short_message whose esm_class has the UDHI bit (0x40) into its concatenation IE (23.040
 * 9.2.3.24.1 8-bit reference, 9.2.3.24.8 16-bit) and the text octets. Other IEs are skipped.
 * Throws TextError when the header overruns the message.
 */
export function splitUdh(octets: Uint8Array): { concat?: Concat; body: Uint8Array } {
  const udhl = octets[0];
  if (udhl === undefined || udhl + 1 > octets.length) throw new TextError('the user data header is longer than the message');
  let concat: Concat | undefined;
  for (let p = 1; p < udhl + 1;) {
    const iei = octets[p]!;
    const len = octets[p + 1];
    if (len === undefined || p + 2 + len > udhl + 1) throw new TextError('an information element runs past the user data header');
    const d = octets.subarray(p + 2, p + 2 + len);
    if (iei === 0x00 && len === 3) concat = { ref: d[0]!, total: d[1]!, seq: d[2]! };
    if (iei === 0x08 && len === 4) concat = { ref: (d[0]! << 8) | d[1]!, total: d[2]!, seq: d[3]! };
    p += 2 + len;
  }
  return { ...(concat ? { concat } : {}), body: octets.subarray(udhl + 1) };
}

/** The 6-octet UDH of part `seq` of `total` with 8-bit reference `ref` (23.040 9.2.3.24.1). */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}
