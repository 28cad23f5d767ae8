// USSD answers that do not come as asked: a network slower than the caller's timeout (a timeout
// naming the wait, the late answer then ignored and the modem usable), and a code the network does
// not know (+CUSD: 4, said in plain words rather than as a timeout).
import t from 'tap';
import { startRig } from './helpers.ts';

t.test('no answer within timeoutMs: a timeout naming the wait; the late +CUSD is ignored and the next request works', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  rig.sim.modem.ussdDelayMs = 60_000;
  const p = sms.ussd('*100#', { timeoutMs: 3000 }).then(() => null, (e: unknown) => e);
  await rig.clock.advance(3000);
  const e = (await p) as { code?: string; message?: string; cause?: { message?: string } } | null;
  t.match(e, { code: 'ussd_timeout', message: 'the network did not answer in time' });
  t.match(e?.cause?.message, /no USSD answer within 3000 ms/, 'the cause names the wait');

  await rig.clock.advance(60_000);
  t.ok(rig.sim.transcriptEntries().some((x) => x.dir === '<' && x.text.startsWith('+CUSD: 0')), 'the network answered late');
  rig.sim.modem.ussdDelayMs = 0;
  const next = sms.ussd('*100#', { timeoutMs: 20_000 });
  await rig.clock.advance(1000);
  t.match(await next, { code: '*100#', response: 'Your balance is 5.00 EUR.', sessionOpen: false }, 'the late answer was not taken for this one');
});

t.test('a code the network does not know: +CUSD: 4 is "not supported", not a timeout', async (t) => {
  const rig = await startRig(t);
  const p = rig.agent.use('sms').ussd('*999#', { timeoutMs: 20_000 }).then(() => null, (e: unknown) => e);
  await rig.clock.advance(1000);
  const e = (await p) as { code?: string; message?: string } | null;
  t.equal(e?.code, 'modem_error', 'a refusal (502 over REST), not ussd_timeout (504)');
  t.match(e?.message, /not supported/);
});
