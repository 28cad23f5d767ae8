// Each attempt's deadline: its own signal, aborted at the deadline or at stop, never after it ended.
import t from 'tap';
import { TaskCancelledError } from 'cockatiel';
import { Deadlines } from '../../plugins/webhook/deadline.ts';

// The timers are real (a few ms) and unref'd: keep the process up while a test waits on one.
const keepAlive = (t: { teardown(fn: () => void): void }) => {
  const keep = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keep));
};

t.test('at the deadline: the attempt rejects with TaskCancelledError and its signal aborts with it', async (t) => {
  keepAlive(t);
  const deadlines = new Deadlines();
  let signal: AbortSignal | undefined;
  const ended = await deadlines.run(5, (s) => {
    signal = s;
    return new Promise(() => {});
  }).catch((e: unknown) => e);
  t.ok(ended instanceof TaskCancelledError, 'a transport that ignores its signal still ends');
  t.match((ended as Error).message, /timed out after 5ms/);
  t.equal(signal?.aborted, true);
  t.equal(signal?.reason, ended, 'the request is aborted with the same error');
  t.equal(deadlines.size, 0);
});

t.test('an attempt that answers in time: its value, its timer cleared, its signal left alone', async (t) => {
  const deadlines = new Deadlines();
  let signal: AbortSignal | undefined;
  const value = await deadlines.run(60_000, async (s) => {
    signal = s;
    return 'answered';
  });
  t.equal(value, 'answered');
  t.equal(signal?.aborted, false, 'a finished request is not aborted (a DOMException and an abort event for nothing)');
  t.equal(deadlines.size, 0, 'nothing left in flight: the 60 s timer would not hold the test either way (unref)');
  const failure = new Error('refused');
  await t.rejects(deadlines.run(60_000, () => Promise.reject(failure)), failure, 'a failure passes through as it is');
  await t.rejects(deadlines.run(60_000, () => {
    throw failure;
  }), failure, 'so does one thrown before the first await');
});

t.test('stop() aborts every attempt in flight with its reason, and refuses new ones', async (t) => {
  const deadlines = new Deadlines();
  const signals: AbortSignal[] = [];
  const hang = (s: AbortSignal) => {
    signals.push(s);
    return new Promise<never>((_, reject) => s.addEventListener('abort', () => reject(new Error('aborted by the transport')), { once: true }));
  };
  const running = [deadlines.run(60_000, hang), deadlines.run(60_000, hang)];
  t.equal(deadlines.size, 2);
  const stopping = new Error('stopping');
  deadlines.stop(stopping);
  for (const r of running) await t.rejects(r, stopping, 'rejected with the reason, not the transport\'s own error');
  t.ok(signals.every((s) => s.aborted && s.reason === stopping), 'each request aborted');
  t.equal(deadlines.size, 0);
  let called = false;
  await t.rejects(deadlines.run(60_000, async () => {
    called = true;
  }), stopping);
  t.notOk(called, 'after stop() no attempt starts');
});
