// httpSMS's send API on the agent, called as httpSMS's own clients call it (JSON with x-api-key,
// answers in its { data, message, status } envelope), and its status mechanism: the message's
// status when fetched, and `cloudevents` webhooks carrying httpSMS's event payloads, signed with
// the JWT its receivers verify. A failed delivery is `failed` in both, never `delivered`.
import { jwtVerify } from 'jose';
import t from 'tap';
import { httpsms } from '../../plugins/httpsms/index.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

const OWNER = '+15550100000';

t.test('httpSMS front door', async (t) => {
  const hooks = await receiver(t);
  const { agent, base, sim, waitFor } = await doorAgent(t, [httpsms()], { webhook: { phoneNumber: OWNER } });
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100666', 'failed', 20);
  const secret = 'httpsms-webhook-signing-key';
  agent.use('webhook').create({ url: `${hooks.url}/httpsms`, format: 'cloudevents', secret, events: ['sms.delivered', 'sms.failed', 'sms.received'] });
  const call = async (path: string, init: { method?: string; body?: unknown; key?: string; raw?: string } = {}) => {
    const res = await fetch(base + path, {
      method: init.method ?? 'GET',
      headers: { 'x-api-key': init.key ?? KEY, ...(init.body !== undefined || init.raw ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw ? { body: init.raw } : {}),
    });
    return { status: res.status, body: (await res.json()) as { status: string; message: string; data: Record<string, unknown> } };
  };

  const sent = await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '+15550100100', content: 'Your code is 4711', request_id: 'order-7' } });
  t.equal(sent.status, 200);
  t.match(sent.body, { status: 'success', message: 'message added to queue', data: { owner: OWNER, contact: '+15550100100', content: 'Your code is 4711', type: 'mobile-terminated', status: 'pending', request_id: 'order-7', sim: 'SIM1' } });
  const id = sent.body.data.id as string;
  await waitFor('sms.delivered', (e) => (e.data as { messageId: string }).messageId === id);
  t.match((await call(`/v1/messages/${id}`)).body, { status: 'success', data: { id, status: 'delivered', delivered_at: /\d{4}-/, sent_at: /\d{4}-/, failure_reason: null } });

  // The webhook a receiver written for httpSMS gets: its event type, its payload, its JWT.
  const delivered = await hooks.next((r) => r.headers['x-event-type'] === 'message.phone.delivered');
  const event = JSON.parse(delivered.body) as { type: string; data: Record<string, unknown> };
  t.match(event.data, { id, owner: OWNER, contact: '+15550100100', content: 'Your code is 4711', request_id: 'order-7', sim: 'SIM1' });
  const token = (delivered.headers.authorization as string).replace(/^Bearer /, '');
  await jwtVerify(token, new TextEncoder().encode(secret), { audience: `${hooks.url}/httpsms` });

  // A delivery that fails is failed, in the message and in the webhook.
  const failing = await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '+15550100666', content: 'hello' } });
  const failedId = failing.body.data.id as string;
  await waitFor('sms.failed', (e) => (e.data as { messageId: string }).messageId === failedId);
  t.match((await call(`/v1/messages/${failedId}`)).body.data, { status: 'failed', failure_reason: /./, failed_at: /\d{4}-/, delivered_at: null });
  const failedHook = await hooks.next((r) => r.headers['x-event-type'] === 'message.send.failed');
  t.match(JSON.parse(failedHook.body).data, { id: failedId, contact: '+15550100666', error_message: /./, content: 'hello' });

  // An incoming message: message.phone.received with httpSMS's fields, and readable by id.
  sim.receiveSms({ from: '+15550100199', text: 'hi there' });
  const received = JSON.parse((await hooks.next((r) => r.headers['x-event-type'] === 'message.phone.received')).body);
  t.match(received.data, { owner: OWNER, contact: '+15550100199', content: 'hi there', sim: 'SIM1' });
  t.match((await call(`/v1/messages/${received.data.message_id}`)).body.data, { type: 'mobile-originated', status: 'received', contact: '+15550100199' });

  // Refusals in httpSMS's envelope.
  t.match(await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '+15550100100', content: 'x' }, key: 'wrong' }), {
    status: 401, body: { status: 'error', message: 'You are not authorized to carry out this request.' },
  });
  t.match(await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '0100 12', content: 'x' } }), {
    status: 422, body: { status: 'error', message: 'validation errors while sending message', data: { to: [/phone number/] } },
  });
  t.match(await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '+15550100100', content: '' } }), { status: 422, body: { data: { content: [/empty/] } } });
  t.match(await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, content: 'x' } }), { status: 422, body: { data: { to: [/required/] } } });
  t.match(await call('/v1/messages/send', { method: 'POST', body: { from: OWNER, to: '+15550100100', content: 'x', request_id: 'r'.repeat(41) } }), { status: 422, body: { data: { request_id: [/40/] } } });
  t.match(await call('/v1/messages/send', { method: 'POST', raw: '{"from":' }), { status: 400, body: { status: 'error', message: "The request isn't properly formed" } });
  t.match(await call('/v1/messages/00000000-0000-7000-8000-000000000000'), { status: 404, body: { status: 'error', message: /cannot find message/ } });
});
