// The journal sink of the webhook plugin: events handed over in one turn become delivery rows in one
// transaction, and the scheduler is told once per endpoint.
import t from 'tap';
import { systemClock } from '../../core/clock.ts';
import { Journal, journalMigrations } from '../../core/journal.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';
import { received } from '../fixtures/events.ts';
import { Deliveries } from '../../plugins/webhook/deliveries.ts';
import { createIntake, deliveriesFor } from '../../plugins/webhook/intake.ts';
import { webhookMigrations } from '../../plugins/webhook/schema.ts';
import { Subscriptions } from '../../plugins/webhook/subscriptions.ts';

function setup() {
  const store = openStore({ path: ':memory:' });
  store.migrate('journal', journalMigrations);
  store.migrate('webhook', webhookMigrations);
  const journal = new Journal(store, { clock: systemClock, log: silentLogger() });
  const subscriptions = new Subscriptions(store, () => 1000);
  const deliveries = new Deliveries(store);
  return { store, journal, subscriptions, deliveries };
}

t.test('a batch of events: one row per matching subscription, the scheduler told once per endpoint', async (t) => {
  const { store, journal, subscriptions, deliveries } = setup();
  t.teardown(() => store.close());
  subscriptions.create({ url: 'http://a.example/in?token=1', events: ['sms.received'] });
  subscriptions.create({ url: 'http://a.example/in?token=2', events: ['sms.received'] });
  subscriptions.create({ url: 'http://b.example/hook', events: ['sms.received'], filters: { modem: 'other' } });
  subscriptions.create({ url: 'http://c.example/hook', events: ['sms.sent'] });
  let now = 5000;
  const told: [string, number | null][] = [];
  const intake = createIntake({
    store, log: silentLogger(), now: () => now++, subscriptions, deliveries, holding: () => false,
    notify: (endpoint, nextAt) => told.push([endpoint, nextAt]),
  });
  const events = [0, 1, 2].map((i) => journal.append('sms.received', received(i)));
  // Handed over in one turn, as the journal's runner does with a backlog page.
  await Promise.all(events.map((e) => intake(e)));
  const rows = store.all<{ event_id: string; endpoint: string; next_at: number }>('SELECT event_id, endpoint, next_at FROM webhook_deliveries ORDER BY event_id, endpoint');
  t.equal(rows.length, 6, 'two subscriptions match each event (one is filtered out by modem, one wants sms.sent)');
  t.same(new Set(rows.map((r) => r.endpoint)), new Set(['http://a.example/in']), 'both go to one endpoint (the query is not part of it)');
  t.ok(rows.every((r) => r.next_at === 5000), 'due at once, at the batch\'s time');
  t.same(told, [['http://a.example/in', 5000]], 'one notification for the endpoint, not one per row');
  await intake(events[0]!);
  t.equal(store.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_deliveries')?.n, 6, 'an event handed over again adds nothing');
  t.equal(told.length, 1, 'and tells nothing');
});

t.test('subscriptions as they are now: all() follows every change, and a new URL a new endpoint', async (t) => {
  const { store, journal, subscriptions } = setup();
  t.teardown(() => store.close());
  const event = journal.append('sms.received', received(0));
  const { sub } = subscriptions.create({ url: 'http://a.example/one', events: ['sms.received'] });
  t.same(deliveriesFor(event, subscriptions).map((d) => d.endpoint), ['http://a.example/one']);
  t.equal(subscriptions.all(), subscriptions.all(), 'the same list while nothing changes');
  subscriptions.update(sub.id, { url: 'http://a.example/two' });
  t.same(deliveriesFor(event, subscriptions).map((d) => d.endpoint), ['http://a.example/two'], 'the endpoint of the updated subscription');
  const other = subscriptions.create({ url: 'http://b.example/x', events: ['sms.received'] }).sub;
  t.equal(subscriptions.all().length, 2);
  subscriptions.disable(other.id, 'gone');
  t.same(deliveriesFor(event, subscriptions).map((d) => d.endpoint), ['http://a.example/two'], 'a disabled one takes nothing');
  subscriptions.delete(sub.id);
  t.same(subscriptions.all().map((s) => s.id), [other.id]);
  t.same(deliveriesFor(event, subscriptions), []);
  subscriptions.reload();
  t.same(subscriptions.all().map((s) => s.id), [other.id], 'reloaded from the store');
});
