// The endpoint's breaker is cockatiel's, with the attempt's deadline (deadline.ts) inside it; its limit
// on attempts in flight is counted by the scheduler (capacity()).
import t from 'tap';
import { TaskCancelledError } from 'cockatiel';
import { ManualClock } from '../../core/clock.ts';
import { Deadlines } from '../../plugins/webhook/deadline.ts';
import { Endpoint, defaultBreakerOptions } from '../../plugins/webhook/endpoint.ts';

const endpoint = (limit: number, options = defaultBreakerOptions) =>
  new Endpoint('http://127.0.0.1:9/in', limit, new ManualClock(), options, undefined, () => {});

t.test('capacity: the limit less the scheduled attempts in flight; a person\'s attempts take no slot', async (t) => {
  const ep = endpoint(4);
  t.same(ep.capacity(0), { slots: 4 });
  ep.inFlight = 3;
  ep.scheduled = 2;
  t.same(ep.capacity(0), { slots: 2 }, 'one of the three is a person\'s test');
  ep.scheduled = 4;
  ep.inFlight = 4;
  t.same(ep.capacity(0), { slots: 0 }, 'full: look again when one settles');
  ep.pausedUntil = 500;
  t.same(ep.capacity(100), { slots: 0, until: 500 }, 'Retry-After pause: none until it ends');
});

t.test('the breaker counts failures and opens; reset() closes it again', async (t) => {
  const changes: string[] = [];
  const ep = new Endpoint('http://127.0.0.1:9/in', 4, new ManualClock(), { ...defaultBreakerOptions, threshold: 2 }, undefined, (e) => changes.push(e.state));
  const fail = () => Promise.reject(new Error('receiver down'));
  for (let i = 0; i < 2; i++) await t.rejects(ep.breaker.execute(fail));
  t.equal(ep.state, 'open');
  t.ok(ep.openUntil !== null, 'the open period\'s end is known on the clock');
  t.same(ep.capacity(0), { slots: 0, until: ep.openUntil! });
  await t.rejects(ep.breaker.execute(async () => 'ok'), { message: /circuit breaker is open/ }, 'open: refused');
  ep.reset();
  t.equal(ep.state, 'closed', 'a person\'s attempt reached the receiver: closed');
  t.equal(await ep.breaker.execute(async () => 'ok'), 'ok');
  t.same(changes, ['open', 'closed'], 'each change is reported (and saved by the engine)');
});

t.test('a timed-out attempt counts for the breaker (the deadline runs inside it)', async (t) => {
  const ep = endpoint(4, { ...defaultBreakerOptions, threshold: 1 });
  const deadlines = new Deadlines();
  // The deadline's timer runs on real time (5 ms here) and is unref'd: keep the process up meanwhile.
  const keep = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keep));
  const ended = await ep.breaker.execute(() => deadlines.run(5, () => new Promise(() => {}))).catch((e: unknown) => e);
  t.ok(ended instanceof TaskCancelledError);
  t.equal(ep.state, 'open');
});
