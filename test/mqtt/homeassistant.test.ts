import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import { waitFor } from '../file/wait.ts';
import { skipReason, startBroker } from './broker.ts';
import { watch } from './client.ts';
import { memorySms } from './sms.ts';
import { received } from '../fixtures/events.ts';

const skip = skipReason();

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-ha-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sms1 = received(1, { text: 'Your code is 481516' });

async function rig(t: Test, homeAssistant: { showSender?: boolean } = {}) {
  const broker = await startBroker(tmp(t));
  t.teardown(() => broker.stop());
  const sms = memorySms();
  const clock = new ManualClock();
  const agent = createAgent(
    resolveConfig({ agentId: 'pi', dataDir: tmp(t), plugins: [sms.plugin(), mqtt({ url: broker.url, reconnectPeriodMs: 50, homeAssistant })] }),
    { log: silentLogger(), clock },
  );
  t.teardown(() => agent.stop());
  const w = await watch(broker.url, ['homeassistant/#', 'smsedge/pi/#']);
  t.teardown(() => w.close());
  await agent.start();
  await waitFor(() => w.on('smsedge/pi/modem').length > 0, 'modem state');
  return { agent, clock, sms, w, broker };
}

t.test('Home Assistant discovery: sensors for signal, registration, operator, last SMS; a recipient and a notify entity', { skip }, async (t) => {
  const { agent, sms, w, clock, broker } = await rig(t);
  const configs = Object.fromEntries(w.messages.filter((m) => m.topic.startsWith('homeassistant/')).map((m) => [m.topic, JSON.parse(m.text)]));
  t.same(Object.keys(configs).sort(), [
    'homeassistant/notify/smsedge_pi/send_sms/config',
    'homeassistant/sensor/smsedge_pi/last_sms/config',
    'homeassistant/sensor/smsedge_pi/operator/config',
    'homeassistant/sensor/smsedge_pi/registration/config',
    'homeassistant/sensor/smsedge_pi/signal/config',
    'homeassistant/text/smsedge_pi/sms_recipient/config',
  ]);
  t.match(configs['homeassistant/sensor/smsedge_pi/signal/config'], {
    unique_id: 'smsedge_pi_signal',
    state_topic: 'smsedge/pi/modem',
    unit_of_measurement: 'dBm',
    device_class: 'signal_strength',
    device: { identifiers: ['smsedge_pi'] },
    availability: [{ topic: 'smsedge/pi/state', payload_available: 'online', payload_not_available: 'offline' }],
  });
  t.match(configs['homeassistant/notify/smsedge_pi/send_sms/config'], { command_topic: 'smsedge/pi/ha/notify' });
  t.match(w.json('smsedge/pi/modem').at(-1), { signalDbm: -71, registration: 'home', operator: 'Test Operator', state: 'online' });

  // Retained, so Home Assistant finds them after its own restart.
  const late = await watch(broker.url, ['homeassistant/#']);
  t.teardown(() => late.close());
  await waitFor(() => late.messages.length === 6, 'six retained configs');
  t.ok(late.messages.every((m) => m.retain));

  // Modem state follows the modem, on the health interval.
  sms.status.signalDbm = -95;
  await clock.advance(60_000);
  await waitFor(() => (w.json('smsedge/pi/modem').at(-1) as { signalDbm: number }).signalDbm === -95, 'refreshed signal');

  const e = agent.journal.append('sms.received', sms1);
  await waitFor(() => w.on('smsedge/pi/last_sms').length === 1, 'last SMS');
  t.same(w.json('smsedge/pi/last_sms')[0], { text: 'Your code is 481516', from: '+155****0100', receivedAt: sms1.receivedAt, messageId: 'm1', eventId: e.id, modem: 'default' });

  // Sending from Home Assistant: the notify entity without a recipient is refused...
  await w.client.publishAsync('smsedge/pi/ha/notify', 'too early', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/response/send').length === 1, 'refusal');
  t.match(w.json('smsedge/pi/response/send')[0], { transaction: 'homeassistant', status: 'error', error: { code: 'no_recipient' } });
  // ...an invalid recipient is ignored, a valid one kept (retained for the text entity's state)...
  await w.client.publishAsync('smsedge/pi/ha/recipient/set', 'not a number', { qos: 1 });
  await w.client.publishAsync('smsedge/pi/ha/recipient/set', '+15550100123', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/ha/recipient').length === 1, 'recipient state');
  t.equal(w.on('smsedge/pi/ha/recipient')[0]!.text, '+15550100123');
  // ...and then a notify message is sent to it.
  await w.client.publishAsync('smsedge/pi/ha/notify', 'Hello from Home Assistant', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/response/send').length === 2, 'sent');
  t.match(w.json('smsedge/pi/response/send')[1], { transaction: 'homeassistant', status: 'ok', data: { id: String } });
  t.same(sms.sent.map((s) => [s.to, s.text]), [['+15550100123', 'Hello from Home Assistant']]);
  // Bytes that are not UTF-8 are refused, not sent as U+FFFD.
  await w.client.publishAsync('smsedge/pi/ha/notify', Buffer.from([0x48, 0x69, 0xff, 0xfe]), { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/response/send').length === 3, 'refused');
  t.match(w.json('smsedge/pi/response/send')[2], { transaction: 'homeassistant', status: 'error', error: { code: 'invalid_json', message: /UTF-8/ } });
  t.equal(sms.sent.length, 1);
});

t.test('showSender publishes the last SMS sender in full', { skip }, async (t) => {
  const { agent, w } = await rig(t, { showSender: true });
  agent.journal.append('sms.received', sms1);
  await waitFor(() => w.on('smsedge/pi/last_sms').length === 1, 'last SMS');
  t.match(w.json('smsedge/pi/last_sms')[0], { from: '+15550100100' });
});
