// The API on the real modem plugin running on the built-in simulator: send → queued → sent, an SMS
// from the simulated network read back, USSD, health and metrics with real numbers.
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { watchJournal } from '../fixtures/events.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { KEY, KEY_ENV } from './fixtures/agent.ts';

t.test('end to end on the simulator', async (t) => {
  const agent = createAgent(resolveConfig({ agentId: 'e2e', dataDir: t.testdir(), plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: KEY_ENV })] }), { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const base = agent.use('api').urls()[0]!;
  const { events, waitFor } = watchJournal(agent.journal);
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(base + path, {
      ...init,
      headers: { authorization: `Bearer ${KEY}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });

  await waitFor('modem.online');

  // send → queued → sent
  let res = await call('/sms/send', { method: 'POST', json: { to: '+15550100100', text: 'Your code is 123456', clientRef: 'mfa-1' } });
  t.equal(res.status, 202);
  const accepted = (await res.json()) as { id: string; status: string; parts: number; encoding: string };
  t.match(accepted, { status: 'queued', parts: 1, encoding: 'gsm7' });
  const sent = await waitFor('sms.sent', (e) => (e.data as { messageId: string }).messageId === accepted.id);
  t.match(sent.data, { to: '+15550100100', clientRef: 'mfa-1', parts: 1 });
  res = await call(`/sms/messages/${accepted.id}`);
  const message = (await res.json()) as { status: string; direction: string };
  t.match(message, { id: accepted.id, direction: 'outbound', to: '+15550100100' });
  t.ok(['sent', 'delivered'].includes(message.status), `status ${message.status}`);

  // Several recipients at once.
  res = await call('/sms/send', { method: 'POST', json: { to: ['+15550100101', '+15550100102'], text: 'alert' } });
  t.equal(res.status, 202);
  t.equal(((await res.json()) as unknown[]).length, 2);

  // An SMS from the simulated network, read back through the API.
  res = await call('/simulator/sms', { method: 'POST', json: { from: '+15550100199', text: 'hello agent' } });
  t.equal(res.status, 202);
  res = await call('/simulator/sms', { method: 'POST', json: { from: '+15550100199', text: 'bad \ud800' } });
  t.same([res.status, ((await res.json()) as { error: { field: string } }).error.field], [400, 'text'], 'a lone surrogate is not text');
  await waitFor('sms.received');
  res = await call('/sms/messages?direction=inbound&limit=10');
  const inbound = (await res.json()) as { items: { from: string; text: string }[] };
  t.match(inbound.items[0], { from: '+15550100199', text: 'hello agent' });

  res = await call('/simulator/fault', { method: 'POST', json: { kind: 'no-such-fault' } });
  t.equal(res.status, 400);

  // USSD against the simulator's menu.
  res = await call('/ussd/send', { method: 'POST', json: { code: '*100#' } });
  t.same([res.status, ((await res.json()) as { response: string }).response], [200, 'Your balance is 5.00 EUR.']);
  // The network refuses an unknown code (+CUSD: 4): the service says modem_error (502), as MQTT would.
  res = await call('/ussd/send', { method: 'POST', json: { code: '*999#' } });
  t.match([res.status, await res.json()], [502, { error: { code: 'modem_error' } }]);
  res = await call('/ussd/reply', { method: 'POST', json: { text: '1' } });
  t.match([res.status, await res.json()], [409, { error: { code: 'no_ussd_session' } }]);

  // Health and metrics from the real modem.
  res = await call('/health');
  const health = (await res.json()) as { status: string; modems: { state: string }[] };
  t.equal(health.modems[0]?.state, 'online');
  const metrics = await (await call('/metrics')).text();
  t.match(metrics, /^smsedge_sms_received_total 1$/m);
  t.match(metrics, /^smsedge_modem_online\{modem="[^"]+",state="online"\} 1$/m);
});
