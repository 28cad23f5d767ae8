import { createHash, createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import type { AnyEvent } from '../../core/events.ts';
import { formatters, type FormatName } from '../../plugins/webhook/formats/index.ts';
import { generateSecret, verifyWebhook, WebhookVerifyError } from '../../plugins/webhook/index.ts';
import { harness, receiver } from './helpers.ts';

const event: AnyEvent = {
  id: '01939a6f-0000-7000-8000-000000000001',
  type: 'sms.received',
  timestamp: '2026-01-01T10:00:00.000+01:00',
  data: {
    messageId: 'm1', from: '+15550100100', text: 'Grüße, code 123456', encoding: 'ucs2', parts: 1,
    receivedAt: '2026-01-01T10:00:00+01:00', smsc: null, modem: '1', class: null,
  },
};
const sent: AnyEvent = {
  id: '01939a6f-0000-7000-8000-000000000002', type: 'sms.sent', timestamp: '2026-01-01T10:00:00.000+01:00',
  data: { messageId: 'm2', to: '+15550100100', modem: 'modem', parts: 1, sentAt: '2026-01-01T10:00:00+01:00', references: [7], callbackUrl: 'https://cb.example/x?token=s3cret' },
};
const nowSec = Math.floor(Date.now() / 1000);
const input = (secrets: string[], e: AnyEvent = event) => ({
  event: e, deliveryId: '01939a6f-0000-7000-8000-0000000000d1', subscriptionId: 'sub-1', url: 'https://hooks.example/in', secrets, nowSec, agentId: 'pi-1',
});

t.test('standard: verifies with standardwebhooks; both secrets sign during a rotation', async (t) => {
  const [a, b] = [generateSecret(), generateSecret()];
  const out = await formatters.standard(input([a, b]));
  t.same(Object.keys(JSON.parse(out.body)).sort(), ['data', 'id', 'timestamp', 'type']);
  t.equal(out.headers['webhook-timestamp'], String(nowSec));
  t.equal(out.headers['webhook-signature']!.split(' ').length, 2);
  t.ok(new Webhook(a).verify(out.body, out.headers), 'new secret verifies');
  t.ok(new Webhook(b).verify(out.body, out.headers), 'old secret verifies');
  t.throws(() => new Webhook(generateSecret()).verify(out.body, out.headers));
});

t.test('standard: the recorded data put in as it is gives the very bytes (and signature) of serializing it afresh', async (t) => {
  const secret = generateSecret();
  const fresh = await formatters.standard(input([secret]));
  const recorded = await formatters.standard({ ...input([secret]), dataJson: JSON.stringify(event.data) });
  t.equal(recorded.body, fresh.body);
  t.same(recorded.headers, fresh.headers);
  // And it is the recorded text that goes out: what the journal holds is what the receiver gets.
  const marked = await formatters.standard({ ...input([secret]), dataJson: '{"marker":1}' });
  t.same(JSON.parse(marked.body).data, { marker: 1 });
  t.ok(new Webhook(secret).verify(marked.body, marked.headers));
});

t.test('callstack: the HMAC reproduces from the exact body bytes and the timestamp header', async (t) => {
  const secret = 'a-callstack-secret-value';
  const out = await formatters.callstack(input([secret]));
  const body = JSON.parse(out.body);
  t.match(body, { event: 'sms.received', sender: '+15550100100', body: 'Grüße, code 123456', received_at: '2026-01-01T10:00:00+01:00' });
  t.equal(out.headers['x-callstack-event'], 'sms.received');
  t.equal(out.headers['x-callstack-delivery-id'], '01939a6f-0000-7000-8000-0000000000d1');
  const expected = createHmac('sha256', secret).update(Buffer.from(`${out.headers['x-callstack-timestamp']}.`)).update(Buffer.from(out.body, 'utf8')).digest('hex');
  t.equal(out.headers['x-callstack-signature'], `sha256=${expected}`);
  const unsigned = await formatters.callstack(input([]));
  t.notOk(unsigned.headers['x-callstack-signature'], 'no secret, no signature');
});

t.test('sms-gateway: SMS Gateway for Android body and X-Signature over body + X-Timestamp', async (t) => {
  const secret = 'gateway-signing-key';
  const out = await formatters['sms-gateway'](input([secret]));
  t.same(JSON.parse(out.body), {
    deviceId: 'pi-1', event: 'sms:received', id: event.id, webhookId: 'sub-1',
    payload: { messageId: 'm1', message: 'Grüße, code 123456', phoneNumber: '+15550100100', simNumber: 1, receivedAt: '2026-01-01T10:00:00+01:00' },
  });
  t.equal(out.headers['x-signature'], createHmac('sha256', secret).update(out.body + out.headers['x-timestamp']).digest('hex'));
});

t.test('cloudevents: a CloudEvents 1.0 event and a JWT a receiver verifies with jose', async (t) => {
  const secret = 'httpsms-signing-key-0123456789';
  const out = await formatters.cloudevents(input([secret]));
  const ce = JSON.parse(out.body);
  t.match(ce, { specversion: '1.0', id: event.id, source: '/smsedge/pi-1', type: 'message.phone.received', time: event.timestamp, datacontenttype: 'application/json' });
  t.equal(out.headers['x-event-type'], 'message.phone.received');
  const token = out.headers.authorization!.replace(/^Bearer /, '');
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), { audience: 'https://hooks.example/in', algorithms: ['HS256'] });
  t.equal(protectedHeader.alg, 'HS256');
  t.equal(payload.jti, '01939a6f-0000-7000-8000-0000000000d1');
  t.equal(payload.exp! - payload.iat!, 600);
  t.equal(payload.body_sha256, createHash('sha256').update(out.body).digest('base64url'), 'the token binds the body');
  await t.rejects(jwtVerify(token, new TextEncoder().encode('wrong-key-wrong-key-wrong-key'), {}));
});

t.test("cloudevents: data is httpSMS's event payload, so a receiver written for httpSMS finds its fields", async (t) => {
  const text = (id: string) => (id === 'm2' ? 'Your code is 4711' : undefined);
  const at = '2026-01-01T10:00:00.000+01:00';
  const body = async (e: AnyEvent, extra: object = {}) => JSON.parse((await formatters.cloudevents({ ...input([]), event: e, messageText: text, ...extra })).body);
  t.same((await body(event, { phoneNumber: '+15550100000' })).data, {
    message_id: 'm1', user_id: 'pi-1', owner: '+15550100000', encrypted: false, contact: '+15550100100',
    timestamp: '2026-01-01T10:00:00+01:00', content: 'Grüße, code 123456', sim: 'SIM1',
  });
  t.match((await body(sent)).data, { id: 'm2', owner: '', contact: '+15550100100', request_id: null, content: 'Your code is 4711', timestamp: '2026-01-01T10:00:00+01:00', sim: 'SIM1' });
  t.notOk('callbackUrl' in (await body(sent)).data, 'no callbackUrl');
  const ref = { messageId: 'm2', to: '+15550100101', modem: '2', clientRef: 'req-9' };
  const delivered = await body({ id: 'e3', type: 'sms.delivered', timestamp: at, data: { ...ref, deliveredAt: at, status: 0, statusText: 'delivered' } });
  t.match(delivered, { type: 'message.phone.delivered', data: { id: 'm2', contact: '+15550100101', request_id: 'req-9', content: 'Your code is 4711', sim: 'SIM2', timestamp: at } });
  const failed = await body({ id: 'e4', type: 'sms.failed', timestamp: at, data: { ...ref, reason: 'network refused', code: 500, stage: 'send' } });
  t.match(failed, { type: 'message.send.failed', data: { id: 'm2', error_message: 'network refused', request_id: 'req-9', timestamp: at } });
  const expired = await body({ id: 'e5', type: 'sms.expired', timestamp: at, data: { ...ref, ttlSeconds: 60 } });
  t.match(expired, { type: 'message.send.expired', data: { message_id: 'm2', contact: '+15550100101', request_id: 'req-9', content: 'Your code is 4711' } });
  const missed = await body({ id: 'e6', type: 'call.missed', timestamp: at, data: { from: '+15550100199', at, modem: '1' } });
  t.match(missed, { type: 'message.call.missed', data: { message_id: 'e6', contact: '+15550100199', timestamp: at, sim: 'SIM1' } });
});

t.test('verifyWebhook accepts each format and refuses tampering, wrong secrets and stale timestamps', async (t) => {
  const cases: [FormatName, string][] = [
    ['standard', generateSecret()], ['callstack', 'cs-secret-123456'], ['sms-gateway', 'gw-secret-123456'], ['cloudevents', 'ce-secret-1234567890'],
  ];
  for (const [name, secret] of cases) {
    const out = await formatters[name](input([secret]));
    const parsed = (await verifyWebhook(name, secret, out.headers, out.body, { audience: 'https://hooks.example/in' })) as Record<string, unknown>;
    t.ok(parsed, `${name} verifies`);
    await t.rejects(verifyWebhook(name, secret, out.headers, out.body.replace('123456', '123457')), { code: 'bad_signature' }, `${name}: tampered body`);
    await t.rejects(verifyWebhook(name, 'another-secret-entirely', out.headers, out.body), WebhookVerifyError, `${name}: wrong secret`);
    await t.rejects(verifyWebhook(name, secret, out.headers, out.body, { now: Date.now() + 3600_000, toleranceSeconds: 300 }), { code: 'invalid_timestamp' }, `${name}: an hour later`);
    t.ok(await verifyWebhook(name, ['old-secret-zzzzzzzz', secret], out.headers, out.body), `${name}: a list of secrets`);
  }
  await t.rejects(verifyWebhook('standard', 'x', {}, '{}'), { code: 'missing_header' });
  await t.rejects(verifyWebhook('nope' as FormatName, 'x', {}, '{}'), { code: 'unknown_format' });
});

t.test('the four formats arrive over real HTTP and verify at the receiver', async (t) => {
  const r = await receiver(t);
  const h = await harness(t);
  const secrets: Record<string, string> = {};
  for (const format of ['standard', 'callstack', 'sms-gateway', 'cloudevents'] as const) {
    const { secret } = h.service.create({ url: `${r.url}/${format}`, format });
    secrets[format] = secret!;
  }
  h.receive('hi');
  await r.waitFor(4);
  for (const got of r.received) {
    const format = got.path.slice(1) as FormatName;
    t.ok(await verifyWebhook(format, secrets[format]!, got.headers, got.body, { audience: `${r.url}${got.path}` }), `${format} verified`);
  }
});

t.test('no format sends a message\'s callbackUrl: the engine gives every format publicEvent()', async (t) => {
  const { harness, receiver, until } = await import('./helpers.ts');
  const r = await receiver(t);
  const cb = await receiver(t);
  const h = await harness(t);
  for (const format of ['standard', 'callstack', 'sms-gateway', 'cloudevents'] as const)
    h.service.create({ url: `${r.url}/${format}`, format, events: ['sms.sent'] });
  h.agent.journal.append('sms.sent', { messageId: 'm1', to: '+15550100100', modem: 'modem', parts: 1, sentAt: new Date(h.clock.now()).toISOString(), references: [1], callbackUrl: `${cb.url}/cb?token=cb-secret-1` });
  await until(() => r.received.length === 4 && cb.received.length === 1, 'five deliveries');
  for (const got of [...r.received, ...cb.received]) {
    t.notOk(got.body.includes('cb-secret-1') || got.body.includes('/cb'), `${got.path}: no callbackUrl in the body`);
    t.notOk(/callback_?url/i.test(got.body), `${got.path}: no callbackUrl key`);
  }
});
