// The endpoint's policies are cockatiel's, composed breaker → timeout; its limit on attempts in
// flight is counted by the scheduler (capacity()).
import t from 'tap';
import { TaskCancelledError } from 'cockatiel';
import { ManualClock } from '../../core/clock.ts';
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

t.test('the breaker route counts failures and opens; the bypass route goes around an open circuit', async (t) => {
  const ep = endpoint(4, { ...defaultBreakerOptions, threshold: 2 });
  const fail = () => Promise.reject(new Error('receiver down'));
  for (let i = 0; i < 2; i++) await t.rejects(ep.policy('breaker', 1000).execute(fail));
  t.equal(ep.state, 'open');
  t.ok(ep.openUntil !== null, 'the open period\'s end is known on the clock');
  t.same(ep.capacity(0), { slots: 0, until: ep.openUntil! });
  await t.rejects(ep.policy('breaker', 1000).execute(async () => 'ok'), { message: /circuit breaker is open/ }, 'open: refused');
  t.equal(await ep.policy('bypass', 1000).execute(async () => 'ok'), 'ok', 'a person\'s attempt is made anyway');
  ep.reset();
  t.equal(ep.state, 'closed', 'and its success closes the circuit');
  t.equal(await ep.policy('breaker', 1000).execute(async () => 'ok'), 'ok');
});

t.test('the timeout ends an attempt with TaskCancelledError, aborts its signal, and counts for the breaker', async (t) => {
  const ep = endpoint(4, { ...defaultBreakerOptions, threshold: 1 });
  let signal: AbortSignal | undefined;
  // cockatiel's timer runs on real time (5 ms here) and is unref'd: keep the process up meanwhile.
  const keep = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keep));
  const ended = await ep.policy('breaker', 5).execute(({ signal: s }) => {
    signal = s;
    return new Promise(() => {});
  }).catch((e: unknown) => e);
  t.ok(ended instanceof TaskCancelledError);
  t.equal(signal?.aborted, true);
  t.equal(ep.state, 'open');
});

t.test('a finished attempt leaves its signal alone; the caller\'s signal still aborts one in flight', async (t) => {
  const ep = endpoint(4);
  // abortOnReturn is off: aborting a finished request cost a DOMException and an abort event per attempt.
  let done: AbortSignal | undefined;
  await ep.policy('breaker', 1000).execute(async ({ signal }) => {
    done = signal;
  });
  t.equal(done?.aborted, false, 'not aborted after the attempt returned');
  const stop = new AbortController();
  let inFlight: AbortSignal | undefined;
  const running = ep.policy('breaker', 60_000).execute(({ signal }) => {
    inFlight = signal;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }, stop.signal);
  stop.abort(new Error('stopping'));
  await t.rejects(running);
  t.equal(inFlight?.aborted, true, 'stopping aborts the request through the policies');
});
