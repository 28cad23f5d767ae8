// `smsedge doctor` and GET /modems/:id/doctor: what a person setting a modem up wants checked, one
// line each, with read-only commands only (nothing is read from or deleted on the SIM, nothing set).
import * as parse from './parse.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  /** port, at, sim, registration, signal, smsc, storage, indications (and roundtrip from the CLI). */
  name: string;
  status: CheckStatus;
  /** What was found, in plain words. */
  detail: string;
}

export interface DoctorReport {
  modem: string;
  status: CheckStatus;
  checks: DoctorCheck[];
}

/** Sends one AT command; resolves with its information lines, rejects on ERROR or no answer. */
export type AtSend = (command: string) => Promise<{ lines: readonly string[] }>;

const worst = (checks: readonly DoctorCheck[]): CheckStatus =>
  checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';

/** The report for `modem` from its checks. */
export function report(modem: string, checks: DoctorCheck[]): DoctorReport {
  return { modem, status: worst(checks), checks };
}

const said = (error: unknown) => (error instanceof Error ? error.message : String(error));

// 27.007 7.3: <AcT> of +COPS; 7.2: <stat> of +CREG/+CGREG/+CEREG.
export const technology: Record<string, string> = { '0': '2G', '1': '2G', '2': '3G', '3': '2G', '4': '3G', '5': '3G', '6': '3G', '7': 'LTE', '8': 'LTE', '9': 'LTE', '10': 'LTE', '11': '5G', '12': '5G', '13': '5G' };

/**
 * Runs the checks on an open port, through `send`. The port itself is the caller's check (it
 * opened it, or says why not). After the first command without an answer the rest are skipped.
 */
export async function runChecks(send: AtSend): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    await send('AT');
    checks.push({ name: 'at', status: 'pass', detail: 'the modem answers AT' });
  } catch (error) {
    checks.push({ name: 'at', status: 'fail', detail: `no answer to AT (${said(error)}): a wrong port (try the other ttyUSB ports), a wrong baud rate, or another program holds it` });
    return checks;
  }
  const ask = async (command: string) => {
    try {
      return { lines: (await send(command)).lines, error: undefined };
    } catch (error) {
      return { lines: [] as readonly string[], error: said(error) };
    }
  };

  const cpin = await ask('AT+CPIN?');
  const pin = parse.valueOf(cpin.lines, '+CPIN')?.trim().replace(/^"|"$/g, '');
  if (pin === 'READY') checks.push({ name: 'sim', status: 'pass', detail: 'SIM ready' });
  else if (pin === 'SIM PIN') checks.push({ name: 'sim', status: 'fail', detail: 'the SIM wants its PIN: set SMSEDGE_SIM_PIN (the agent enters it once; a SIM blocks after three wrong ones)' });
  else if (pin) checks.push({ name: 'sim', status: 'fail', detail: `the SIM wants ${pin}: unlock it in a phone first` });
  else checks.push({ name: 'sim', status: 'fail', detail: `no SIM state (${cpin.error ?? 'no +CPIN line'}): is a SIM inserted?` });

  let registered: { text: string; registered: boolean } | undefined;
  for (const command of ['AT+CEREG?', 'AT+CGREG?', 'AT+CREG?']) {
    const r = await ask(command);
    const line = r.lines.find((l) => /^\+C(E|G)?REG:/.test(l));
    const reg = line ? parse.parseCreg(line, false) : null;
    if (reg && (!registered || (reg.registered && !registered.registered))) registered = reg;
    if (registered?.registered) break;
  }
  const cops = await ask('AT+COPS?');
  const operator = parse.parseCops(cops.lines);
  const act = parse.params(parse.valueOf(cops.lines, '+COPS') ?? '')[3];
  const tech = act !== undefined ? technology[act] : undefined;
  if (registered?.registered)
    checks.push({ name: 'registration', status: 'pass', detail: `${registered.text}${operator ? ` on ${operator}` : ''}${tech ? ` (${tech})` : ''}` });
  else checks.push({ name: 'registration', status: 'fail', detail: `not registered: ${registered?.text ?? 'no registration state'} (coverage, the antenna, or a SIM without service)` });

  const csq = await ask('AT+CSQ');
  const dbm = parse.csqDbm(csq.lines);
  if (dbm === null) checks.push({ name: 'signal', status: 'fail', detail: 'no signal reading (+CSQ: 99): no coverage or no antenna' });
  else if (dbm < -105) checks.push({ name: 'signal', status: 'warn', detail: `${dbm} dBm: weak (sends may fail; move the modem or add an antenna)` });
  else checks.push({ name: 'signal', status: 'pass', detail: `${dbm} dBm` });

  const csca = await ask('AT+CSCA?');
  const smsc = parse.params(parse.valueOf(csca.lines, '+CSCA') ?? '')[0];
  if (smsc) checks.push({ name: 'smsc', status: 'pass', detail: `service centre ${smsc.replace(/^(\+?\d{4})\d+(\d{2})$/, '$1…$2')}` });
  else checks.push({ name: 'smsc', status: 'fail', detail: `no SMS service centre number (${csca.error ?? 'empty'}): sends fail; the operator's number goes in with AT+CSCA` });

  const cpms = await ask('AT+CPMS?');
  const stores = parse.parseCpmsRead(cpms.lines);
  const first = stores[0];
  if (!first) checks.push({ name: 'storage', status: 'warn', detail: `no message storage reading (${cpms.error ?? 'no +CPMS line'})` });
  else {
    const text = stores.map((s) => `${s.mem} ${s.used}/${s.total}`).join(', ');
    checks.push({ name: 'storage', status: first.total > 0 && first.used >= first.total ? 'warn' : 'pass', detail: first.used >= first.total && first.total > 0 ? `${text}: full (new SMS wait on the network until the agent reads these)` : text });
  }

  const cnmi = await ask('AT+CNMI?');
  const [mode, mt, , ds] = parse.params(parse.valueOf(cnmi.lines, '+CNMI') ?? '');
  if (mode === undefined) checks.push({ name: 'indications', status: 'warn', detail: `no +CNMI reading (${cnmi.error ?? 'no answer line'}): the agent then polls storage` });
  else if (mode === '0' || mt === '0')
    checks.push({ name: 'indications', status: 'warn', detail: `+CNMI: ${[mode, mt, ds].join(',')}: new SMS are not announced (the agent sets this at start)` });
  else checks.push({ name: 'indications', status: 'pass', detail: `new SMS announced (+CNMI: ${parse.params(parse.valueOf(cnmi.lines, '+CNMI') ?? '').join(',')})` });
  return checks;
}
