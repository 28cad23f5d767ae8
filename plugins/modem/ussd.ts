import type { Clock } from '../../core/clock.ts';
import type { UssdResult } from '../../core/services.ts';
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

/**
 * The text of a USSD answer. Huawei sticks (dialect `hex7`) print GSM 7-bit strings as packed hex;
 * UCS2 strings come as UTF-16BE hex everywhere; others print text in the TE character set.
 */
export function decodeUssd(raw: string, dcs: number | null, dialect: UssdDialect): string {
  const alphabet = alphabetOf(dcs);
  try {
    if (alphabet === 'ucs2' && isHex(raw) && raw.length % 4 === 0) {
      // 23.038 5: DCS 0x11 is UCS2 "preceded by language", two GSM 7-bit characters that are not text.
      const text = decodeUcs2Hex(raw);
      return dcs === 0x11 ? text.slice(1) : text;
    }
    if (dialect === 'hex7' && (alphabet === 'gsm7' || alphabet === 'unknown') && isHex(raw)) return decodeGsm7Packed(raw);
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
      response: cusd.raw === null ? '' : decodeUssd(cusd.raw, cusd.dcs, this.#dialect),
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
