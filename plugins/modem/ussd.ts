import type { Clock } from '../../core/clock.ts';
import type { UssdResult } from '../../core/services.ts';
import { DEFAULT_TABLE, SINGLE_TABLES } from '../../core/sms/alphabet.ts';
import { decodeGsm7Packed, decodeUcs2Hex, encodeGsm7Packed } from '../../core/sms/index.ts';
import type { AtEngine } from './at.ts';
import { AtError } from './errors.ts';
import { Waitress } from './queue.ts';

export interface CusdLine {
  /** 27.007 7.15 <m>: 0 done, 1 further action required, 2 terminated by network, 3 other client, 4 not supported, 5 timeout. */
  m: number;
  raw: string | null;
  dcs: number | null;
}

/**
 * Parses `+CUSD: <m>[,<str>[,<dcs>]]`; the string may be quoted (and span lines) or, on Huawei,
 * bare hex after a space.
 *
 * @example parseCusd(['+CUSD: 0,"Balance 5.00",15']) // { m: 0, raw: 'Balance 5.00', dcs: 15 }
 */
export function parseCusd(lines: readonly string[]): CusdLine | null {
  const all = lines.join('\n');
  const m = /^\+CUSD:\s*(\d+)\s*(?:,\s*(.*))?$/s.exec(all.trim());
  if (!m) return null;
  const mode = Number(m[1]);
  let rest = m[2];
  if (rest === undefined) return { m: mode, raw: null, dcs: null };
  let raw: string;
  if (rest.startsWith('"')) {
    const close = rest.lastIndexOf('"');
    raw = close > 0 ? rest.slice(1, close) : rest.slice(1);
    rest = close > 0 ? rest.slice(close + 1) : '';
  } else {
    const comma = rest.lastIndexOf(',');
    raw = (comma >= 0 ? rest.slice(0, comma) : rest).trim();
    rest = comma >= 0 ? rest.slice(comma) : '';
  }
  const d = /^\s*,\s*(\d+)/.exec(rest);
  return { m: mode, raw, dcs: d ? Number(d[1]) : null };
}

export type UssdDialect = 'text' | 'hex7';

/** 23.038 clause 5 (CBS/USSD data coding): the alphabet a USSD string is in. */
function alphabetOf(dcs: number | null): 'gsm7' | 'ucs2' | '8bit' | 'unknown' {
  if (dcs === null) return 'unknown';
  const group = dcs >> 4;
  if (group === 0 || group === 2 || group === 3) return 'gsm7';
  if (group === 1) return (dcs & 0x0f) === 1 ? 'ucs2' : 'gsm7';
  if ((group & 0xc) === 0x4 || group === 9) {
    const a = (dcs >> 2) & 3;
    return a === 2 ? 'ucs2' : a === 1 ? '8bit' : 'gsm7';
  }
  if (group === 0xf) return dcs & 0x04 ? '8bit' : 'gsm7';
  return 'unknown';
}

const isHex = (s: string) => s.length > 0 && s.length % 2 === 0 && /^[0-9A-Fa-f]+$/.test(s);

/** The TE character set (27.007 5.5 +CSCS) strings are printed in; `unknown` until set-up says. */
export type Charset = 'GSM' | 'IRA' | 'UCS2' | 'HEX' | 'unknown';

/**
 * 23.038 6.2.1: unpacked GSM 7-bit codes (one per character, 0x1B escaping into the extension table)
 * to text; null when a code is not 7-bit (the modem did not print GSM after all).
 */
export function decodeGsm7Codes(codes: ArrayLike<number>): string | null {
  const ext = SINGLE_TABLES.get(0)!;
  let out = '';
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c > 0x7f) return null;
    // 0x24 is "¤" in 23.038, a sign networks practically never send, while firmwares that print IRA
    // under +CSCS="GSM" put "$" there (balances): read as "$".
    if (c === 0x24) out += '$';
    else if (c === 0x1b && i + 1 < codes.length) {
      const e = ext.charCodeAt(codes[++i]!);
      out += e === 0xffff ? ' ' : String.fromCharCode(e);
    } else out += c === 0x1b ? ' ' : DEFAULT_TABLE[c]!;
  }
  return out;
}

/**
 * UCS2 hex under a GSM 7-bit DCS (networks that mislabel it): whole code units, a third or more of them
 * Latin-1 (high octet 00), no control characters. Text up to a NUL (some networks pad with junk after one).
 */
function ucs2HexText(raw: string): string | null {
  if (raw.length < 8 || raw.length % 4 !== 0 || !isHex(raw)) return null;
  const units = raw.length / 4;
  let latin = 0;
  for (let i = 0; i < raw.length; i += 4) if (raw.startsWith('00', i)) latin++;
  if (latin * 3 < units) return null;
  const text = ucs2Text(raw);
  return /^[^\x00-\x09\x0b\x0c\x0e-\x1f\ufffd]*$/.test(text) ? text : null;
}

/** UTF-16BE hex to text, up to a NUL: what some networks put after it is padding, not text. */
function ucs2Text(raw: string): string {
  const text = decodeUcs2Hex(raw);
  const nul = text.indexOf('\u0000');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/** A GSM 7-bit string some modems print as packed hex whatever +CSCS says: long, hex, and readable once unpacked. */
function packedHexText(raw: string): string | null {
  if (raw.length < 16 || !isHex(raw) || !/[A-Fa-f]/.test(raw)) return null;
  try {
    const text = decodeGsm7Packed(raw);
    return /^[^\x00-\x09\x0b\x0c\x0e-\x1f]*$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

/**
 * The text of a USSD answer, by its DCS (23.038 5) and the TE character set it was printed in
 * (27.007 5.5): Huawei sticks (dialect `hex7`) print GSM 7-bit strings as packed hex; UCS2 strings come
 * as UTF-16BE hex everywhere, and so does anything under +CSCS="UCS2"; under "HEX" each octet is one
 * GSM 7-bit code; under "GSM" each character is one (`w{hlen` is "wählen": 0x7B is ä).
 */
export function decodeUssd(raw: string, dcs: number | null, dialect: UssdDialect, charset: Charset = 'unknown'): string {
  const alphabet = alphabetOf(dcs);
  const gsm7 = alphabet === 'gsm7' || alphabet === 'unknown';
  try {
    if (alphabet === 'ucs2' && isHex(raw) && raw.length % 4 === 0) {
      // 23.038 5: DCS 0x11 is UCS2 "preceded by language", two GSM 7-bit characters that are not text.
      const text = ucs2Text(raw);
      return dcs === 0x11 ? text.slice(1) : text;
    }
    if (dialect === 'hex7' && gsm7 && isHex(raw)) return decodeGsm7Packed(raw);
    if (charset === 'UCS2' && gsm7 && isHex(raw) && raw.length % 4 === 0) return ucs2Text(raw);
    const ucs2 = gsm7 ? ucs2HexText(raw) : null;
    if (ucs2 !== null) return ucs2;
    if (charset === 'HEX' && gsm7 && isHex(raw)) return decodeGsm7Codes(Buffer.from(raw, 'hex')) ?? raw;
    if (charset === 'GSM' && gsm7) return packedHexText(raw) ?? decodeGsm7Codes([...raw].map((c) => c.charCodeAt(0))) ?? raw;
  } catch {
    // Not what the DCS claims: fall back to the string as printed.
  }
  return raw;
}

/**
 * One USSD session at a time (27.007 7.15): `AT+CUSD=1,<str>,15` answers OK, then the network's
 * answer arrives as a `+CUSD:` URC. `+CUSD: 1` leaves the session open for a reply.
 */
export class Ussd {
  readonly #at: AtEngine;
  readonly #answers: Waitress<CusdLine>;
  #dialect: UssdDialect;
  #busy: Promise<unknown> = Promise.resolve();
  #open = false;

  constructor(at: AtEngine, clock: Clock, dialect: UssdDialect = 'text') {
    this.#at = at;
    this.#dialect = dialect;
    this.#answers = new Waitress<CusdLine>(clock);
  }

  set dialect(d: UssdDialect) {
    this.#dialect = d;
  }

  /** The TE character set the modem prints strings in (+CSCS, set up by setup.ts). */
  charset: Charset = 'unknown';

  get sessionOpen(): boolean {
    return this.#open;
  }

  /** Feed every `+CUSD:` URC here. */
  onUrc(lines: string[]): void {
    const cusd = parseCusd(lines);
    if (!cusd) return;
    if (!this.#answers.offer(cusd)) this.#open = cusd.m === 1;
  }

  /** Sends a USSD code (or a reply in an open session) and waits for the network's answer. */
  request(code: string, timeoutMs: number, reply = false): Promise<UssdResult> {
    if (reply && !this.#open) return Promise.reject(new AtError('invalid_command', 'AT+CUSD', 'no USSD session is open'));
    const run = this.#busy.then(() => this.#request(code, timeoutMs));
    this.#busy = run.catch(() => {});
    return run;
  }

  async cancel(): Promise<void> {
    this.#open = false;
    await this.#at.send('AT+CUSD=2', { prefix: null });
  }

  async #request(code: string, timeoutMs: number): Promise<UssdResult> {
    if (!/^[0-9A-Za-z*#+ ]{1,160}$/.test(code)) throw new AtError('invalid_command', 'AT+CUSD', 'USSD string has characters a network will not take');
    const str = this.#dialect === 'hex7' ? encodeGsm7Packed(code) : code;
    const answer = this.#nextAnswer(timeoutMs);
    try {
      await this.#at.send(`AT+CUSD=1,"${str}",15`, { prefix: null });
    } catch (error) {
      answer.catch(() => {});
      throw error;
    }
    const cusd = await answer;
    this.#open = cusd.m === 1;
    if (cusd.m === 4) throw new AtError('at_error', 'AT+CUSD', 'USSD operation not supported by the network');
    if (cusd.m === 5) throw new AtError('timeout', 'AT+CUSD', 'USSD network time out');
    return {
      code,
      response: cusd.raw === null ? '' : decodeUssd(cusd.raw, cusd.dcs, this.#dialect, this.charset),
      sessionOpen: cusd.m === 1,
      dcs: cusd.dcs,
    };
  }

  /** The answer: the first +CUSD other than an early `2`, or that `2` if nothing follows it soon. */
  async #nextAnswer(timeoutMs: number): Promise<CusdLine> {
    const timeout = () => new AtError('timeout', 'AT+CUSD', `no USSD answer within ${timeoutMs} ms`);
    const first = await this.#answers.waitFor(() => true, timeoutMs, timeout);
    if (first.m !== 2) return first;
    try {
      return await this.#answers.waitFor(() => true, 1500, timeout);
    } catch {
      return first;
    }
  }
}
