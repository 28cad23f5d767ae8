// Firmware quirks that can be switched on per profile or per simulator.
import t from 'tap';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createSimulator, profiles, SimulatorError } from '../../simulator/index.ts';
import { lines, setup } from './helpers.ts';

t.test('CR-only and LF-only line endings: every line the modem writes, URCs and prompt too', async (t) => {
  for (const [lineEnding, eol] of [['cr', '\r'], ['lf', '\n']] as const) {
    const s = createSimulator({ quirks: { lineEnding } });
    t.teardown(() => s.close());
    let out = '';
    const conn = s.connect((d) => void (out += d.toString('latin1')));
    conn.write(Buffer.from('ATE0\rAT+CSQ\r'));
    await new Promise((r) => setImmediate(r));
    t.equal(out, `ATE0\r${eol}OK${eol}${eol}+CSQ: 20,99${eol}${eol}OK${eol}`, `${lineEnding}: echo as typed, then the modem's own endings`);
    out = '';
    conn.write(Buffer.from('AT+CNMI=2,1,0,0,0\r'));
    s.receiveSms({ from: '+15550001', text: 'x' });
    conn.write(Buffer.from('AT+CMGS=10\r'));
    await new Promise((r) => setImmediate(r));
    t.equal(out, `${eol}OK${eol}${eol}+CMTI: "SM",1${eol}${eol}> `);
    conn.close();
  }
});

t.test('status reports: as-asked, stored (+CDSI whatever <ds>), routed (+CDS, no <ds> 2)', async (t) => {
  const part = encodeSubmit({ to: '+491700000001', text: 'x', statusReport: true }).parts[0]!;
  const run = async (opts: Parameters<typeof createSimulator>[0], cnmi: string) => {
    const { sim, host, clock } = await setup(opts);
    t.teardown(async () => { await host.close(); sim.close(); });
    const set = lines(await host.at(`AT+CNMI=${cnmi}`));
    await host.at(`AT+CMGS=${part.tpduLength}`);
    await host.write(`${part.pdu}\x1a`);
    await host.waitFor(/\+CMGS: \d+/);
    const mark = host.mark();
    await clock.advance(3000);
    await new Promise((r) => setImmediate(r));
    return { set, after: host.received().slice(mark), sim };
  };
  const asAsked = await run({ profile: 'quectel' }, '2,1,0,1,0');
  t.match(asAsked.after, /\+CDS: \d+\r\n07/, 'quectel without the quirk routes when asked');
  const ec25 = await run({ profile: 'ec25' }, '2,1,0,1,0');
  t.match(ec25.after, /^\r\n\+CDSI: "SR",0\r\n$/, 'ec25 stores in SR and announces it');
  t.equal(ec25.sim.modem.storage('SR').used, 1);
  const inSm = await run({ profile: 'ec25', quirks: { reportStorage: 'SM' } }, '2,1,0,2,0');
  t.match(inSm.after, /^\r\n\+CDSI: "SM",0\r\n$/, 'or in SM');
  const refused = await run({ profile: 'sim7600' }, '2,1,0,2,0');
  t.same(refused.set, ['ERROR'], 'sim7600 refuses <ds> 2');
  t.equal(refused.after, '', '<ds> stays 0: the report is stored without a word');
  const simcom = await run({ profile: 'sim7600' }, '2,1,0,1,0');
  t.match(simcom.after, /^\r\n\+CDS: \d+\r\n07[0-9A-F]+\r\n$/, 'routed as +CDS');
  const forced = await run({ profile: 'generic', quirks: { statusReports: 'routed' } }, '2,1,0,1,0');
  t.match(forced.after, /\+CDS: /, 'the quirk on another profile');
});

t.test('stall: deaf and mute for ms, once after afterMs or every everyMs', async (t) => {
  const { sim, host, clock } = await setup({ quirks: { stall: { ms: 30_000, everyMs: 100_000, afterMs: 5000 } } });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT')), ['OK']);
  await clock.advance(5000);
  const mark = host.mark();
  await host.write('AT\r');
  await clock.advance(29_000);
  t.equal(host.received().slice(mark), '', 'no answer while stalled');
  await clock.advance(1000);
  t.same(lines(await host.at('AT')), ['OK'], 'answers again after 30 s');
  await clock.advance(70_000);
  t.ok(sim.modem.hasFault('hang'), 'stalls again 100 s after the first');
});

t.test('profiles: each new dialect answers as its firmware does', async (t) => {
  for (const profile of ['sim7600', 'a7670', 'ec25'] as const) {
    const { sim, host } = await setup({ profile });
    t.teardown(async () => { await host.close(); sim.close(); });
    t.match(lines(await host.at('ATI')).join('\n'), profiles[profile].model.replace(/-LASE$/, ''));
    t.same(lines(await host.at('AT+CEREG?')), ['+CEREG: 0,1', 'OK'], `${profile} is an LTE module`);
  }
  const { sim, host } = await setup({ profile: 'sim7600' });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CICCID')), ['+ICCID: 8901001012345678901', 'OK']);
  sim.receiveSms({ from: '+491701234567', text: 'hi' });
  t.match(await host.waitFor(/\+CMTI: "SM",0\r\n/), /CMTI/, 'indices from 0');
});

t.test('bad quirks are refused with a plain message', async (t) => {
  t.throws(() => createSimulator({ quirks: { lineEnding: 'crcr' as 'cr' } }), new SimulatorError('invalid_argument', 'quirks.lineEnding must be crlf, cr or lf'));
  t.throws(() => createSimulator({ quirks: { statusReports: 'sometimes' as 'stored' } }), { code: 'invalid_argument' });
  t.throws(() => createSimulator({ quirks: { reportStorage: 'ME' as 'SM' } }), { code: 'invalid_argument' });
  t.throws(() => createSimulator({ quirks: { stall: { ms: 0 } } }), { code: 'invalid_argument' });
  t.throws(() => createSimulator({ quirks: { stall: { ms: 10, everyMs: 5 } } }), { code: 'invalid_argument' });
  t.throws(() => createSimulator({ quirks: { stall: { ms: 10, afterMs: -1 } } }), { code: 'invalid_argument' });
});
