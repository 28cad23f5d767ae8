import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openStore, type Store } from '../../core/store.ts';
import { SendPolicy, type PolicySettings } from '../../plugins/modem/policy.ts';
import { migrations } from '../../plugins/modem/schema.ts';
import { dayBounds, instantOf, monthBounds, wallAt, windowEnd } from '../../plugins/modem/zoned.ts';

// The per-SIM policy on its own (plugins/modem/policy.ts), over a real store and a manual clock: a month
// of sends runs in milliseconds because time is set, not waited for.

const at = (s: string) => Date.parse(s);

function rig(t: Test, settings: Omit<PolicySettings, 'timeZone'> & { timeZone?: string }, start: string) {
  const store: Store = openStore({ path: join(t.testdir(), 'smsedge.db'), synchronous: 'NORMAL' });
  t.teardown(() => store.close());
  store.migrate('modem', migrations);
  // Set, not advanced: nothing sleeps here, and a month of minutes runs without flushing timers.
  let now = at(start);
  const clock = { now: () => now, sleep: () => new Promise<void>(() => {}) };
  const policy = new SendPolicy({ store, clock, modem: 'a', settings: { timeZone: 'UTC', ...settings }, random: () => 0.5 });
  /** One message of `parts` to `to`, recorded as the worker does (one row per part, then the pause). */
  const send = (to: string, parts = 1) => {
    for (let i = 0; i < parts; i++) policy.record(to);
    policy.finished();
  };
  return { store, clock, policy, send, set: async (ms: number) => void (now = ms) };
}

t.test('a month of caps: per day and per calendar month, each released at its boundary', async (t) => {
  const { policy, send, clock, set } = rig(t, { perDay: 40, perMonth: 1000, perHour: 10 }, '2026-01-01T00:00:00Z');
  const perDay = new Map<string, number>();
  const holds = new Map<string, number>();
  let endsInThePast = 0;
  // Try a message every two minutes for 62 days.
  for (let minute = 0; minute < 62 * 1440; minute += 2) {
    const now = at('2026-01-01T00:00:00Z') + minute * 60_000;
    await set(now);
    const hold = policy.hold({ recipient: '+15550001', parts: 1, priority: 1 });
    if (hold) {
      holds.set(hold.reason, (holds.get(hold.reason) ?? 0) + 1);
      if (!(hold.untilMs! > now)) endsInThePast++;
      continue;
    }
    send('+15550001');
    const day = new Date(now).toISOString().slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  t.equal(endsInThePast, 0, 'every hold ends in the future');
  t.equal(Math.max(...perDay.values()), 40, 'never more than 40 in a day');
  const january = [...perDay].filter(([d]) => d.startsWith('2026-01')).reduce((n, [, c]) => n + c, 0);
  const february = [...perDay].filter(([d]) => d.startsWith('2026-02')).reduce((n, [, c]) => n + c, 0);
  t.equal(january, 1000, 'January stops at the monthly cap');
  t.equal(perDay.get('2026-01-25'), 40);
  t.equal(perDay.get('2026-01-26'), undefined, 'day 26: the month is used up (25 x 40 = 1000)');
  t.equal(perDay.get('2026-02-01'), 40, 'the next calendar month starts afresh');
  t.equal(february, 1000, 'February: the monthly cap again (28 x 40 would be more)');
  t.equal(perDay.get('2026-03-01'), 40, 'and March starts afresh');
  t.ok(holds.get('hourly cap')! > 0 && holds.get('daily cap')! > 0 && holds.get('monthly cap')! > 0, 'each cap held at some point');
  t.ok(clock.now() > at('2026-03-03T23:00:00Z'), 'a month and more went by');
  t.match(policy.counters(), { day: 40, month: 3 * 40, recipients30Days: 1 }, 'counters from the store: 3 March, the third day of the month');
});

t.test('holds say when they end: rolling minute and hour, calendar day and month', async (t) => {
  const { policy, send, set } = rig(t, { perMinute: 2, perDay: 4 }, '2026-05-31T23:58:00Z');
  send('+1');
  await set(at('2026-05-31T23:58:20Z'));
  send('+1');
  t.same(policy.hold({ recipient: '+1', parts: 1, priority: 1 }), { reason: 'minute cap', untilMs: at('2026-05-31T23:59:00Z') }, 'the oldest of the minute leaves at 23:59:00');
  t.same(policy.hold({ recipient: '+1', parts: 2, priority: 1 }), { reason: 'minute cap', untilMs: at('2026-05-31T23:59:20Z') }, 'two parts need both to leave');
  await set(at('2026-05-31T23:59:30Z'));
  t.same(policy.hold({ recipient: '+1', parts: 3, priority: 1 }), { reason: 'daily cap', untilMs: at('2026-06-01T00:00:00Z') }, 'three parts do not fit in the day');
  t.equal(policy.hold({ recipient: '+1', parts: 2, priority: 1 }), null, 'two do');
  t.equal(policy.hold({ recipient: '+1', parts: 5, priority: 1, begun: true }), null, 'the rest of a begun message is not held by a cap');
  t.same(policy.hold({ recipient: '+1', parts: 9, priority: 1 }), { reason: 'daily cap', untilMs: at('2026-06-01T00:00:00Z') }, 'a message longer than a cap needs the whole cap');
  await set(at('2026-06-01T00:00:30Z'));
  t.equal(policy.hold({ recipient: '+1', parts: 2, priority: 1 }), null, 'a new day, a new minute');
  t.same(policy.counters(), { minute: 0, hour: 2, day: 0, month: 0, recipients30Days: 1 });
  t.same(policy.caps(), { minute: 2, day: 4 });
});

t.test('distinct recipients per rolling 30 days: a known one passes, a new one waits for the oldest to roll off', async (t) => {
  const { policy, send, set } = rig(t, { recipientsPer30Days: 3 }, '2026-01-01T12:00:00Z');
  send('+1');
  await set(at('2026-01-05T12:00:00Z'));
  send('+2');
  await set(at('2026-01-10T12:00:00Z'));
  send('+3');
  await set(at('2026-01-20T12:00:00Z'));
  send('+1'); // +1 again: its 30 days start over
  t.equal(policy.hold({ recipient: '+2', parts: 1, priority: 1 }), null, 'a recipient of the last 30 days needs no new room');
  t.same(policy.hold({ recipient: '+4', parts: 1, priority: 0 }), { reason: 'recipient cap', untilMs: at('2026-02-04T12:00:00Z') }, '+2 (last written 5 Jan) leaves first, 30 days on; high priority does not pass a cap');
  await set(at('2026-02-04T11:59:59Z'));
  t.match(policy.hold({ recipient: '+4', parts: 1, priority: 1 }), { reason: 'recipient cap' }, 'a second before');
  await set(at('2026-02-04T12:00:00Z'));
  t.equal(policy.hold({ recipient: '+4', parts: 1, priority: 1 }), null, 'rolled off');
  t.equal(policy.counters().recipients30Days, 2);
  send('+4');
  t.match(policy.hold({ recipient: '+2', parts: 1, priority: 1 }), { reason: 'recipient cap', untilMs: at('2026-02-09T12:00:00Z') }, '+2 is new again');
  // Rows older than any window (32 days) are pruned, hourly as messages go and here by hand.
  await set(at('2026-03-01T00:00:00Z'));
  t.equal(policy.prune(), 3, 'the rows of 5, 10 and 20 January went (1 January went with the send of 4 February)');
  t.equal(policy.counters().recipients30Days, 1, '+4 of 4 February is still counted');
});

t.test('quiet hours across midnight in a time zone, through both daylight-saving changes; high priority passes', async (t) => {
  const tz = 'Europe/Berlin';
  const { policy, set } = rig(t, { quietHours: { from: '22:00', to: '07:00' }, timeZone: tz }, '2026-03-28T20:59:00Z');
  const normal = { recipient: '+1', parts: 1, priority: 1 };
  t.equal(policy.hold(normal), null, '21:59 CET: before the window');
  await set(at('2026-03-28T21:00:00Z'));
  // The night the clocks go forward (02:00 CET -> 03:00 CEST): 07:00 local is 05:00Z, not 06:00Z.
  t.same(policy.hold(normal), { reason: 'quiet hours', untilMs: at('2026-03-29T05:00:00Z') }, '22:00 CET: held until 07:00 CEST');
  t.equal(policy.hold({ ...normal, priority: 0 }), null, 'a high-priority code passes quiet hours');
  await set(at('2026-03-29T04:59:00Z'));
  t.match(policy.hold(normal), { reason: 'quiet hours' }, '06:59 CEST: still quiet');
  await set(at('2026-03-29T05:00:00Z'));
  t.equal(policy.hold(normal), null, '07:00 CEST: sends again');
  await set(at('2026-03-29T20:00:00Z'));
  t.match(policy.hold(normal), { reason: 'quiet hours', untilMs: at('2026-03-30T05:00:00Z') }, '22:00 CEST (20:00Z): the window follows the local clock');
  // The night they go back (03:00 CEST -> 02:00 CET): 07:00 local is 06:00Z.
  await set(at('2026-10-24T21:00:00Z'));
  t.match(policy.hold(normal), { reason: 'quiet hours', untilMs: at('2026-10-25T06:00:00Z') }, '23:00 CEST: held until 07:00 CET');
  await set(at('2026-10-25T05:59:00Z'));
  t.match(policy.hold(normal), { reason: 'quiet hours' }, '06:59 CET');
  await set(at('2026-10-25T06:00:00Z'));
  t.equal(policy.hold(normal), null);
});

t.test('the pause between messages is drawn between min and max, and not between parts', async (t) => {
  const { policy, send, set, store, clock } = rig(t, { pauseSeconds: { min: 10, max: 30 } }, '2026-01-01T00:00:00Z');
  t.equal(policy.hold({ recipient: '+1', parts: 1, priority: 1 }), null, 'nothing sent yet: no pause');
  send('+1', 3);
  t.same(policy.hold({ recipient: '+1', parts: 1, priority: 0 }), { reason: 'pause', untilMs: clock.now() + 20_000 }, 'random 0.5 of 10-30 s');
  t.equal(policy.hold({ recipient: '+1', parts: 1, priority: 1, begun: true }), null, 'the rest of a begun message is not paused');
  await set(clock.now() + 20_000);
  t.equal(policy.hold({ recipient: '+1', parts: 1, priority: 1 }), null);
  // After a restart the pause is the shortest one after the store's last send.
  const again = new SendPolicy({ store, clock, modem: 'a', settings: { timeZone: 'UTC', pauseSeconds: { min: 10, max: 30 } } });
  const last = clock.now();
  again.record('+1');
  t.same(again.hold({ recipient: '+1', parts: 1, priority: 1 }), { reason: 'pause', untilMs: last + 10_000 });
});

t.test('the longest hold wins when several apply', async (t) => {
  const { policy, send } = rig(t, { perDay: 1, quietHours: { from: '00:00', to: '06:00' } }, '2026-01-01T01:00:00Z');
  send('+1');
  t.same(policy.hold({ recipient: '+1', parts: 1, priority: 1 }), { reason: 'daily cap', untilMs: at('2026-01-02T00:00:00Z') }, 'the cap ends after the quiet hours');
});

t.test('zone arithmetic: days, months, skipped and repeated wall times', async (t) => {
  const tz = 'America/New_York';
  t.equal(instantOf(tz, 2026, 3, 8, 2, 30), at('2026-03-08T07:30:00Z'), 'a skipped 02:30 reads as 03:30 EDT');
  t.equal(instantOf(tz, 2026, 11, 1, 1, 30), at('2026-11-01T05:30:00Z'), 'a repeated 01:30 is the first one (EDT)');
  t.same(dayBounds(at('2026-03-08T12:00:00Z'), tz), { start: at('2026-03-08T05:00:00Z'), end: at('2026-03-09T04:00:00Z') }, 'a 23-hour day');
  t.same(monthBounds(at('2026-12-31T23:00:00Z'), 'UTC'), { start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') }, 'a year rolls');
  t.same(wallAt(at('2026-07-01T00:30:00Z'), 'Asia/Kolkata'), { year: 2026, month: 7, day: 1, hour: 6, minute: 0, second: 0 });
  t.equal(windowEnd(at('2026-01-01T12:00:00Z'), 'UTC', 600, 600), null, 'an empty window never holds');
  t.equal(windowEnd(at('2026-01-01T12:00:00Z'), 'UTC', 9 * 60, 17 * 60), at('2026-01-01T17:00:00Z'), 'a window within the day');
  t.equal(windowEnd(at('2026-01-01T08:00:00Z'), 'UTC', 9 * 60, 17 * 60), null);
});
