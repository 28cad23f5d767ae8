import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../plugins/webhook/index.ts';
import { harness, receiver, until, SECRET } from './helpers.ts';

t.test('an event reaches a standard subscriber, verified with the official standardwebhooks package', async (t) => {
  const r = await receiver(t);
  const h = await harness(t);
  const { webhook, secret } = h.service.create({ url: `${r.url}/hook?token=abc` });
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a generated secret: whsec_ + base64 of 32 bytes');
  const eventId = h.receive('your code is 123456');
  await r.waitFor(1);
  const got = r.received[0]!;
  t.equal(got.path, '/hook?token=abc');
  const payload = new Webhook(secret!).verify(got.body, got.headers as Record<string, string>) as Record<string, any>;
  t.equal(payload.type, 'sms.received');
  t.equal(payload.id, eventId);
  t.equal(payload.data.text, 'your code is 123456');
  t.equal(got.headers['content-type'], 'application/json');
  await h.service.settled();
  const log = h.service.deliveries({});
  t.equal(log.items.length, 1);
  t.match(log.items[0], { eventId, eventType: 'sms.received', webhookId: webhook.id, status: 'delivered', attempts: 1, lastStatus: 200, url: `${r.url}/hook` });
  t.equal(got.headers['webhook-id'], log.items[0]!.id, 'webhook-id is the delivery id');
  // Not /abc/: ids are hex and sometimes hold it. No query at all (`?`), no token name, body or number.
  t.notMatch(JSON.stringify(log), /token|\?|123456|5550100100/, 'no query token, body or number in the log');
});

t.test('a receiver down for a while, then back, gets every event', async (t) => {
  let up = false;
  const r = await receiver(t, () => (up ? 200 : 503));
  const h = await harness(t, { breaker: { threshold: 3, halfOpenAfterMs: 30_000 } });
  const { secret } = h.service.create({ url: r.url });
  const ids = Array.from({ length: 10 }, (_, i) => h.receive(`message ${i}`));
  await until(() => h.service.counts().retrying + h.service.counts().pending === 10 && r.received.length >= 3, 'first failures');
  await h.service.settled();
  // Time passes; the receiver comes back.
  for (let i = 0; i < 10; i++) await h.clock.advance(60_000);
  up = true;
  for (let i = 0; i < 60 && h.service.counts().delivered < 10; i++) {
    await h.clock.advance(60_000);
    await h.service.settled();
  }
  await h.service.settled();
  t.equal(h.service.counts().delivered, 10, 'all delivered');
  const okIds = new Set<string>();
  for (const x of r.received.filter((x) => x.answered === 200)) {
    // Signed at the (manual) clock's time, which ran ahead of the real one: verify at that time.
    const payload = (await verifyWebhook('standard', secret!, x.headers, x.body, { now: h.clock.now() })) as { id: string };
    okIds.add(payload.id);
  }
  t.same([...okIds].sort(), [...ids].sort(), 'every event arrived, signed');
  // While the circuit was open, deliveries waited without spending attempts: far fewer than 10 × attempts.
  const attempts = h.service.deliveries({ limit: 50 }).items.reduce((n, d) => n + d.attempts, 0);
  t.ok(attempts < 10 * 5, `attempts spent: ${attempts}`);
});
