// SMS Gateway for Android's API on the agent, driven by that project's own npm client
// (android-sms-gateway) pointed at the agent: send, poll to Delivered, a failed delivery reported
// as Failed, webhooks registered, listed and deleted, sms:received delivered to one, health.
import { createHmac } from 'node:crypto';
import t from 'tap';
import * as gateway from 'android-sms-gateway';
import { ProcessState, WebHookEventType, type HttpClient } from 'android-sms-gateway';
import { smsgate } from '../../plugins/smsgate/index.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

/** The client leaves HTTP to the caller: this one is fetch, throwing on an error answer as its examples do. */
// The package has ESM syntax without "type": "module": Node loads it as ESM (its default export is
// the class), TypeScript types it as CommonJS; the namespace's `default` is the class for both.
const Client = gateway.default as unknown as (typeof gateway.default)['default'];
class FetchError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
const http: HttpClient = {
  get: (url, headers) => request('GET', url, undefined, headers),
  post: (url, body, headers) => request('POST', url, body, headers),
  put: (url, body, headers) => request('PUT', url, body, headers),
  patch: (url, body, headers) => request('PATCH', url, body, headers),
  delete: (url, headers) => request('DELETE', url, undefined, headers),
};
async function request<T>(method: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new FetchError(res.status, parsed);
  return parsed as T;
}

/** What a call threw (undefined when it did not). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (error) {
    return error;
  }
}

t.test('SMS Gateway for Android front door, with its official client', async (t) => {
  const { base, sim, waitFor } = await doorAgent(t, [smsgate()]);
  const client = new Client('any-user', KEY, http, `${base}/3rdparty/v1`);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100101', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100666', 'failed', 20);

  const state = await client.send({ message: 'Your code is 123456', phoneNumbers: ['+15550100100', '+15550100101'] });
  t.match(state, { state: ProcessState.Pending, recipients: [{ phoneNumber: '+15550100100', state: 'Pending' }, { phoneNumber: '+15550100101', state: 'Pending' }] });
  t.match(state.id, /^[A-Za-z0-9_-]+$/);

  // Poll as a tool would, until Delivered.
  await waitFor('sms.delivered', (e) => (e.data as { to: string }).to === '+15550100101');
  await waitFor('sms.delivered', (e) => (e.data as { to: string }).to === '+15550100100');
  const delivered = await client.getState(state.id);
  t.equal(delivered.state, ProcessState.Delivered);
  t.same(delivered.recipients.map((r: { state: string }) => r.state), ['Delivered', 'Delivered']);
  t.ok((delivered as unknown as { states: Record<string, string> }).states.Delivered, 'when it was delivered');

  // A client-chosen id, a failed delivery: Failed, with the reason, never Sent or Delivered.
  const failing = await client.send({ id: 'order-42', message: 'hello', phoneNumbers: ['+15550100666'] });
  t.equal(failing.id, 'order-42');
  await waitFor('sms.failed', (e) => (e.data as { to: string }).to === '+15550100666');
  const failed = await client.getState('order-42');
  t.equal(failed.state, ProcessState.Failed);
  t.match(failed.recipients[0], { state: 'Failed', error: /./ });
  t.match(await failure(client.send({ id: 'order-42', message: 'again', phoneNumbers: ['+15550100100'] })), { status: 409 }, 'an id is used once');

  // Refusals in the app's own shape: 400 { message } naming its field, 401 for a wrong password.
  t.match(await failure(client.send({ message: 'hi', phoneNumbers: ['+1 555 0100'] })), { status: 400, body: { message: /phoneNumbers\.0/ } });
  t.match(await failure(client.send({ message: '', phoneNumbers: ['+15550100100'] })), { status: 400, body: { message: /textMessage\.text|empty/ } });
  t.match(await failure(client.send({ message: 'hi', phoneNumbers: ['+15550100100'], simNumber: 7 })), { status: 400, body: { message: /simNumber/ } });
  t.match(await failure(new Client('u', 'wrong-key', http, `${base}/3rdparty/v1`).send({ message: 'hi', phoneNumbers: ['+15550100100'] })), { status: 401 });
  t.match(await failure(client.getState('no-such-id')), { status: 404 });

  // Webhooks: register, list, receive sms:received (signed as the app signs), delete.
  const hooks = await receiver(t);
  const hook = await client.registerWebhook({ event: WebHookEventType.SmsReceived, url: `${hooks.url}/sms` });
  t.match(hook, { event: 'sms:received', url: `${hooks.url}/sms` });
  t.same((await client.getWebhooks()).map((h) => [h.id, h.event]), [[hook.id, 'sms:received']]);
  sim.receiveSms({ from: '+15550100199', text: 'hello gateway' });
  const got = await hooks.next();
  const body = JSON.parse(got.body) as { event: string; payload: { message: string; phoneNumber: string; receivedAt: string } };
  t.match(body, { event: 'sms:received', payload: { message: 'hello gateway', phoneNumber: '+15550100199' } });
  t.equal(got.headers['x-signature'], createHmac('sha256', 'door-webhook-secret').update(got.body + got.headers['x-timestamp']).digest('hex'), 'signed with the default secret');
  await client.deleteWebhook(hook.id!);
  t.same(await client.getWebhooks(), []);
  t.match(await failure(client.deleteWebhook(hook.id!)), { status: 404 });

  const health = await client.getHealth();
  t.match(health, { status: 'pass', checks: { 'modems:online': { status: 'pass', observedValue: 1 } } });
});
