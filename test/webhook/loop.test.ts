// The scheduler loop's timed wake-up: one timer kept from turn to turn, gone once the engine stops.
import t from 'tap';
import { harness, receiver, until } from './helpers.ts';

t.test('a retry waits on the loop timer, which stop() cancels (nothing keeps the process alive)', async (t) => {
  const r = await receiver(t, (_req, n) => (n === 1 ? 500 : 200));
  const h = await harness(t);
  h.service.create({ url: r.url });
  h.receive('x');
  await until(() => h.service.counts().retrying === 1, 'retrying after the 500');
  await h.service.settled();
  t.ok(h.clock.pending >= 1, 'the loop sleeps until the retry is due');
  await h.agent.stop();
  t.equal(h.clock.pending, 0, 'no sleeper left after stop');
});

t.test('the kept timer still wakes the loop when the retry falls due', async (t) => {
  const r = await receiver(t, (_req, n) => (n === 1 ? 500 : 200));
  const h = await harness(t);
  h.service.create({ url: r.url });
  h.receive('x');
  await until(() => h.service.counts().retrying === 1, 'retrying after the 500');
  // Other work turning the loop (a second event delivered now) must not lose the retry's wake-up.
  h.receive('y');
  await r.waitFor(2);
  await h.service.settled();
  for (let i = 0; i < 20 && h.service.counts().delivered < 2; i++) {
    await h.clock.advance(60_000);
    await h.service.settled();
  }
  t.equal(h.service.counts().delivered, 2);
  t.equal(r.received.length, 3);
});
