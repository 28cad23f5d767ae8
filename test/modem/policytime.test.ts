// Per-SIM policy against the calendar (issue 29), end to end on the simulator with a manual clock:
// caps across a month boundary, quiet hours across midnight on the nights the clocks change, distinct
// recipients rolling off after 30 days across a restart, and a parked modem staying parked across one.
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import type { OutboundMessage } from '../../core/services.ts';
import { ofType, startRig, type Rig } from './helpers.ts';

const DAY = 86_400_000;
const quiet = { healthIntervalSeconds: 3600, retry: { initialDelayMs: 0 } };

/** The calendar day (UTC) each message went out, from the sms.sent events. */
const sentPerDay = (rig: Rig) => {
  const days: Record<string, number> = {};
  for (const e of ofType(rig.events, 'sms.sent')) days[e.timestamp.slice(0, 10)] = (days[e.timestamp.slice(0, 10)] ?? 0) + 1;
  return days;
};

t.test('caps across a month boundary: per day, then the month, each released at its midnight', async (t) => {
  const clock = new ManualClock(Date.parse('2026-03-30T10:00:00Z'));
  const rig = await startRig(t, { ...quiet, policy: { perDay: 3, perMonth: 5, timeZone: 'UTC' } }, { clock });
  const sms = rig.agent.use('sms');
  const ids = Array.from({ length: 9 }, (_, i) => sms.send({ to: `+155504010${String(i).padStart(2, '0')}`, text: `m${i}`, deliveryReport: false }).id);
  const msg = (id: string) => sms.getMessage(id) as OutboundMessage;
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 3, 'three on the 30th');
  await clock.advance(3600_000);
  t.match(msg(ids[3]!), { status: 'queued', held: 'daily cap', heldUntil: '2026-03-31T00:00:00.000+00:00' });

  await clock.advance(Date.parse('2026-03-31T12:00:00Z') - clock.now());
  t.same(sentPerDay(rig), { '2026-03-30': 3, '2026-03-31': 2 }, 'the 31st stops at 5 for March');
  t.match(msg(ids[5]!), { status: 'queued', held: 'monthly cap', heldUntil: '2026-04-01T00:00:00.000+00:00' });
  t.match(sms.modems()[0]!.sending, { counts: { day: 2, month: 5 }, caps: { day: 3, month: 5 }, held: 'monthly cap' });

  await clock.advance(Date.parse('2026-04-01T00:00:00Z') - 1000 - clock.now());
  t.equal(ofType(rig.events, 'sms.sent').length, 5, 'a second before April: still held');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 8, 'April begins');
  t.ok(clock.now() < Date.parse('2026-04-01T00:01:00Z'), 'promptly at midnight');
  await clock.advance(3600_000);
  t.same(sentPerDay(rig), { '2026-03-30': 3, '2026-03-31': 2, '2026-04-01': 3 });
  t.match(msg(ids[8]!), { status: 'queued', held: 'daily cap', heldUntil: '2026-04-02T00:00:00.000+00:00' }, 'the ninth: a new month, but the day is full');
  t.match(sms.modems()[0]!.sending, { counts: { day: 3, month: 3 } }, 'the month counts from the 1st');
  t.same(rig.sim.sent().length, 8, 'the simulator got each once');
});

for (const night of [
  { name: 'spring forward (CET to CEST)', queued: '2026-03-28T21:30:00Z', local: '22:30 CET', until: '2026-03-29T05:00:00Z' },
  { name: 'fall back (CEST to CET)', queued: '2026-10-24T20:30:00Z', local: '22:30 CEST', until: '2026-10-25T06:00:00Z' },
]) {
  t.test(`quiet hours 22:00-07:00 in Europe/Berlin across midnight, the night of the ${night.name}`, async (t) => {
    const clock = new ManualClock(Date.parse(night.queued));
    const rig = await startRig(t, { ...quiet, policy: { quietHours: { from: '22:00', to: '07:00' }, timeZone: 'Europe/Berlin' } }, { clock });
    const sms = rig.agent.use('sms');
    const normal = sms.send({ to: '+15550401100', text: 'good morning', deliveryReport: false });
    const code = sms.send({ to: '+15550401101', text: 'code 4711', priority: 'high', deliveryReport: false });
    await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'the high-priority code goes at once');
    t.equal(ofType(rig.events, 'sms.sent')[0]!.data.messageId, code.id);
    t.match(sms.getMessage(normal.id), { status: 'queued', held: 'quiet hours' }, `${night.local}: held`);
    t.equal(Date.parse((sms.getMessage(normal.id) as OutboundMessage).heldUntil!), Date.parse(night.until), '07:00 local after the change');
    await clock.advance(Date.parse(night.until) - 1000 - clock.now());
    t.equal(ofType(rig.events, 'sms.sent').length, 1, 'a second before 07:00 local: still quiet');
    await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'sent at 07:00 local');
    t.ok(clock.now() >= Date.parse(night.until) && clock.now() < Date.parse(night.until) + 60_000, 'at 07:00 local, not an hour off');
  });
}

t.test('distinct recipients per 30 days: a new number waits until the oldest rolls off, across a restart', async (t) => {
  const dir = t.testdir();
  const options = { ...quiet, policy: { recipientsPer30Days: 2, timeZone: 'UTC' } };
  const first = await startRig(t, options, { dir, clock: new ManualClock(Date.parse('2026-01-10T09:00:00Z')) });
  first.agent.use('sms').send({ to: '+15550401201', text: 'one', deliveryReport: false });
  await first.until(() => ofType(first.events, 'sms.sent').length === 1, 'first recipient');
  await first.clock.advance(3600_000);
  first.agent.use('sms').send({ to: '+15550401202', text: 'two', deliveryReport: false });
  await first.until(() => ofType(first.events, 'sms.sent').length === 2, 'second recipient');
  const oldest = Date.parse(ofType(first.events, 'sms.sent')[0]!.timestamp);
  await first.stop();

  // The agent is started again 29 days and 23 hours later: the counts come from the store.
  const clock = new ManualClock(oldest + 30 * DAY - 3600_000);
  const again = await startRig(t, options, { dir, clock });
  const sms = again.agent.use('sms');
  const status = (id: string) => (sms.getMessage(id) as OutboundMessage).status;
  t.match(sms.modems()[0]!.sending, { counts: { recipients30Days: 2 }, held: 'recipient cap' });
  const known = sms.send({ to: '+15550401202', text: 'two again', deliveryReport: false });
  const fresh = sms.send({ to: '+15550401203', text: 'three', deliveryReport: false });
  await again.until(() => status(known.id) === 'sent', 'a number of the last 30 days needs no new room');
  t.match(sms.getMessage(fresh.id), { status: 'queued', held: 'recipient cap' });
  t.equal(Date.parse((sms.getMessage(fresh.id) as OutboundMessage).heldUntil!), oldest + 30 * DAY, 'until the first number is 30 days old');
  await clock.advance(oldest + 30 * DAY - 1000 - clock.now());
  t.equal(status(fresh.id), 'queued', 'a second before');
  await again.until(() => status(fresh.id) === 'sent', 'rolled off: the new number goes');
  t.ok(clock.now() >= oldest + 30 * DAY, 'not before');
  t.match(sms.modems()[0]!.sending, { counts: { recipients30Days: 2 } }, 'two numbers of the last 30 days again');
});

t.test('a parked modem stays parked across a restart, and its timer still unparks it', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const options = { ...quiet, parking: { afterFailures: 2, retryMinutes: 60 } };
  const first = await startRig(t, options, { dir, clock });
  first.sim.fault('cms-330', { count: 100 });
  for (let i = 0; i < 2; i++) first.agent.use('sms').send({ to: `+1555040130${i}`, text: `f${i}`, deliveryReport: false });
  await first.until(() => ofType(first.events, 'modem.parked').length === 1, 'parked');
  const retryAt = Date.parse(ofType(first.events, 'modem.parked')[0]!.data.retryAt!);
  await first.stop();

  const again = await startRig(t, options, { dir, clock });
  const sms = again.agent.use('sms');
  const status = (id: string) => (sms.getMessage(id) as OutboundMessage).status;
  t.match(sms.modems()[0]!.sending, { held: 'parked', parked: { reason: 'SMSC address unknown', failures: 2 } }, 'still parked after the restart');
  const waiting = sms.send({ to: '+15550401309', text: 'after the restart', deliveryReport: false });
  await clock.advance(10 * 60_000);
  t.match(sms.getMessage(waiting.id), { status: 'queued', held: 'parked' });
  t.equal(again.sim.sent().length, 0, 'nothing sent while parked');
  await clock.advance(retryAt - 1000 - clock.now());
  t.equal(status(waiting.id), 'queued', 'a second before the retry time');
  await again.until(() => status(waiting.id) === 'sent', 'sent after the retry time');
  t.ok(clock.now() >= retryAt, 'not before its retry time');
  t.match(ofType(again.events, 'modem.unparked')[0]!.data, { by: 'timer' });
});
