// POST /webhooks/:id/test is an operator's action: it sends even while the circuit is open, and a
// success closes the circuit.
import t from 'tap';
import { harness, receiver, until } from './helpers.ts';

t.test('a test sends while the circuit is open, and its success closes the circuit', async (t) => {
  const r = await receiver(t, () => 500);
  const h = await harness(t, { breaker: { threshold: 1, halfOpenAfterMs: 3600_000, maxHalfOpenAfterMs: 3600_000 } });
  const sub = h.service.create({ url: r.url }).webhook;
  h.receive('x');
  await until(() => h.service.counts().retrying === 1, 'retrying');
  await h.service.settled();
  t.match((await h.agent.health()).plugins.webhook!.openCircuits, [{ state: 'open' }]);
  r.reply = () => 200; // the operator fixed the receiver
  const result = await h.service.test(sub.id);
  t.match(result, { outcome: 'delivered', status: 'delivered', httpStatus: 200 });
  t.equal(r.received.length, 2, 'the test was sent');
  t.same((await h.agent.health()).plugins.webhook!.openCircuits, [], 'the circuit is closed');
  // The waiting delivery goes at its scheduled time, no longer held by the circuit.
  for (let i = 0; i < 10 && h.service.counts().delivered < 2; i++) {
    await h.clock.advance(60_000);
    await h.service.settled();
  }
  t.equal(h.service.counts().delivered, 2);
});
