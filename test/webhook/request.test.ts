// Requests built ahead of their attempts (plugins/webhook/request.ts): what they hold, and that an
// attempt never sends one that is no longer what it would build itself.
import t from 'tap';
import type { AnyEvent } from '../../core/events.ts';
import type { DueDelivery } from '../../plugins/webhook/deliveries.ts';
import type { PostRequest, PostResponse } from '../../plugins/webhook/index.ts';
import { buildRequest, PREPARED_MAX_AGE_MS, stillValid, type RequestContext } from '../../plugins/webhook/request.ts';
import { standardKey, hmac } from '../../plugins/webhook/secret.ts';
import type { Subscription } from '../../plugins/webhook/subscriptions.ts';
import { harness, receiver, SECRET } from './helpers.ts';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const OTHER = 'whsec_QmVuY2gtc2VjcmV0LWZvci1yb3RhdGlvbi10ZXN0cw==';

function subscription(over: Partial<Subscription> = {}): Subscription {
  return {
    id: 'sub1', kind: 'webhook', url: 'http://user:p%40ss@127.0.0.1:9/hook?k=v', events: ['sms.received'], format: 'standard',
    secret: SECRET, useDefaultSecret: false, previousSecret: null, previousExpiresAt: null, filters: {}, enabled: true,
    disabledReason: null, maxAttempts: null, timeoutMs: null, rateLimitPerMinute: null, headers: { 'x-tenant': 'a' },
    createdAt: NOW, updatedAt: NOW, ...over,
  };
}

function due(event: AnyEvent): DueDelivery {
  return {
    id: 'dlv1', subscription_id: 'sub1', url: null, endpoint: 'http://127.0.0.1:9/hook', status: 'pending', attempts: 0, tries: 0,
    next_at: NOW, backoff: null, created_at: NOW, event, eventData: JSON.stringify(event.data), request: undefined,
  };
}

const event = {
  id: 'evt1', seq: 1, type: 'sms.received', timestamp: '2026-12-06T12:00:00.000Z',
  data: { messageId: 'm1', from: '+15550100100', text: 'hi', callbackUrl: 'http://other.example/cb?token=s3cret' },
} as unknown as AnyEvent;

const ctx: RequestContext = {
  agentId: 'test-agent',
  secrets: (sub) => (sub ? [sub.secret!] : [SECRET]),
  target: (url) => ({ url: url.replace('user:p%40ss@', ''), authorization: url.includes('@') ? `Basic ${Buffer.from('user:p@ss').toString('base64')}` : undefined }),
};

t.test('buildRequest formats and signs at the time given, with the subscription\'s headers and the URL\'s credentials', async (t) => {
  const sub = subscription();
  const built = buildRequest(ctx, due(event), sub, sub.url, NOW);
  if (built instanceof Promise) throw new Error('standard is synchronous');
  t.equal(built.at, NOW);
  t.equal(built.sub, sub);
  t.equal(built.url, 'http://127.0.0.1:9/hook?k=v', 'credentials leave the URL');
  t.equal(built.headers.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  t.equal(built.headers['x-tenant'], 'a');
  t.match(built.headers['user-agent'], /^smsedge\//);
  t.equal(built.headers['webhook-timestamp'], String(NOW / 1000));
  const signed = `dlv1.${NOW / 1000}.${built.body}`;
  t.equal(built.headers['webhook-signature'], `v1,${hmac(standardKey(SECRET), signed, 'base64')}`);
  t.notMatch(built.body, /callbackUrl|s3cret/, 'a message\'s callbackUrl is never sent');
  t.same(JSON.parse(built.body).data, { messageId: 'm1', from: '+15550100100', text: 'hi' });
});

t.test('a format that answers with a promise gives a promise of the same request', async (t) => {
  const sub = subscription({ format: 'cloudevents' });
  const built = buildRequest(ctx, due(event), sub, sub.url, NOW);
  t.ok(built instanceof Promise);
  const request = await built;
  t.equal(request.headers['x-tenant'], 'a');
  t.match(request.headers.authorization, /^Bearer ey/, 'the format\'s own Authorization wins over the URL\'s credentials');
  t.match(request.body, /"id":"evt1"/);
});

t.test('stillValid: the same subscription object, not too old, and no previous secret expired since', async (t) => {
  const sub = subscription({ previousSecret: OTHER, previousExpiresAt: NOW + 2000 });
  const built = buildRequest(ctx, due(event), sub, sub.url, NOW) as Exclude<ReturnType<typeof buildRequest>, Promise<unknown>>;
  t.ok(stillValid(built, sub, NOW));
  t.ok(stillValid(built, sub, NOW + 1999));
  t.notOk(stillValid(built, sub, NOW + 2000), 'the previous secret stopped signing since it was built');
  t.notOk(stillValid(built, { ...sub }, NOW), 'the subscription was replaced (updated, rotated)');
  t.notOk(stillValid(built, sub, NOW - 1), 'the clock went back');

  const plain = subscription();
  const b2 = buildRequest(ctx, due(event), plain, plain.url, NOW) as typeof built;
  t.ok(stillValid(b2, plain, NOW + PREPARED_MAX_AGE_MS));
  t.notOk(stillValid(b2, plain, NOW + PREPARED_MAX_AGE_MS + 1), 'too old: its timestamp would be stale');
  const expiredBefore = subscription({ previousSecret: OTHER, previousExpiresAt: NOW - 1 });
  const b3 = buildRequest(ctx, due(event), expiredBefore, expiredBefore.url, NOW) as typeof built;
  t.ok(stillValid(b3, expiredBefore, NOW + 1000), 'a secret that had expired already was not used');
});

t.test('a delivery held back by the rate limit is signed when it is sent, not when its page was read', async (t) => {
  const r = await receiver(t);
  const h = await harness(t);
  const start = h.clock.now();
  h.service.create({ url: r.url, rateLimitPerMinute: 1, secret: SECRET });
  h.receive('first');
  h.receive('second');
  await r.waitFor(1);
  await h.service.settled();
  t.equal(r.received.length, 1, 'one now, the other a minute later');
  await h.clock.advance(60_000);
  await r.waitFor(2);
  const { verifyWebhook } = await import('../../plugins/webhook/index.ts');
  const [first, second] = r.received;
  t.equal(first!.headers['webhook-timestamp'], String(Math.floor(start / 1000)));
  t.equal(second!.headers['webhook-timestamp'], String(Math.floor((start + 60_000) / 1000)), 'the time of its own attempt');
  await t.resolves(verifyWebhook('standard', SECRET, new Headers(second!.headers as Record<string, string>), second!.body, { now: start + 60_000 }));
});

t.test('a secret rotated while a page waits for its attempts signs the ones sent after it', async (t) => {
  const seen: PostRequest[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const transport = async (req: PostRequest): Promise<PostResponse> => {
    seen.push(req);
    if (seen.length === 1) await gate;
    return { status: 200, retryAfter: null };
  };
  const h = await harness(t, { transport, concurrency: { perEndpoint: 1 } });
  const { webhook } = h.service.create({ url: 'http://127.0.0.1:9/hook', secret: SECRET });
  for (let i = 0; i < 3; i++) h.receive(`m${i}`);
  while (seen.length < 1) await new Promise((r) => setImmediate(r));
  // The three were read (and built) as one page; the first is in flight, the others wait for its slot.
  const rotated = h.service.rotateSecret(webhook.id);
  release();
  while (h.service.counts().delivered < 3) await new Promise((r) => setImmediate(r));
  t.equal(seen.length, 3);
  t.equal(seen[0]!.headers['webhook-signature']!.split(' ').length, 1, 'sent before the rotation: the old secret alone');
  for (const req of seen.slice(1)) {
    const signatures = req.headers['webhook-signature']!.split(' ');
    t.equal(signatures.length, 2, 'the new secret and, during the overlap, the old one');
    const signed = `${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`;
    t.equal(signatures[0], `v1,${hmac(standardKey(rotated.secret), signed, 'base64')}`);
  }
});

t.test('an asynchronous format (cloudevents) is built once per attempt: its page\'s promise is what the attempt sends', async (t) => {
  const { formatters } = await import('../../plugins/webhook/formats/index.ts');
  const original = formatters.cloudevents;
  const built: string[] = [];
  formatters.cloudevents = (input) => {
    built.push(input.deliveryId);
    return original(input);
  };
  t.teardown(() => {
    formatters.cloudevents = original;
  });
  const seen: PostRequest[] = [];
  const transport = async (req: PostRequest): Promise<PostResponse> => {
    seen.push(req);
    return { status: 200, retryAfter: null };
  };
  const h = await harness(t, { transport });
  h.service.create({ url: 'http://127.0.0.1:9/ce', format: 'cloudevents', secret: 'ce-secret-1234567890' });
  for (let i = 0; i < 5; i++) h.receive(`m${i}`);
  while (h.service.counts().delivered < 5) await new Promise((r) => setImmediate(r));
  t.equal(seen.length, 5);
  t.ok(seen.every((r) => /^Bearer ey/.test(r.headers.authorization!)), 'each signed');
  t.same([...built].sort(), [...new Set(built)].sort(), 'no delivery formatted twice');
  t.equal(built.length, 5);
});
