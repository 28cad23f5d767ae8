// The endpoint's policies are cockatiel's, composed global bulkhead → endpoint bulkhead → breaker → timeout.
import t from 'tap';
import { BulkheadRejectedError, TaskCancelledError, bulkhead } from 'cockatiel';
import { ManualClock } from '../../core/clock.ts';
import { Endpoint, defaultBreakerOptions } from '../../plugins/webhook/endpoint.ts';

const endpoint = (limit: number, global = bulkhead(32)) =>
  new Endpoint('http://127.0.0.1:9/in', limit, global, new ManualClock(), defaultBreakerOptions, undefined, () => {});

t.test('the scheduled policy takes a slot of the endpoint and the global bulkhead; full, it refuses', async (t) => {
  const global = bulkhead(1);
  const a = endpoint(4, global);
  const b = endpoint(4, global);
  let release!: () => void;
  const running = a.policy('scheduled', 1000).execute(() => new Promise<void>((r) => (release = r)));
  t.equal(global.executionSlots, 0);
  t.equal(a.bulkhead.executionSlots, 3);
  const refused = await b.policy('scheduled', 1000).execute(async () => {}).catch((e: unknown) => e);
  t.ok(refused instanceof BulkheadRejectedError, 'the global bulkhead is shared');
  t.equal(b.state, 'closed', 'a refusal for capacity is not a receiver failure');
  await t.resolves(b.policy('direct', 1000).execute(async () => {}), 'a direct attempt is never refused for capacity');
  release();
  await running;
  t.equal(global.executionSlots, 1);
});

t.test('the timeout ends an attempt with TaskCancelledError, aborts its signal, and counts for the breaker', async (t) => {
  const ep = new Endpoint('http://127.0.0.1:9/in', 4, bulkhead(32), new ManualClock(), { ...defaultBreakerOptions, threshold: 1 }, undefined, () => {});
  let signal: AbortSignal | undefined;
  // cockatiel's timer runs on real time (5 ms here) and is unref'd: keep the process up meanwhile.
  const keep = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keep));
  const ended = await ep.policy('scheduled', 5).execute(({ signal: s }) => {
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
  await ep.policy('scheduled', 1000).execute(async ({ signal }) => {
    done = signal;
  });
  t.equal(done?.aborted, false, 'not aborted after the attempt returned');
  const stop = new AbortController();
  let inFlight: AbortSignal | undefined;
  const running = ep.policy('scheduled', 60_000).execute(({ signal }) => {
    inFlight = signal;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }, stop.signal);
  stop.abort(new Error('stopping'));
  await t.rejects(running);
  t.equal(inFlight?.aborted, true, 'stopping aborts the request through the policies');
});
