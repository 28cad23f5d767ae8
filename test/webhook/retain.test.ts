// A delivery that waits longer than the journal keeps acknowledged events (7 days) still has its event.
import t from 'tap';
import { harness, receiver, until } from './helpers.ts';

t.test('pruning the journal keeps the event of a delivery still waiting (a subscription disabled for 8 days)', async (t) => {
  const r = await receiver(t, () => 500);
  const h = await harness(t, { retry: { maxAttempts: 100, maxAgeHours: 30 * 24 } });
  // An earlier event that no delivery waits for: pruned as before (retain keeps a floor, not a set).
  h.agent.journal.append('modem.online', { modem: 'modem' });
  const sub = h.service.create({ url: r.url }).webhook;
  h.receive('waits');
  await until(() => h.service.counts().retrying === 1, 'retrying');
  await h.service.settled();
  h.service.update(sub.id, { enabled: false });
  t.equal(h.service.counts().held, 1);
  await h.clock.advance(8 * 24 * 3600_000);
  const pruned = h.agent.journal.prune();
  t.equal(pruned, 1, 'only the event no delivery waits for was pruned');
  r.reply = () => 200;
  h.service.update(sub.id, { enabled: true });
  await until(() => h.service.counts().delivered === 1, `delivered ${JSON.stringify(h.service.deliveries({}).items[0]?.lastError)}`);
  t.equal(r.received.length, 2);
});
