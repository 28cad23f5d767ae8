import t from 'tap';
import { decodeUssd, parseCusd } from '../../plugins/modem/ussd.ts';
import { ofType, startRig } from './helpers.ts';

t.test('+CUSD parsing: quoted, multi-line, bare hex, no dcs', async (t) => {
  t.same(parseCusd(['+CUSD: 0,"Balance 5.00",15']), { m: 0, raw: 'Balance 5.00', dcs: 15 });
  t.same(parseCusd(['+CUSD: 0," Vash balans', 'Podkl.: *320#"']), { m: 0, raw: ' Vash balans\nPodkl.: *320#', dcs: null });
  t.same(parseCusd(['+CUSD: 0, 49B41C,15']), { m: 0, raw: '49B41C', dcs: 15 });
  t.same(parseCusd(['+CUSD: 4']), { m: 4, raw: null, dcs: null });
  t.same(parseCusd(['+CUSD: 2,"Current balance is #1.40", 0']), { m: 2, raw: 'Current balance is #1.40', dcs: 0 });
});

t.test('USSD decoding per DCS and dialect', async (t) => {
  t.equal(decodeUssd('0414043B044F', 72, 'text'), 'Для');
  t.equal(decodeUssd('D4F29C0E', 15, 'hex7'), 'Test');
  t.equal(decodeUssd('D4F29C0E', 15, 'text'), 'D4F29C0E', 'text dialect keeps the string');
});

for (const profile of ['generic', 'huawei', 'sim800', 'quectel']) {
  t.test(`${profile}: USSD request, menu session, reply, cancel`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    const sms = rig.agent.use('sms');
    const p = sms.ussd('*100#', { timeoutMs: 20_000 });
    await rig.until(() => rig.sim.transcriptEntries().some((e) => e.text.startsWith('+CUSD:')), 'answer');
    const r = await p;
    t.match(r, { code: '*100#', response: 'Your balance is 5.00 EUR.', sessionOpen: false });
    const menu = sms.ussd('*101#', { timeoutMs: 20_000 });
    await rig.clock.advance(5000);
    const m = await menu;
    t.equal(m.sessionOpen, true);
    t.match(m.response, /1 Balance/);
    const reply = sms.ussdReply('2');
    await rig.clock.advance(5000);
    t.match(await reply, { response: 'Data left: 1.5 GB', sessionOpen: false });
    await t.rejects(sms.ussdReply('1'), { code: 'no_ussd_session' });
    const again = sms.ussd('*101#', { timeoutMs: 20_000 });
    await rig.clock.advance(5000);
    await again;
    const cancel = sms.ussdCancel();
    await rig.clock.advance(1000);
    await cancel;
    t.ok(rig.sim.transcriptEntries().some((e) => e.dir === '>' && e.text === 'AT+CUSD=2'));
  });
}

t.test('a USSD answer that never comes times out', async (t) => {
  const rig = await startRig(t);
  rig.sim.setUssdMenu({});
  const p = rig.agent.use('sms').ussd('*999#', { timeoutMs: 3000 }).catch((e) => e);
  await rig.clock.advance(10_000);
  const e = await p;
  t.ok(e instanceof Error);
});

t.test('an incoming call is reported once as call.missed, and hung up when configured', async (t) => {
  const rig = await startRig(t, { hangUpCalls: true });
  rig.sim.incomingCall('+15550500500');
  await rig.until(() => ofType(rig.events, 'call.missed').length === 1, 'call.missed');
  await rig.clock.advance(20_000);
  t.equal(ofType(rig.events, 'call.missed').length, 1);
  t.match(ofType(rig.events, 'call.missed')[0]!.data, { from: '+15550500500', modem: 'default' });
  t.ok(rig.sim.transcriptEntries().some((e) => e.dir === '>' && /^(AT\+CHUP|ATH)$/.test(e.text)));
});

t.test('without hang-up, the call is reported when the caller gives up', async (t) => {
  const rig = await startRig(t);
  rig.sim.incomingCall('+15550500501');
  await rig.clock.advance(3000);
  rig.sim.hangupCall();
  await rig.until(() => ofType(rig.events, 'call.missed').length === 1, 'call.missed');
  t.equal(ofType(rig.events, 'call.missed')[0]!.data.from, '+15550500501');
  t.notOk(rig.sim.transcriptEntries().some((e) => e.dir === '>' && /^(AT\+CHUP|ATH)$/.test(e.text)));
});
