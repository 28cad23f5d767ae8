// The modem plugin against the simulator's newer dialects and quirks: SIMCom SIM7600/A7670 (status
// reports routed as +CDS), Quectel EC25 (status reports stored in SR and announced by +CDSI even when
// routing was asked for), CR-only and LF-only line endings, a modem that stops answering for a while,
// and all of it with the timing model on (on the manual clock).
import t from 'tap';
import { ofType, startRig } from './helpers.ts';

const cases: [string, Record<string, unknown>][] = [
  ['sim7600', { profile: 'sim7600' }],
  ['a7670', { profile: 'a7670' }],
  ['ec25', { profile: 'ec25' }],
  ['CR-only line endings', { profile: 'generic', quirks: { lineEnding: 'cr' } }],
  ['LF-only line endings', { profile: 'sim800', quirks: { lineEnding: 'lf' } }],
  ['the timing model at 9600 baud', { profile: 'sim800', timing: { baud: 9600, networkMs: 3000, jitterMs: 1000 } }],
  ['status reports in SM', { profile: 'quectel', quirks: { statusReports: 'stored', reportStorage: 'SM' } }],
];

for (const [name, simulator] of cases) {
  t.test(`${name}: stored SMS read at start, a new one received, a 3-part send delivered once`, async (t) => {
    const rig = await startRig(t, { simulator: { ...simulator, inbox: [{ from: '+15550100101', text: 'while you were away' }] } });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'the stored message');
    rig.sim.receiveSms({ from: '+15550100103', text: 'fresh €' });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 2, 'the new message');
    t.same(ofType(rig.events, 'sms.received').map((e) => e.data.text), ['while you were away', 'fresh €']);
    const { id } = rig.agent.use('sms').send({ to: '+15550200200', text: 'y'.repeat(400) });
    await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'sms.delivered');
    await rig.clock.advance(20_000);
    t.equal(ofType(rig.events, 'sms.delivered').length, 1, 'once per message');
    t.equal(rig.sim.sent().length, 3);
    t.match(rig.agent.use('sms').getMessage(id), { status: 'delivered' });
    await rig.until(() => [...rig.sim.modem.storages.values()].every((s) => s.used === 0), 'every storage emptied (reports too)');
  });
}

t.test('ec25: a status report is announced by +CDSI in SR even though routing (<ds> 1) was asked for', async (t) => {
  const rig = await startRig(t, { cnmi: 'routed', simulator: { profile: 'ec25' } });
  rig.agent.use('sms').send({ to: '+15550200201', text: 'report me' });
  await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'sms.delivered');
  t.match(rig.sim.transcript(), /< \+CDSI: "SR",0/);
  t.notMatch(rig.sim.transcript(), /< \+CDS: /);
  await rig.until(() => rig.sim.modem.storage('SR').used === 0, 'SR emptied');
});

t.test('sim7600: status reports come routed as +CDS (its +CNMI offers no <ds> 2)', async (t) => {
  const rig = await startRig(t, { simulator: { profile: 'sim7600' } });
  rig.agent.use('sms').send({ to: '+15550200202', text: 'report me' });
  await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'sms.delivered');
  t.match(rig.sim.transcript(), /> AT\+CNMI=2,1,0,1,0/);
  t.match(rig.sim.transcript(), /< \+CDS: \d+/);
});

t.test('a modem that stops answering for 60 s: nothing lost, work resumes when it answers again', async (t) => {
  const rig = await startRig(t, { simulator: { profile: 'generic', quirks: { stall: { ms: 60_000, afterMs: 10_000 } } } });
  await rig.clock.advance(10_000); // now deaf
  t.ok(rig.sim.modem.hasFault('hang'), 'stalled');
  rig.sim.receiveSms({ from: '+15550100104', text: 'during the stall' });
  const { id } = rig.agent.use('sms').send({ to: '+15550200203', text: 'queued during the stall' });
  await rig.until(() => !rig.sim.modem.hasFault('hang'), 'the stall ends', 70_000);
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'the SMS that came during the stall', 300_000);
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'the send', 300_000);
  t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'during the stall');
  t.equal(rig.sim.sent().length, 1, 'sent once');
  t.match(rig.agent.use('sms').getMessage(id), { status: /sent|delivered/ });
});
