// Twilio's Messages API on the agent, driven by the official `twilio` package (its RequestClient
// pointed at the agent instead of api.twilio.com): create, fetch, list with paging; a failed
// delivery reported as undelivered (never delivered); status callbacks and an incoming message
// POSTed with an X-Twilio-Signature that the package's own validateRequest accepts.
import t from 'tap';
import twilioSdk from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { twilio } from '../../plugins/twilio/index.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

type RequestOptions<T> = RequestClient.RequestOptions<T>;

const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;

/** The package's own HTTP client, its requests sent to the agent instead of Twilio. */
function clientFor(base: string, token = KEY) {
  class AgentRequestClient extends twilioSdk.RequestClient {
    override request<T>(opts: RequestOptions<T>) {
      return super.request<T>({ ...opts, uri: opts.uri.replace(/^https:\/\/api\.twilio\.com/, base) });
    }
  }
  return twilioSdk(ACCOUNT, token, { httpClient: new AgentRequestClient() });
}

/** A received form POST as the object validateRequest takes. */
const params = (body: string) => Object.fromEntries(new URLSearchParams(body));

t.test('Twilio front door, with the official twilio package', async (t) => {
  const hooks = await receiver(t);
  const { base, sim, waitFor } = await doorAgent(t, [twilio({ accountSid: ACCOUNT, phoneNumber: '+15550100000', incomingUrl: `${hooks.url}/incoming` })]);
  const client = clientFor(base);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100666', 'failed', 20);

  const created = await client.messages.create({ to: '+15550100100', from: '+15550100000', body: 'Your code is 123456', statusCallback: `${hooks.url}/status?job=7` });
  t.match(created.sid, /^SM[0-9a-f]{32}$/);
  t.match(created, { status: 'queued', to: '+15550100100', from: '+15550100000', body: 'Your code is 123456', accountSid: ACCOUNT, numSegments: '1', direction: 'outbound-api', errorCode: null });
  t.type(created.dateCreated, Date, "dates in Twilio's format, parsed by the package");

  await waitFor('sms.delivered', (e) => (e.data as { to: string }).to === '+15550100100');
  const fetched = await client.messages(created.sid).fetch();
  t.match(fetched, { sid: created.sid, status: 'delivered' });
  t.type(fetched.dateSent, Date);

  // Status callbacks: sent then delivered, each signed so that validateRequest accepts it.
  const statusUrl = `${hooks.url}/status?job=7`;
  const delivered = await hooks.next((r) => r.url.startsWith('/status') && params(r.body).MessageStatus === 'delivered');
  t.match(params(delivered.body), { MessageSid: created.sid, AccountSid: ACCOUNT, To: '+15550100100', From: '+15550100000', MessageStatus: 'delivered' });
  t.ok(twilioSdk.validateRequest(KEY, delivered.headers['x-twilio-signature'] as string, statusUrl, params(delivered.body)), 'delivered callback signature');
  const sent = hooks.requests.find((r) => r.url.startsWith('/status') && params(r.body).MessageStatus === 'sent');
  t.ok(sent && twilioSdk.validateRequest(KEY, sent.headers['x-twilio-signature'] as string, statusUrl, params(sent.body)), 'sent callback signature');
  t.notOk(twilioSdk.validateRequest('another-token', delivered.headers['x-twilio-signature'] as string, statusUrl, params(delivered.body)), 'only the auth token signs');

  // A delivery that fails: undelivered with an error code, in the resource and in the callback.
  const failing = await client.messages.create({ to: '+15550100666', from: '+15550100000', body: 'hello', statusCallback: `${hooks.url}/status2` });
  await waitFor('sms.failed', (e) => (e.data as { to: string }).to === '+15550100666');
  t.match(await client.messages(failing.sid).fetch(), { status: 'undelivered', errorCode: 30003 });
  const undelivered = await hooks.next((r) => r.url === '/status2' && params(r.body).MessageStatus !== 'sent');
  t.match(params(undelivered.body), { MessageStatus: 'undelivered', ErrorCode: '30003' });
  t.ok(twilioSdk.validateRequest(KEY, undelivered.headers['x-twilio-signature'] as string, `${hooks.url}/status2`, params(undelivered.body)));

  // An incoming SMS, POSTed as Twilio's "a message comes in" webhook.
  sim.receiveSms({ from: '+15550100199', text: 'STOP' });
  const incoming = await hooks.next((r) => r.url === '/incoming');
  t.match(params(incoming.body), { From: '+15550100199', To: '+15550100000', Body: 'STOP', AccountSid: ACCOUNT, NumMedia: '0', MessageSid: /^SM[0-9a-f]{32}$/ });
  t.ok(twilioSdk.validateRequest(KEY, incoming.headers['x-twilio-signature'] as string, `${hooks.url}/incoming`, params(incoming.body)), 'incoming signature');

  // Listing, paged as Twilio pages (the package follows next_page_uri): both directions, newest first.
  await waitFor('sms.received');
  const all = await client.messages.list({ pageSize: 2 });
  t.equal(all.length, 3);
  t.same(all.map((m) => m.direction), ['inbound', 'outbound-api', 'outbound-api']);
  t.same(all.slice(1).map((m) => m.sid), [failing.sid, created.sid]);
  t.match(all[0], { status: 'received', from: '+15550100199', body: 'STOP' });

  // Refusals as Twilio answers them (the package throws RestException with Twilio's code).
  await t.rejects(client.messages.create({ to: '+1 555', from: '+15550100000', body: 'x' }), { status: 400, code: 21211 });
  await t.rejects(client.messages.create({ to: '+15550100100', from: '+15550100000', body: '' }), { status: 400, code: 21602 });
  await t.rejects(client.messages.create({ to: '+15550100100', body: 'x' } as never), { status: 400, code: 21603 });
  await t.rejects(client.messages.create({ to: '+15550100100', from: '+1', body: 'x', statusCallback: 'ftp://x' }), { status: 400, code: 21609 });
  await t.rejects(client.messages(`SM${'f'.repeat(32)}`).fetch(), { status: 404, code: 20404 });
  await t.rejects(clientFor(base, 'wrong-token').messages.list({ limit: 1 }), { status: 401, code: 20003 });
  // `curl -d To=+1555...` leaves the + unencoded: the form decodes it to a space, which can only have been the +.
  const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${KEY}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
  const plus = await fetch(`${base}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, { method: 'POST', headers: auth, body: 'To=+15550100100&From=+15550100000&Body=plus' });
  t.match([plus.status, await plus.json()], [201, { to: '+15550100100', status: 'queued' }]);
  // A request for another account is not this one's.
  const other = await fetch(`${base}/2010-04-01/Accounts/AC${'1'.repeat(32)}/Messages.json`, { headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${KEY}`).toString('base64')}` } });
  t.match(await other.json(), { code: 20404, status: 404 });
});
