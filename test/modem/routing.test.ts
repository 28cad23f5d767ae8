// Per-SIM policy on the agent (issue 29): routing to modems with room, the `held` reason and when in
// the API, counters that survive a restart, parking after permanent failures and failover to the
// other modem, on two simulated modems and a manual clock.
import t, { type Test } from 'tap';
import { ManualClock } from '../../core/clock.ts';
import type { OutboundMessage } from '../../core/services.ts';
import { onSimulator, type Simulator } from '../../simulator/index.ts';
import { ofType, startRig } from './helpers.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
// Health checks every hour: the clock is driven over days.
const quiet = { healthIntervalSeconds: 3600, retry: { initialDelayMs: 0 } };

async function twoModems(t: Test, a: Record<string, unknown>, b: Record<string, unknown>, extra: { dir?: string; clock?: ManualClock } = {}) {
  const sims: Simulator[] = [];
  t.teardown(onSimulator((sim) => void sims.push(sim)));
  const rig = await startRig(t, { id: 'a', ...quiet, ...a }, { plugins: [{ id: 'b', ...quiet, ...b }], ...extra });
  const sms = rig.agent.use('sms');
  return {
    rig, sms, sims,
    msg: (id: string) => sms.getMessage(id) as OutboundMessage,
    modem: (id: string) => sms.modems().find((m) => m.id === id)!,
  };
}

t.test('unpinned messages go to modems with room under their caps; the rest wait with the reason and when', async (t) => {
  const { rig, sms, sims, msg, modem } = await twoModems(t, { policy: { perDay: 2, timeZone: 'UTC' } }, { policy: { perDay: 1, timeZone: 'UTC' } });
  const ids = [1, 2, 3, 4, 5].map((i) => sms.send({ to: `+1555040000${i}`, text: `m${i}`, deliveryReport: false }).id);
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 3, 'three sent');
  await rig.clock.advance(60_000);
  t.equal(ofType(rig.events, 'sms.sent').length, 3, 'no more today: both SIMs at their daily cap');
  t.same(sims.map((s) => s.sent().length), [2, 1], 'a sent two, b one');
  const waiting = ids.map(msg).filter((m) => m.status === 'queued');
  t.equal(waiting.length, 2);
  for (const m of waiting) t.match(m, { held: 'daily cap', heldUntil: '2026-03-02T00:00:00.000+00:00' }, 'held, with when it will go');
  t.same(sms.stats().held, { 'daily cap': 2 });
  t.match(modem('a').sending, { counts: { day: 2, month: 2 }, caps: { day: 2 }, held: 'daily cap', heldUntil: '2026-03-02T00:00:00.000+00:00', parked: null });
  t.match(modem('b').sending, { counts: { day: 1 }, caps: { day: 1 }, held: 'daily cap' });
  t.match(sms.listMessages({ direction: 'outbound', limit: 10, status: 'queued' }), [{ held: 'daily cap' }, { held: 'daily cap' }], 'the list shows it too');

  // A pinned message waits for its modem even when the other has room; at midnight both have room again.
  await rig.clock.advance(Date.parse('2026-03-02T00:00:00Z') - 1000 - rig.clock.now());
  t.equal(ofType(rig.events, 'sms.sent').length, 3, 'a second before midnight: still held');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 5, 'the next day');
  t.ok(rig.clock.now() >= Date.parse('2026-03-02T00:00:00Z'), 'not before midnight');
  t.ok(rig.clock.now() < Date.parse('2026-03-02T00:01:00Z'), 'promptly at midnight');
  t.same(ids.map((id) => msg(id).held), [undefined, undefined, undefined, undefined, undefined]);
});

t.test('a message held on a full SIM moves to one with room; a pinned one waits for its modem', async (t) => {
  const { rig, sms, sims, msg } = await twoModems(t, { policy: { perDay: 1, timeZone: 'UTC' } }, {});
  // b is offline when they are queued: both go to a (the only online modem), one over its cap.
  sims[1]!.unplug();
  await rig.until(() => sms.modems().find((m) => m.id === 'b')!.state !== 'online', 'b offline');
  const first = sms.send({ to: '+15550400011', text: 'first', deliveryReport: false });
  const second = sms.send({ to: '+15550400012', text: 'second', deliveryReport: false });
  const pinned = sms.send({ to: '+15550400013', text: 'pinned to a', modem: 'a', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'a sends one');
  t.match(msg(second.id), { modem: 'a', status: 'queued', held: 'daily cap' });
  sims[1]!.replug();
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'the held one goes via b once b is back', 120_000);
  t.match(msg(second.id), { modem: 'b', status: 'sent' });
  t.equal(msg(first.id).modem, 'a');
  await rig.clock.advance(10 * 60_000);
  t.match(msg(pinned.id), { modem: 'a', status: 'queued', held: 'daily cap' }, 'pinned: stays held on a');
  t.equal(sims[1]!.sent().length, 1);
});

t.test('quiet hours hold normal messages on the SIM; a high-priority code passes', async (t) => {
  const rig = await startRig(t, { ...quiet, policy: { quietHours: { from: '09:00', to: '12:00' }, timeZone: 'Europe/Berlin' } });
  const sms = rig.agent.use('sms');
  // 10:00Z is 11:00 in Berlin (CET): inside the window until 12:00 CET = 11:00Z.
  const normal = sms.send({ to: '+15550400021', text: 'newsletter', deliveryReport: false });
  const code = sms.send({ to: '+15550400022', text: 'code 1234', priority: 'high', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'the code goes');
  t.equal(ofType(rig.events, 'sms.sent')[0]!.data.messageId, code.id);
  t.match(sms.getMessage(normal.id), { status: 'queued', held: 'quiet hours', heldUntil: '2026-03-01T11:00:00.000+00:00' });
  await rig.clock.advance(Date.parse('2026-03-01T11:00:00Z') - 1000 - rig.clock.now());
  t.equal(ofType(rig.events, 'sms.sent').length, 1, 'a second before 12:00 in Berlin: still held');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'the newsletter after the quiet hours');
  t.ok(rig.clock.now() >= Date.parse('2026-03-01T11:00:00Z'));
});

t.test('the counters are the store\'s: a restart keeps them and the cap', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(T0);
  const options = { ...quiet, policy: { perMonth: 2, recipientsPer30Days: 5, timeZone: 'UTC' } };
  const first = await startRig(t, options, { dir, clock });
  first.agent.use('sms').send({ to: '+15550400031', text: 'x'.repeat(200), deliveryReport: false }); // two parts
  await first.until(() => ofType(first.events, 'sms.sent').length === 1, 'sent');
  await first.stop();
  const again = await startRig(t, options, { dir, clock });
  const sms = again.agent.use('sms');
  t.match(sms.modems()[0]!.sending, { counts: { month: 2, day: 2, recipients30Days: 1 }, caps: { month: 2, recipients30Days: 5 }, held: 'monthly cap', heldUntil: '2026-04-01T00:00:00.000+00:00' });
  const held = sms.send({ to: '+15550400031', text: 'next', deliveryReport: false });
  await again.clock.advance(60_000);
  t.match(sms.getMessage(held.id), { status: 'queued', held: 'monthly cap' });
});

t.test('permanent failures in a row park a modem; its messages go to the other; unpark by hand and by timer', async (t) => {
  const { rig, sms, sims, msg, modem } = await twoModems(t, { parking: { afterFailures: 3, retryMinutes: 30 } }, { parking: { afterFailures: 3, retryMinutes: 30 } });
  const [simA, simB] = sims;
  simA!.fault('cms-330', { count: 100 });
  // b is offline for now, so everything goes to a and fails there.
  simB!.unplug();
  await rig.until(() => modem('b').state !== 'online', 'b offline');
  for (let i = 0; i < 3; i++) sms.send({ to: `+1555040004${i}`, text: `f${i}`, deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'modem.parked').length === 1, 'a parked');
  t.equal(ofType(rig.events, 'sms.failed').length, 3);
  t.match(ofType(rig.events, 'modem.parked')[0]!.data, { modem: 'a', reason: 'SMSC address unknown', failures: 3, retryAt: /^2026-03-01T10:3/ });
  t.match(modem('a').sending, { held: 'parked', parked: { reason: 'SMSC address unknown', failures: 3 }, failures: 3 });

  const waiting = sms.send({ to: '+15550400049', text: 'after parking', deliveryReport: false });
  t.equal(msg(waiting.id).modem, 'a', 'the only online modem takes it, parked or not');
  await rig.clock.advance(5000);
  t.match(msg(waiting.id), { status: 'queued', held: 'parked' }, 'held, not failed');
  simB!.replug();
  await rig.until(() => msg(waiting.id).status === 'sent', 'sent via b once b is online', 120_000);
  t.equal(msg(waiting.id).modem, 'b');
  t.equal(ofType(rig.events, 'sms.failed').length, 3, 'no more failures');

  // By hand: a sends again, its run of failures starts over.
  t.equal(sms.unpark!('a'), true);
  t.equal(sms.unpark!('a'), false, 'not parked any more');
  t.throws(() => sms.unpark!('nope'), { code: 'not_found', field: 'id' });
  t.match(ofType(rig.events, 'modem.unparked')[0]!.data, { modem: 'a', by: 'api' });
  t.match(modem('a').sending, { parked: null, held: null, failures: 0 });

  // Three more failures park it again; after retryMinutes it tries once, and one failure parks it again.
  for (let i = 0; i < 3; i++) sms.send({ to: `+1555040005${i}`, text: `g${i}`, modem: 'a', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'modem.parked').length === 2, 'parked again');
  const retryAt = Date.parse(ofType(rig.events, 'modem.parked')[1]!.data.retryAt!);
  t.equal(retryAt - Date.parse(ofType(rig.events, 'modem.parked')[1]!.timestamp), 30 * 60_000, 'it retries 30 minutes after it parked');
  const trial = sms.send({ to: '+15550400059', text: 'pinned trial', modem: 'a', deliveryReport: false });
  await rig.clock.advance(29 * 60_000);
  t.equal(ofType(rig.events, 'modem.unparked').length, 1, 'still parked after 29 minutes');
  await rig.until(() => ofType(rig.events, 'modem.unparked').length === 2, 'unparked by its timer');
  t.ok(rig.clock.now() >= retryAt, 'not before its retry time');
  t.match(ofType(rig.events, 'modem.unparked')[1]!.data, { modem: 'a', by: 'timer' });
  await rig.until(() => ofType(rig.events, 'modem.parked').length === 3, 'one failure parks it again');
  t.match(msg(trial.id), { status: 'failed' });
  // Fixed (the SIM topped up): the timer's next try sends.
  simA!.clearFaults();
  const later = sms.send({ to: '+15550400060', text: 'pinned later', modem: 'a', deliveryReport: false });
  await rig.clock.advance(29 * 60_000);
  t.equal(msg(later.id).status, 'queued');
  await rig.until(() => msg(later.id).status === 'sent', 'sent after the next retry');
  t.match(modem('a').sending, { parked: null, failures: 0 });
});
