// Network registration from every domain the modem reports (27.007 7.2 +CREG circuit switched, 10.1.20
// +CGREG GPRS, 10.1.22 +CEREG EPS/LTE, 10.1.68 +C5GREG 5G): with 2G/3G switched off a modem shows
// `+CREG: 0,0` while `+CEREG: 0,1` and SMS works over LTE (SMS over SGs/IMS). Registered when any says so.
import type { DriverContext } from './context.ts';
import { AtError } from './errors.ts';
import * as parse from './parse.ts';

export const DOMAINS = ['+CREG', '+CGREG', '+CEREG', '+C5GREG'] as const;
export type Domain = (typeof DOMAINS)[number];

/** Only a timeout is the modem's silence (counted toward a hang); anything else means "not this command". */
const answerOrNothing = (error: unknown) => {
  if (error instanceof AtError && error.code === 'timeout') throw error;
  return { lines: [] as string[] };
};

/**
 * At set-up: which of the four the modem answers (`AT+CEREG=?`), and their indications on (<n> 1:
 * `+CEREG: <stat>` when it changes). Only what the modem supports is asked afterwards.
 */
export async function setUpRegistration(m: DriverContext): Promise<void> {
  const domains: Domain[] = [];
  for (const d of DOMAINS) {
    const test = await m.at.send(`AT${d}=?`).then((r) => r.lines, () => null);
    if (test === null) continue;
    domains.push(d);
    await m.at.send(`AT${d}=1`).catch((error) => m.deps.log.debug({ err: error, modem: m.id }, `${d} indications not available`));
  }
  // A modem that answers none of the test commands is still asked +CREG? (27.007 makes it mandatory).
  m.regDomains = domains.length ? domains : ['+CREG'];
  m.regStats = {};
}

/** Asks every supported domain (`AT+CREG?` ...) and records what each says. */
export async function readRegistration(m: DriverContext): Promise<void> {
  for (const d of m.regDomains) {
    const value = parse.valueOf((await m.at.send(`AT${d}?`).catch(answerOrNothing)).lines, d);
    const reg = value === undefined ? null : parse.parseCreg(`${d}: ${value}`, false);
    if (reg) m.regStats[d] = reg.stat;
  }
  summarise(m);
}

/** A `+CEREG: <stat>[,...]` (or +CREG/+CGREG/+C5GREG) indication: recorded, and the state follows. */
export function onRegistrationUrc(m: DriverContext, domain: Domain, line: string): void {
  const reg = parse.parseCreg(line, true);
  if (!reg) return;
  m.regStats[domain] = reg.stat;
  summarise(m);
  if (!m.ready) return;
  if (m.registered && m.state !== 'online') m.setState('online');
  else if (!m.registered && m.state === 'online') m.setState('offline', `network: ${m.info.registration}`);
}

/** Registered when any domain says so; the registration text is that domain's. */
function summarise(m: DriverContext): void {
  const said = m.regDomains.filter((d) => m.regStats[d] !== undefined).map((d) => ({ d, reg: parse.regOf(m.regStats[d]!) }));
  if (said.length === 0) return;
  const on = said.find((s) => s.reg.registered);
  m.registered = on !== undefined;
  // Not registered anywhere: the domain that says most (searching, denied) rather than a bare "not registered".
  const shown = on ?? said.find((s) => s.reg.stat !== 0) ?? said[0]!;
  m.info.registration = shown.reg.text;
}
