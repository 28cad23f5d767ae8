// Home Assistant over a real Mosquitto, with the real modem plugin on two simulated modems: discovery
// checked field by field against Home Assistant's MQTT discovery documentation, notify to a contact and
// to several stored recipients, the event entity, the balance from the simulator's USSD answer, USSD,
// and a notification published while the agent is down sent once when it is back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { createLogger, silentLogger } from '../../core/log.ts';
import { version } from '../../core/version.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import { parseRecipients } from '../../plugins/mqtt/homeassistant.ts';
import { waitFor } from '../file/wait.ts';
import { discoveryProblems } from './haschema.ts';
import { skipReason, startBroker, type Broker } from './broker.ts';
import { watch, type Watcher } from './client.ts';

const skip = skipReason();

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-ha-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const contacts = { alice: '+4915123456789' };

/**
 * The agent on two simulated modems (`a` with a balance option) and MQTT with Home Assistant. Its
 * clock is manual and moved along in the background while the test waits on the broker.
 */
async function startAgent(t: Test, broker: Broker, dataDir: string, options: { protocolVersion?: 4 | 5 } = {}) {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const config = resolveConfig({
    agentId: 'pi',
    dataDir,
    plugins: [
      modem({ port: 'simulator', id: 'a', retry: { initialDelayMs: 0 }, balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+) (?<currency>[A-Z]{3})', everyHours: 24, low: 2 } }),
      modem({ port: 'simulator', id: 'b', retry: { initialDelayMs: 0 } }),
      mqtt({ url: broker.url, reconnectPeriodMs: 50, protocolVersion: options.protocolVersion ?? 5, homeAssistant: { contacts, configurationUrl: 'http://pi.lan:8080/' } }),
    ],
  });
  const agent = createAgent(config, { log: process.env.HA_DEBUG ? createLogger({ level: 'debug' }) : silentLogger(), clock });
  const events: AnyEvent[] = [];
  let running = true;
  const pump = (async () => {
    while (running) {
      await clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
  })();
  const stop = async () => {
    running = false;
    await pump;
    await agent.stop();
  };
  t.teardown(stop);
  await agent.start();
  agent.journal.listen((e) => events.push(e));
  await waitFor(() => agent.use('sms').modems().every((m) => m.state === 'online'), 'modems online');
  return { agent, clock, events, stop };
}

const configsOf = (w: Watcher) =>
  Object.fromEntries(w.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.text).map((m) => [m.topic, JSON.parse(m.text) as Record<string, unknown>]));

const sentTo = (agent: Agent) => agent.use('sms').listMessages({ direction: 'outbound', limit: 100 }).map((m) => [(m as { to: string }).to, (m as { text: string }).text]);

t.test('parseRecipients: numbers separated by commas, semicolons or spaces; anything else refused', async (t) => {
  t.same(parseRecipients('+4915123456789, 015123456789;+1555 01'), null, 'a number cut by a space is two numbers, the second too short');
  t.same(parseRecipients('+4915123456789, 015123456789;+15550100'), ['+4915123456789', '015123456789', '+15550100']);
  t.same(parseRecipients(''), []);
  t.same(parseRecipients('+491, alice'), null);
});

t.test('Home Assistant: devices, entities, notify, the event entity, balance and USSD', { skip }, async (t) => {
  const broker = await startBroker(tmp(t));
  t.teardown(() => broker.stop());
  const w = await watch(broker.url, ['homeassistant/#', 'smsedge/pi/#']);
  t.teardown(() => w.close());
  const { agent, events } = await startAgent(t, broker, tmp(t));
  const sim = agent.use('simulators');

  // The balance is read once modem a is online; its sensor and the discovery follow (currency as unit).
  await waitFor(() => events.some((e) => e.type === 'sim.balance'), 'balance read');
  await waitFor(() => (configsOf(w)['homeassistant/sensor/smsedge_pi/a_balance/config'] as { unit_of_measurement?: string } | undefined)?.unit_of_measurement === 'EUR', 'balance config with its currency');
  const state = await waitFor(() => (w.json('smsedge/pi/ha/a/state') as Record<string, unknown>[]).findLast((s) => s.balance === 5), 'balance state');
  t.match(state, {
    modem: 'a', state: 'online', signalDbm: Number, registration: String, networkType: String, operator: String,
    simStorageUsed: Number, queued: 0, sentToday: 0, failedToday: 0, balance: 5, balanceDetails: { currency: 'EUR', low: false, answer: 'Your balance is 5.00 EUR.' },
  });

  const configs = configsOf(w);
  const perModem = (m: string) =>
    [
      `binary_sensor/smsedge_pi/${m}_connected`, `event/smsedge_pi/${m}_messages`, `notify/smsedge_pi/${m}_sms`, `notify/smsedge_pi/${m}_sms_alice`,
      `sensor/smsedge_pi/${m}_failed_today`, `sensor/smsedge_pi/${m}_last_sms`, `sensor/smsedge_pi/${m}_network_type`, `sensor/smsedge_pi/${m}_operator`,
      `sensor/smsedge_pi/${m}_queue`, `sensor/smsedge_pi/${m}_registration`, `sensor/smsedge_pi/${m}_sent_today`, `sensor/smsedge_pi/${m}_signal`,
      `sensor/smsedge_pi/${m}_sim_storage`, `sensor/smsedge_pi/${m}_ussd_answer`, `text/smsedge_pi/${m}_recipients`, `text/smsedge_pi/${m}_ussd`,
      ...(m === 'a' ? [`button/smsedge_pi/a_balance_refresh`, `sensor/smsedge_pi/a_balance`] : []),
    ].map((x) => `homeassistant/${x}/config`);
  t.same(Object.keys(configs).sort(), ['homeassistant/binary_sensor/smsedge_pi/agent/config', ...perModem('a'), ...perModem('b')].sort(), 'one set of entities per modem, and the agent');

  // Every config: the fields Home Assistant's discovery docs name, never the deprecated object_id.
  for (const [topic, c] of Object.entries(configs)) {
    const [, component, , object] = topic.split('/');
    t.notOk('object_id' in c, `${topic}: no object_id`);
    t.equal(c.unique_id, `smsedge_pi_${object}`, `${topic}: unique_id`);
    t.equal(c.default_entity_id, `${component}.smsedge_pi_${object}`, `${topic}: default_entity_id is <component>.<object id>`);
    t.same(c.origin, { name: 'smsedge', sw_version: version }, `${topic}: origin`);
    t.match(c.device, { identifiers: Array, configuration_url: 'http://pi.lan:8080/' }, `${topic}: device`);
    if (object !== 'agent') t.same(c.availability, [{ topic: 'smsedge/pi/state', payload_available: 'online', payload_not_available: 'offline' }], `${topic}: availability`);
    if ('command_topic' in c) t.equal(c.qos, 1, `${topic}: commands at QoS 1`);
    // Each option one Home Assistant's documentation lists for the platform, with a value it accepts.
    t.same(discoveryProblems(component!, c), [], `${topic}: every option as Home Assistant documents it`);
  }
  const cfg = (x: string) => configs[`homeassistant/${x}/config`]!;
  t.same(cfg('binary_sensor/smsedge_pi/agent').device, { identifiers: ['smsedge_pi'], name: 'smsedge pi', manufacturer: 'smsedge', model: 'SMS gateway', sw_version: version, configuration_url: 'http://pi.lan:8080/' });
  t.match(cfg('binary_sensor/smsedge_pi/agent'), { state_topic: 'smsedge/pi/state', payload_on: 'online', payload_off: 'offline', device_class: 'connectivity' });
  t.notOk('availability' in cfg('binary_sensor/smsedge_pi/agent'), 'the agent sensor shows offline instead of unavailable');
  const deviceA = cfg('sensor/smsedge_pi/a_signal').device as { identifiers: string[]; serial_number?: string; via_device: string; name: string };
  t.match(deviceA, { via_device: 'smsedge_pi', name: 'smsedge pi a' });
  t.equal(deviceA.identifiers[0], 'smsedge_pi_a', 'identified by the modem id...');
  t.match(deviceA.identifiers[1], /^imei_[0-9]{15}$/, '...and its IMEI');
  t.equal(deviceA.serial_number, deviceA.identifiers[1]!.slice(5));
  t.notSame((cfg('sensor/smsedge_pi/b_signal').device as { identifiers: string[] }).identifiers, deviceA.identifiers, 'modem b is another device');
  t.match(cfg('sensor/smsedge_pi/a_signal'), { state_topic: 'smsedge/pi/ha/a/state', value_template: '{{ value_json.signalDbm }}', unit_of_measurement: 'dBm', device_class: 'signal_strength', state_class: 'measurement' });
  t.match(cfg('sensor/smsedge_pi/a_balance'), { state_topic: 'smsedge/pi/ha/a/state', value_template: '{{ value_json.balance }}', unit_of_measurement: 'EUR', device_class: 'monetary', state_class: 'total' });
  t.match(cfg('binary_sensor/smsedge_pi/a_connected'), { state_topic: 'smsedge/pi/ha/a/state', device_class: 'connectivity', value_template: String });
  t.match(cfg('event/smsedge_pi/a_messages'), { state_topic: 'smsedge/pi/ha/a/event', event_types: ['received', 'sent', 'delivered', 'failed'] });
  t.match(cfg('notify/smsedge_pi/a_sms_alice'), { name: 'SMS to alice', command_topic: 'smsedge/pi/ha/a/notify/alice', retain: false });
  t.match(cfg('notify/smsedge_pi/a_sms'), { command_topic: 'smsedge/pi/ha/a/notify' });
  t.match(cfg('text/smsedge_pi/a_recipients'), { command_topic: 'smsedge/pi/ha/a/recipients/set', state_topic: 'smsedge/pi/ha/a/recipients', mode: 'text', min: 0, max: 255 });
  t.match(cfg('button/smsedge_pi/a_balance_refresh'), { command_topic: 'smsedge/pi/ha/a/balance/refresh', payload_press: 'PRESS' });
  t.match(cfg('text/smsedge_pi/a_ussd'), { command_topic: 'smsedge/pi/ha/a/ussd/set', state_topic: 'smsedge/pi/ha/a/ussd', value_template: '{{ value_json.code }}' });
  t.match(cfg('sensor/smsedge_pi/a_ussd_answer'), { state_topic: 'smsedge/pi/ha/a/ussd', value_template: '{{ value_json.answer }}' });
  // The earlier single-device entities are removed (an empty retained config).
  await waitFor(() => w.on('homeassistant/notify/smsedge_pi/send_sms/config').some((m) => m.text === ''), 'the old notify entity removed');
  t.pass('the old notify entity removed');

  const eventsOn = (m: string) => w.json(`smsedge/pi/ha/${m}/event`) as Record<string, unknown>[];

  // A received SMS fires the event entity of its modem, with the full number and text.
  sim.get('b')!.receiveSms({ from: '+15550100100', text: 'Door code 1234' });
  await waitFor(() => eventsOn('b').some((e) => e.event_type === 'received'), 'received event');
  t.match(eventsOn('b').find((e) => e.event_type === 'received'), { number: '+15550100100', text: 'Door code 1234', modem: 'b', time: String, message_id: String });
  t.notOk(w.on('smsedge/pi/ha/b/event').some((m) => m.retain), 'events are not retained (Home Assistant would replay them)');

  // Notify to a contact: sent on that modem; the event entity says sent.
  await w.client.publishAsync('smsedge/pi/ha/a/notify/alice', 'Hello Alice', { qos: 1 });
  await waitFor(() => eventsOn('a').some((e) => e.event_type === 'sent' && e.number === contacts.alice), 'sent to alice');
  t.match(eventsOn('a').find((e) => e.event_type === 'sent'), { number: '+4915123456789', text: 'Hello Alice', modem: 'a', message_id: String });
  // The simulated network's delivery report follows: delivered.
  await waitFor(() => eventsOn('a').some((e) => e.event_type === 'delivered' && e.number === contacts.alice), 'delivered to alice', 30_000);
  t.match(eventsOn('a').find((e) => e.event_type === 'delivered'), { text: 'Hello Alice', message_id: eventsOn('a').find((e) => e.event_type === 'sent')!.message_id });

  // Notify without recipients: a failed event that says so.
  await w.client.publishAsync('smsedge/pi/ha/b/notify', 'nobody to send to', { qos: 1 });
  await waitFor(() => eventsOn('b').some((e) => e.event_type === 'failed'), 'failed: no recipient');
  t.match(eventsOn('b').find((e) => e.event_type === 'failed'), { reason: /no recipient/, text: 'nobody to send to', modem: 'b' });

  // Several recipients in the text entity: stored by the agent, shown retained, each gets the message.
  await w.client.publishAsync('smsedge/pi/ha/b/recipients/set', '+15550100201, +15550100202', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/ha/b/recipients').some((m) => m.text === '+15550100201, +15550100202'), 'recipients state');
  await w.client.publishAsync('smsedge/pi/ha/b/recipients/set', 'not a number', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/ha/b/recipients').length >= 3, 'refused recipients answered with the stored value');
  t.equal(w.on('smsedge/pi/ha/b/recipients').at(-1)!.text, '+15550100201, +15550100202');
  await w.client.publishAsync('smsedge/pi/ha/b/notify', 'Hello both', { qos: 1 });
  await waitFor(() => eventsOn('b').filter((e) => e.event_type === 'sent').length === 2, 'sent to both');
  t.same(eventsOn('b').filter((e) => e.event_type === 'sent').map((e) => e.number).sort(), ['+15550100201', '+15550100202']);

  // A send the network refuses: a failed event with the reason.
  sim.get('a')!.fault('cms-500', { count: 10 });
  await w.client.publishAsync('smsedge/pi/ha/a/notify/alice', 'This one fails', { qos: 1 });
  await waitFor(() => eventsOn('a').some((e) => e.event_type === 'failed' && e.text === 'This one fails'), 'failed send', 30_000);
  t.match(eventsOn('a').find((e) => e.event_type === 'failed'), { number: '+4915123456789', reason: String, message_id: String });
  await waitFor(() => (w.json('smsedge/pi/ha/a/state') as { failedToday: number; sentToday: number }[]).some((s) => s.failedToday === 1 && s.sentToday === 1), 'counts today');
  sim.get('a')!.clearFaults();

  // The balance button reads it again; USSD from the text entity answers on its sensor.
  sim.get('a')!.setUssdMenu({ '*100#': { text: 'Your balance is 1.25 EUR.' }, '*101#': { text: 'You have 300 MB left' } });
  await w.client.publishAsync('smsedge/pi/ha/a/balance/refresh', 'PRESS', { qos: 1 });
  await waitFor(() => (w.json('smsedge/pi/ha/a/state') as { balance: number }[]).some((s) => s.balance === 1.25), 'refreshed balance');
  t.ok(events.some((e) => e.type === 'sim.balance_low'), 'below low');
  await w.client.publishAsync('smsedge/pi/ha/a/ussd/set', '*101#', { qos: 1 });
  await waitFor(() => (w.json('smsedge/pi/ha/a/ussd') as { answer: string }[]).some((s) => s.answer === 'You have 300 MB left'), 'USSD answer');
  t.match(w.json('smsedge/pi/ha/a/ussd').at(-1), { code: '*101#', answer: 'You have 300 MB left', at: String });
  // A code the network does not know, and one that is no USSD code: the answer sensor says so.
  await w.client.publishAsync('smsedge/pi/ha/a/ussd/set', '*555#', { qos: 1 });
  await waitFor(() => (w.json('smsedge/pi/ha/a/ussd') as { code: string }[]).some((s) => s.code === '*555#'), 'USSD refused');
  t.match(w.json('smsedge/pi/ha/a/ussd').at(-1), { code: '*555#', answer: /^error: /, error: /not supported/, errorCode: 'modem_error' });
  await w.client.publishAsync('smsedge/pi/ha/a/ussd/set', 'call me', { qos: 1 });
  await waitFor(() => (w.json('smsedge/pi/ha/a/ussd') as { code: string }[]).some((s) => s.code === 'call me'), 'not a code');
  t.match(w.json('smsedge/pi/ha/a/ussd').at(-1), { error: /not a USSD code/ });

  // What cannot be sent is a failed event that says why: bytes that are not UTF-8, a bad stored number.
  const failures = () => eventsOn('a').filter((e) => e.event_type === 'failed');
  const before = failures().length;
  await w.client.publishAsync('smsedge/pi/ha/a/notify/alice', Buffer.from([0x48, 0x69, 0xff, 0xfe]), { qos: 1 });
  await waitFor(() => failures().length === before + 1, 'not UTF-8');
  t.match(failures().at(-1), { reason: /not valid UTF-8/, number: '+4915123456789', message_id: null });
  await w.client.publishAsync('smsedge/pi/ha/a/recipients/set', '+15550100', { qos: 1 });
  await waitFor(() => w.on('smsedge/pi/ha/a/recipients').some((m) => m.text === '+15550100'), 'a stored short number');
  await w.client.publishAsync('smsedge/pi/ha/a/notify', 'x'.repeat(153 * 12), { qos: 1 });
  await waitFor(() => failures().length === before + 2, 'refused by the send checks');
  t.match(failures().at(-1), { number: '+15550100', reason: /text/ });
  // A command for a modem the agent does not have changes nothing.
  await w.client.publishAsync('smsedge/pi/ha/zz/notify', 'to nowhere', { qos: 1 });
  await w.client.publishAsync('smsedge/pi/ha/a/notify/alice', 'after the stray ones', { qos: 1 });
  await waitFor(() => eventsOn('a').some((e) => e.event_type === 'sent' && e.text === 'after the stray ones'), 'later commands still handled');
  t.notOk(w.messages.some((m) => m.topic.startsWith('smsedge/pi/ha/zz/') && m.topic !== 'smsedge/pi/ha/zz/notify'), 'nothing published for an unknown modem');

  // A delivery report saying the message did not arrive: failed, with the report's reason.
  sim.get('a')!.setDeliveryOutcome('+4915123456789', 'failed');
  await w.client.publishAsync('smsedge/pi/ha/a/notify/alice', 'Never arrives', { qos: 1 });
  await waitFor(() => failures().some((e) => e.text === 'Never arrives'), 'failed delivery', 30_000);
  t.ok(eventsOn('a').some((e) => e.event_type === 'sent' && e.text === 'Never arrives'), 'sent first');
  t.match(failures().find((e) => e.text === 'Never arrives'), { number: '+4915123456789', reason: String, message_id: String });

  // A send from Home Assistant withdrawn before it reached the modem (REST API, operator page): failed, saying so.
  sim.get('b')!.unplug();
  await waitFor(() => agent.use('sms').modems().find((m) => m.id === 'b')?.state !== 'online', 'modem b offline');
  await w.client.publishAsync('smsedge/pi/ha/b/notify', 'Withdrawn', { qos: 1 });
  const withdrawn = () => agent.use('sms').listMessages({ direction: 'outbound', limit: 100 }).filter((m) => (m as { text: string }).text === 'Withdrawn') as { id: string }[];
  await waitFor(() => withdrawn().length === 2, 'queued for both recipients of b');
  for (const m of withdrawn()) agent.use('sms').cancel(m.id);
  await waitFor(() => eventsOn('b').filter((e) => e.text === 'Withdrawn').length === 2, 'cancelled events');
  for (const e of eventsOn('b').filter((e) => e.text === 'Withdrawn')) t.match(e, { event_type: 'failed', reason: 'cancelled before it was sent', number: /^\+1555010020[12]$/ });
  t.same(eventsOn('b').filter((e) => e.text === 'Withdrawn').map((e) => e.message_id).sort(), withdrawn().map((m) => m.id).sort());
  sim.get('b')!.replug();

  // What Home Assistant reads back: every event names one of the entity's event_types; the text
  // entities' states fit their max (a longer one is dropped with an error).
  const types = cfg('event/smsedge_pi/a_messages').event_types as string[];
  for (const m of ['a', 'b']) for (const e of eventsOn(m)) t.ok(types.includes(e.event_type as string), `event ${String(e.event_type)} is declared`);
  t.ok(w.on('smsedge/pi/ha/a/recipients').every((m) => m.text.length <= (cfg('text/smsedge_pi/a_recipients').max as number)), 'recipients states fit');
  t.ok((w.json('smsedge/pi/ha/a/ussd') as { code: string }[]).every((s) => s.code.length <= (cfg('text/smsedge_pi/a_ussd').max as number)), 'USSD states fit');
});

for (const protocolVersion of [5, 4] as const) {
  t.test(`a notification published while the agent is down is sent once when it is back (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, { skip }, async (t) => {
    const broker = await startBroker(tmp(t));
    t.teardown(() => broker.stop());
    const dataDir = tmp(t);
    const first = await startAgent(t, broker, dataDir, { protocolVersion });
    const w = await watch(broker.url, ['smsedge/pi/#']);
    t.teardown(() => w.close());
    // The USSD state is published (retained) once the command subscriptions are granted: before that,
    // a fresh session has no subscription for the broker to keep the command for.
    await waitFor(() => w.on('smsedge/pi/ha/a/ussd').length, 'command topics subscribed');
    await w.client.publishAsync('smsedge/pi/ha/a/recipients/set', '+15550100301', { qos: 1 });
    await waitFor(() => first.agent.use('sms').modems().length && w.on('smsedge/pi/ha/a/recipients').some((m) => m.text === '+15550100301'), 'recipient stored');
    await first.stop();

    // Home Assistant sends at QoS 1 while the agent is away; the broker keeps it in the agent's session.
    await w.client.publishAsync('smsedge/pi/ha/a/notify', 'While you were away', { qos: 1 });
    // The broker restarts too, without retained recipients in between: the agent's stored copy counts.
    await broker.stop();
    await broker.start();
    await w.client.publishAsync('smsedge/pi/ha/a/recipients', '', { qos: 1, retain: true }).catch(() => {});

    const second = await startAgent(t, broker, dataDir, { protocolVersion });
    await waitFor(() => second.events.some((e) => e.type === 'sms.sent'), 'sent after the restart', 30_000);
    t.same(sentTo(second.agent), [['+15550100301', 'While you were away']], 'queued once');
    // Nothing more arrives later (no second delivery of the same notification).
    await waitFor(() => w.on('smsedge/pi/ha/a/recipients').some((m) => m.text === '+15550100301'), 'recipients published again from the store');
    t.equal(second.events.filter((e) => e.type === 'sms.sent').length, 1);
    t.equal(sentTo(second.agent).length, 1);
  });
}
