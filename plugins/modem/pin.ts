// How many SIM PIN attempts are left, where the modem tells: 27.007 8.65 +CPINR, else the vendors'
// counters (Quectel +QPINC, SIMCom +SPIC, Huawei ^CPIN). Null when none answers.
import type { AtEngine } from './at.ts';
import * as parse from './parse.ts';

interface Counter {
  command: string;
  prefix: string;
  /** The PIN attempts left from the parameters after the prefix. */
  pick: (p: string[]) => string | undefined;
}

const COUNTERS: Counter[] = [
  // 27.007 8.65: +CPINR: <code>,<retries>,<default retries>
  { command: 'AT+CPINR="SIM PIN"', prefix: '+CPINR', pick: (p) => (/^SIM PIN$/i.test(p[0] ?? '') ? p[1] : undefined) },
  // Quectel: +QPINC: "SC",<pin counter>,<puk counter>
  { command: 'AT+QPINC="SC"', prefix: '+QPINC', pick: (p) => (p[0] === 'SC' ? p[1] : undefined) },
  // SIMCom: +SPIC: <pin1>,<puk1>,<pin2>,<puk2>
  { command: 'AT+SPIC', prefix: '+SPIC', pick: (p) => p[0] },
  // Huawei: ^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2_times>,<pin2_times>
  { command: 'AT^CPIN?', prefix: '^CPIN', pick: (p) => p[3] },
];

/**
 * PIN attempts the SIM has left, or null when the modem does not say.
 *
 * @example await pinAttemptsLeft(at) // 3
 */
export async function pinAttemptsLeft(at: AtEngine): Promise<number | null> {
  for (const c of COUNTERS) {
    const r = await at.send(c.command, { prefix: c.prefix }).catch(() => null);
    if (!r) continue;
    const value = parse.valueOf(r.lines, c.prefix);
    const n = Number(value === undefined ? undefined : c.pick(parse.params(value)));
    if (Number.isInteger(n) && n >= 0) return n;
  }
  return null;
}
