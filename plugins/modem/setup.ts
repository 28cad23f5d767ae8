// The start-up sequence that brings a freshly opened modem into PDU mode with storages and new-message
// indications chosen (27.007/27.005 set-up), and the part of it that is redone when the modem forgot it.
import type { DriverContext } from './context.ts';
import * as parse from './parse.ts';
import { setUpRegistration } from './registration.ts';
import { unlockSim } from './sim.ts';

/** 27.007/27.005 set-up, in the order the issue gives. */
export async function setUp(m: DriverContext): Promise<void> {
  const at = m.at;
  // A send cut off by a crash leaves the modem waiting for PDU text: ESC ends that (27.005 3.5.1).
  await at.raw('\x1b').catch(() => {});
  await at.send('ATZ', { timeoutMs: 10_000 }).catch(() => at.send('AT'));
  await at.send('ATE0');
  await at.send('AT+CMEE=1').catch(() => {});
  await unlockSim(m);
  await identify(m);
  await at.send('AT+CMGF=0');
  await chooseCharset(m);
  await chooseStorage(m);
  await chooseIndications(m);
  await setUpRegistration(m);
  await at.send('AT+CLIP=1').catch((e) => m.deps.log.debug({ err: e }, 'caller id not available'));
}

/** PDU mode, storages and indications again (the modem forgot them: 27.005 3.2.3, 3.2.2, 3.4.1). */
export async function restoreSetUp(m: DriverContext): Promise<void> {
  const mem = m.mem1;
  await m.at.send('AT+CMGF=0');
  await chooseCharset(m);
  await chooseStorage(m);
  await chooseIndications(m);
  await useMem(m, mem);
}

/**
 * 27.007 5.5 +CSCS: the TE character set strings are printed in (USSD answers, 7.15). "GSM" is the
 * default and the one that keeps every GSM 7-bit character; when the modem refuses it, what it uses.
 */
async function chooseCharset(m: DriverContext): Promise<void> {
  const set = await m.at.send('AT+CSCS="GSM"').then(() => true, () => false);
  const now = set ? 'GSM' : parse.valueOf((await m.at.send('AT+CSCS?').catch(() => ({ lines: [] as string[] }))).lines, '+CSCS')?.replace(/"/g, '').toUpperCase();
  m.ussd.charset = now === 'GSM' || now === 'IRA' || now === 'UCS2' || now === 'HEX' ? now : 'unknown';
}

/** 27.005 3.2.2: switches mem1 (where AT+CMGR/CMGL/CMGD act) unless it is already `mem`. */
export async function useMem(m: DriverContext, mem: string): Promise<void> {
  if (m.mem1 === mem) return;
  await m.at.send(`AT+CPMS="${mem}"`);
  m.mem1 = mem;
}

async function identify(m: DriverContext): Promise<void> {
  const read = async (cmd: string) => parse.identityValue((await m.at.send(cmd, { prefix: null }).catch(() => ({ lines: [] as string[] }))).lines);
  const info = m.info;
  info.manufacturer = await read('AT+CGMI');
  info.model = await read('AT+CGMM');
  info.imei = await read('AT+CGSN');
  info.imsi = await read('AT+CIMI');
  info.iccid = (await read('AT+CCID')) ?? (await read('AT+ICCID'));
  // Huawei E-series print USSD strings as packed GSM 7-bit hex.
  m.ussd.dialect = /huawei/i.test(info.manufacturer ?? '') ? 'hex7' : 'text';
  m.deps.log.info({ modem: m.id, manufacturer: info.manufacturer, model: info.model }, 'modem identified');
}

/**
 * 27.005 3.2.2: new messages go to ME when the modem offers it (usually larger), else SM. A malformed
 * AT+CPMS=? answer is read leniently (parse.parseCpmsTest); with nothing sensible in it (or an error),
 * the storages AT+CPMS? reports are used, so the sweep of what arrived while the agent was down stays on.
 */
async function chooseStorage(m: DriverContext): Promise<void> {
  const known = (l: string[] | undefined) => (l ?? []).some((s) => /^(SM|ME|MT|SR|BM|TA)$/.test(s));
  let lists = parse.parseCpmsTest((await m.at.send('AT+CPMS=?').catch(() => ({ lines: [] as string[] }))).lines);
  if (!known(lists[0])) {
    const current = [...new Set(parse.parseCpmsRead((await m.at.send('AT+CPMS?').catch(() => ({ lines: [] as string[] }))).lines).map((s) => s.mem))];
    m.deps.log.warn({ modem: m.id, storages: current }, 'AT+CPMS=? gave no storages: using those AT+CPMS? reports');
    lists = [current, current.filter((s) => s !== 'SR'), current.filter((s) => s !== 'SR')];
  }
  const mem1 = known(lists[0]) ? lists[0]! : ['SM'];
  const mem3 = known(lists[2]) ? lists[2]! : mem1;
  const pick = (l: string[]) => (l.includes('ME') ? 'ME' : l.includes('SM') ? 'SM' : l[0] ?? 'SM');
  const main = pick(mem3);
  m.storages = ['SM', 'ME', 'SR'].filter((s) => mem1.includes(s));
  if (m.storages.length === 0) m.storages = [main];
  await m.at.send(`AT+CPMS="${main}","${main}","${main}"`);
  m.mem1 = main;
}

/** 27.005 3.4.1: stored (+CMTI/+CDSI) by default; routed (+CMT/+CDS, acknowledged with +CNMA) when configured. */
async function chooseIndications(m: DriverContext): Promise<void> {
  const test = parse.parseCnmiTest((await m.at.send('AT+CNMI=?').catch(() => ({ lines: [] as string[] }))).lines);
  const allowed = (i: number, v: number) => !test[i] || test[i]!.includes(v);
  const mode = allowed(0, 2) ? 2 : 1;
  let mt: number;
  let ds: number;
  if (m.options.cnmi === 'routed') {
    // +CNMA is required only in phase 2+ (AT+CSMS=1); without it routed messages are not acknowledged.
    m.csms = await m.at.send('AT+CSMS=1').then(() => 1, () => 0);
    mt = allowed(1, 2) ? 2 : 1;
    ds = allowed(3, 1) ? 1 : allowed(3, 2) ? 2 : 0;
  } else {
    m.csms = 0;
    mt = allowed(1, 1) ? 1 : 2;
    ds = allowed(3, 2) ? 2 : allowed(3, 1) ? 1 : 0;
  }
  const bfr = allowed(4, 0) ? 0 : 1;
  await m.at.send(`AT+CNMI=${mode},${mt},0,${ds},${bfr}`);
  m.cnmi = [mode, mt, 0, ds, bfr];
}
