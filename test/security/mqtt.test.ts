// The MQTT 5 Response Topic (issue 32 item 6): a client that may only write request topics cannot
// make the agent publish anywhere but under its own response topics. Against a real Mosquitto.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { responseTopicAllowed, responseTopicRefusal } from '../../plugins/mqtt/requests.ts';
import { waitFor } from '../file/wait.ts';
import { skipReason, startBroker } from '../mqtt/broker.ts';
import { watch } from '../mqtt/client.ts';
import { memorySms } from '../mqtt/sms.ts';

const skip = skipReason();

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-mqtt-sec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a Response Topic outside the agent\'s own is refused: nothing sent, nothing published there', { skip }, async (t) => {
  const b = await startBroker(tmp(t));
  t.teardown(() => b.stop());
  const sms = memorySms();
  // Everything the agent publishes, and what lands on the topics an attacker would aim at.
  const w = await watch(b.url, ['#']);
  t.teardown(() => w.close());
  const agent = createAgent(resolveConfig({
    agentId: 'pi', dataDir: tmp(t),
    plugins: [sms.plugin(), mqtt({ url: b.url, reconnectPeriodMs: 50, protocolVersion: 5, group: 'fleet', homeAssistant: {} })],
  }), { log: silentLogger(), clock: new ManualClock() });
  t.teardown(() => agent.stop());
  await agent.start();
  await waitFor(async () => (await agent.health()).plugins.mqtt?.connected, 'connected');
  const ask = (topic: string, body: object, responseTopic: string, corr: string) =>
    w.client.publishAsync(topic, JSON.stringify(body), { qos: 1, properties: { responseTopic, correlationData: Buffer.from(corr) } });
  // The agent takes requests once its subscriptions are in place.
  await waitFor(async () => {
    await ask('smsedge/pi/request/ussd', { transaction: 'probe', code: '*100#' }, 'smsedge/pi/response/probe', 'p');
    return waitFor(() => w.on('smsedge/pi/response/probe').length > 0, 'probe answer', 500).catch(() => false);
  }, 'the agent to take requests');
  const before = w.messages.length;

  const targets = ['smsedge/pi/state', 'smsedge/pi/event/sms.received', 'homeassistant/sensor/pi/config', 'smsedge/other-agent/response/send', 'smsedge/pi/responses'];
  for (const [i, target] of targets.entries()) await ask('smsedge/pi/request/send', { transaction: `t${i}`, to: '+15550100100', text: `hostile ${i}` }, target, `c${i}`);
  await ask('smsedge/fleet/request/send', { transaction: 'f', to: '+15550100100', text: 'hostile fleet' }, 'smsedge/pi/state', 'cf');
  await waitFor(() => w.on('smsedge/pi/response/send').length === targets.length && w.on('smsedge/fleet/response/send').length === 1, 'the refusals');
  const refusals = w.on('smsedge/pi/response/send');
  for (const [i, m] of refusals.entries()) {
    t.match(JSON.parse(m.text), { transaction: `t${i}`, status: 'error', error: { code: 'invalid_response_topic', field: 'responseTopic', message: /smsedge\/pi\/response\// } });
    t.equal(m.packet.properties?.correlationData?.toString(), `c${i}`, 'correlation data still echoed');
  }
  t.match(w.json('smsedge/fleet/response/send')[0], { transaction: 'f', error: { code: 'invalid_response_topic', message: /smsedge\/fleet\/response\// } });
  t.same(sms.sent, [], 'no SMS was sent for a refused request');
  const landed = w.messages.slice(before).filter((m) => targets.includes(m.topic));
  t.same(landed, [], 'nothing was published on the topics asked for');

  // Under its own response topics the Response Topic is honoured.
  await ask('smsedge/pi/request/send', { transaction: 'ok', to: '+15550100100', text: 'fine' }, 'smsedge/pi/response/client-7/42', 'c-ok');
  await waitFor(() => w.on('smsedge/pi/response/client-7/42').length === 1, 'the answer');
  t.match(w.json('smsedge/pi/response/client-7/42')[0], { transaction: 'ok', status: 'ok' });
  t.same(sms.sent.map((s) => s.text), ['fine']);
});

t.test('a send\'s callbackUrl is checked when the request is accepted, as over REST', { skip }, async (t) => {
  const b = await startBroker(tmp(t));
  t.teardown(() => b.stop());
  const sms = memorySms();
  const w = await watch(b.url, ['smsedge/pi/response/#', 'smsedge/fleet/response/#']);
  t.teardown(() => w.close());
  const agent = createAgent(resolveConfig({
    agentId: 'pi', dataDir: tmp(t),
    plugins: [sms.plugin(), webhook({ defaultSecret: 'mqtt-callback-secret', resolver: async () => [{ address: '169.254.169.254', family: 4 }] }), mqtt({ url: b.url, reconnectPeriodMs: 50, group: 'fleet' })],
  }), { log: silentLogger(), clock: new ManualClock() });
  t.teardown(() => agent.stop());
  await agent.start();
  await waitFor(async () => (await agent.health()).plugins.mqtt?.connected, 'connected');
  const ask = (topic: string, body: object) => w.client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  await waitFor(async () => {
    await ask('smsedge/pi/request/ussd', { transaction: 'probe', code: '*100#' });
    return waitFor(() => w.on('smsedge/pi/response/ussd').length > 0, 'probe answer', 500).catch(() => false);
  }, 'the agent to take requests');
  await ask('smsedge/pi/request/send', { transaction: 'meta', to: '+15550100100', text: 'x', callbackUrl: 'http://169.254.169.254/latest/meta-data/' });
  await ask('smsedge/pi/request/send', { transaction: 'rebound', to: '+15550100100', text: 'x', callbackUrl: 'http://hooks.example/cb' });
  await ask('smsedge/fleet/request/send', { transaction: 'fleet', to: '+15550100100', text: 'x', callbackUrl: 'http://2852039166/' });
  await ask('smsedge/pi/request/send', { transaction: 'lan', to: '+15550100100', text: 'fine', callbackUrl: 'http://192.168.1.20/cb' });
  await waitFor(() => w.on('smsedge/pi/response/send').length === 3 && w.on('smsedge/fleet/response/send').length === 1, 'four answers');
  const answers = [...w.json('smsedge/pi/response/send'), ...w.json('smsedge/fleet/response/send')] as Record<string, unknown>[];
  for (const tx of ['meta', 'rebound', 'fleet'])
    t.match(answers.find((a) => a.transaction === tx), { status: 'error', error: { code: 'invalid_url', field: 'callbackUrl', message: /169\.254\.169\.254/ } }, tx);
  t.match(answers.find((a) => a.transaction === 'lan'), { status: 'ok' });
  t.same(sms.sent.map((s) => s.text), ['fine']);
});

t.test('which response topics are the agent\'s own', async (t) => {
  t.ok(responseTopicAllowed('smsedge/pi/response/send', 'smsedge/pi/response/send'));
  t.ok(responseTopicAllowed('smsedge/pi/response/me/1', 'smsedge/pi/response/ussd'));
  t.notOk(responseTopicAllowed('smsedge/pi/response/', 'smsedge/pi/response/send'), 'the bare prefix');
  t.notOk(responseTopicAllowed('smsedge/pi/response/#', 'smsedge/pi/response/send'), 'wildcards');
  t.notOk(responseTopicAllowed('smsedge/pi/responsex/a', 'smsedge/pi/response/send'));
  t.notOk(responseTopicAllowed('smsedge/pi/state', 'smsedge/pi/response/send'));
  t.equal(responseTopicRefusal(undefined, 'smsedge/pi/response/send', '{}', 'pi'), undefined, 'no Response Topic: the default topic');
  t.match(responseTopicRefusal('x', 'smsedge/pi/response/send', '{not json', 'pi'), { status: 'error', error: { code: 'invalid_response_topic' } });
  t.notOk('transaction' in responseTopicRefusal('x', 'smsedge/pi/response/send', '{not json', 'pi')!);
});
