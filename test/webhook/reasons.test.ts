// GET /sms/webhook-deliveries/:id says why a delivery waits and until when, from the scheduler's own
// state: the backoff, a Retry-After pause, an open circuit breaker, the rate limit, a disabled
// subscription; nothing once it is done.
import t from 'tap';
import { harness, receiver, until } from './helpers.ts';

t.test('the reason a delivery waits, and an accurate next attempt', async (t) => {
  let answer: number | { status: number; headers: Record<string, string> } = 500;
  const r = await receiver(t, () => answer);
  const h = await harness(t, { retry: { initialDelayMs: 10_000, maxDelayMs: 10_000, maxAttempts: 20 }, breaker: { threshold: 3, halfOpenAfterMs: 60_000 } });
  const hook = h.service.create({ url: r.url }).webhook;
  h.receive('one');
  const first = () => h.service.deliveries({ webhookId: hook.id }).items.at(-1) ?? { id: '', attempts: 0, status: 'none' };
  await until(() => first().attempts === 1, 'the first attempt');
  await h.service.settled();
  let d = h.service.delivery(first().id);
  t.match(d.waiting, { reason: 'retry 2, after the backoff' }, 'the backoff after a 500');
  t.equal(d.waiting!.until, d.nextAttemptAt, 'until the stored next attempt');

  // Two more failures open the breaker (threshold 3): the wait is the breaker's, longer than the backoff.
  for (let n = 2; n <= 3; n++) {
    await h.clock.advance(10_000);
    await until(() => first().attempts === n, `attempt ${n}`);
    await h.service.settled();
  }
  d = h.service.delivery(first().id);
  t.match(d.waiting, { reason: 'circuit breaker open after 3 failures in a row' }, 'the open breaker');
  const open = Date.parse(d.waiting!.until!);
  t.ok(open > Date.parse(d.nextAttemptAt!), `its end (${d.waiting!.until}) is after the backoff's (${d.nextAttemptAt})`);
  t.same(((await h.agent.health()).plugins.webhook as unknown as { openCircuits: { until: string }[] }).openCircuits.map((c: { until: string }) => c.until), [d.waiting!.until], 'the same time /health shows');

  // The breaker half-opens; the probe gets 503 with Retry-After: 600.
  answer = { status: 503, headers: { 'retry-after': '600' } };
  await h.clock.advance(open - h.clock.now());
  for (let i = 0; i < 600 && first().attempts < 4; i++) {
    await h.service.settled();
    await h.clock.advance(100);
  }
  t.equal(first().attempts, 4, 'the probe');
  await h.service.settled();
  const probeAt = Date.parse(h.service.delivery(first().id).attemptLog![3]!.at!);
  t.ok(probeAt >= open && probeAt - open <= 1000, `made at the time given, to the second (${probeAt - open} ms after)`);
  d = h.service.delivery(first().id);
  t.ok(d.waiting && /Retry-After|circuit breaker/.test(d.waiting.reason), `a Retry-After or the breaker again (${d.waiting?.reason})`);
  t.ok(Date.parse(d.waiting!.until!) - h.clock.now() >= 599_000, `for at least the 600 s asked (${d.waiting!.until})`);

  answer = 200;
  const then = Date.parse(d.waiting!.until!);
  await h.clock.advance(then - h.clock.now());
  for (let i = 0; i < 600 && first().status !== 'delivered'; i++) {
    await h.service.settled();
    await h.clock.advance(100);
  }
  t.equal(first().status, 'delivered', 'delivered in the end');
  const lastAt = Date.parse(h.service.delivery(first().id).attemptLog!.at(-1)!.at!);
  t.ok(lastAt >= then && lastAt - then <= 1000, `made at the time given, to the second (${lastAt - then} ms after)`);
  t.equal(h.service.delivery(first().id).waiting, null, 'nothing to wait for once delivered');

  // A disabled subscription holds its waiting deliveries until enabled.
  answer = 500;
  h.receive('two');
  const second = () => h.service.deliveries({ webhookId: hook.id }).items[0]!;
  await until(() => second().id !== first().id && second().attempts === 1, 'the second event tried once');
  await h.service.settled();
  h.service.update(hook.id, { enabled: false });
  for (let i = 0; i < 100 && second().status !== 'held'; i++) {
    await h.service.settled();
    await h.clock.advance(1000);
  }
  t.same(h.service.delivery(second().id).waiting, { reason: 'held: the subscription is disabled (enabling it resumes the delivery)', until: null });
});

t.test('the rate limit is a reason too', async (t) => {
  const r = await receiver(t, () => 200);
  const h = await harness(t);
  const hook = h.service.create({ url: r.url, rateLimitPerMinute: 1 }).webhook;
  h.receive('one');
  h.receive('two');
  await until(() => h.service.deliveries({ webhookId: hook.id }).items.some((x) => x.status === 'delivered'), 'the first delivered');
  await h.service.settled();
  const waiting = h.service.deliveries({ webhookId: hook.id }).items.find((x) => x.status !== 'delivered')!;
  const w = h.service.delivery(waiting.id).waiting!;
  t.equal(w.reason, 'rate limit of 1 per minute');
  t.same(h.service.deliveries({ webhookId: hook.id }).items.find((x) => x.id === waiting.id)!.waiting, w, 'the log lists the same wait');
  t.equal(h.service.deliveries({ webhookId: hook.id }).items.find((x) => x.status === 'delivered')!.waiting, null, 'none for a delivered one');
  const ms = Date.parse(w.until!) - h.clock.now();
  t.ok(ms > 50_000 && ms <= 60_000, `about a minute (${ms} ms)`);
});
