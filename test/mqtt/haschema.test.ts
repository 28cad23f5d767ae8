// The discovery configs checked option by option against Home Assistant's MQTT documentation (the
// table in ./haschema.ts), for every platform and every shape the agent publishes; entity ids valid for
// any agent and modem id the config accepts; the plugin README's entity table and the entity ids in the
// docs' automation examples are the ones discovery really gives.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { discoveryMessages, pageUrl, type DiscoveredModem } from '../../plugins/mqtt/discovery.ts';
import { topicsFor } from '../../plugins/mqtt/topics.ts';
import { discoveryProblems, discoveryTopic } from './haschema.ts';

const modem = (id: string, extra: Partial<DiscoveredModem> = {}): DiscoveredModem => ({
  id, imei: '356938035643809', manufacturer: 'Quectel', model: 'EC25', currency: null, balance: false, ...extra,
});

function configs(agentId: string, modems: DiscoveredModem[], configurationUrl?: string, contacts: Record<string, string> = { alice: '+4915123456789', bob: '015123456789' }) {
  return discoveryMessages({ prefix: 'homeassistant', agentId, topics: topicsFor('smsedge', agentId), modems, contacts, ...(configurationUrl && { configurationUrl }) });
}

const componentOf = (topic: string) => discoveryTopic.exec(topic)?.groups?.component;

t.test('every config is one Home Assistant takes as it is, for each platform', async (t) => {
  const all = [
    ...configs('pi', [modem('a', { balance: true, currency: 'EUR' }), modem('b', { imei: null, manufacturer: null, model: null, balance: true })], 'http://pi.lan:8080/'),
    ...configs('Garage-Pi.2', [modem('usb-1')], 'homeassistant://hassio/ingress/a0d7b954_smsedge', {}),
  ];
  const platforms = new Set<string>();
  for (const { topic, config } of all) {
    const component = componentOf(topic);
    t.ok(component, `${topic} is a discovery topic`);
    platforms.add(component!);
    t.same(discoveryProblems(component!, config), [], topic);
  }
  t.same([...platforms].sort(), ['binary_sensor', 'button', 'event', 'notify', 'sensor', 'text'], 'each platform the agent uses was checked');
  const ids = all.map((m) => m.config.default_entity_id);
  t.equal(new Set(ids).size, ids.length, 'entity ids are unique');
  t.equal(new Set(all.map((m) => m.config.unique_id)).size, all.length, 'unique ids are unique');
  // Without a currency the balance is a plain number (monetary needs an ISO 4217 unit).
  const balanceB = all.find((m) => m.topic === 'homeassistant/sensor/smsedge_pi/b_balance/config')!.config;
  t.notOk('device_class' in balanceB || 'unit_of_measurement' in balanceB || 'state_class' in balanceB, 'no currency: no monetary class');
  t.match(all.find((m) => m.topic === 'homeassistant/sensor/smsedge_pi/a_balance/config')!.config, { device_class: 'monetary', unit_of_measurement: 'EUR', state_class: 'total' });
});

t.test('the checker finds what Home Assistant would drop or refuse', async (t) => {
  const [notify] = configs('pi', [modem('a')]).filter((m) => m.topic.includes('/notify/'));
  const sensor = configs('pi', [modem('a', { balance: true, currency: 'EUR' })]).find((m) => m.topic.endsWith('/a_balance/config'))!;
  const text = configs('pi', [modem('a')]).find((m) => m.topic.endsWith('/a_recipients/config'))!;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['notify', { ...notify!.config, state_topc: 'x' }, /state_topc is not an option of MQTT notify/],
    ['notify', { ...notify!.config, command_topic: undefined }, /command_topic is required/],
    ['notify', { ...notify!.config, object_id: 'a_sms' }, /object_id is deprecated/],
    ['notify', { ...notify!.config, default_entity_id: 'sensor.smsedge_pi_a_sms' }, /domain sensor, not notify/],
    ['notify', { ...notify!.config, default_entity_id: 'notify.smsedge__pi' }, /not an entity id/],
    ['notify', { ...notify!.config, qos: 3 }, /qos must be/],
    ['notify', { ...notify!.config, device: { name: 'x' } }, /device needs identifiers/],
    ['notify', { ...notify!.config, device: { identifiers: ['x'], url: 'http://x' } }, /device\.url is not a device option/],
    ['notify', { ...notify!.config, device: { identifiers: ['x'], configuration_url: 'ftp://x' } }, /configuration_url must be/],
    ['notify', { ...notify!.config, availability: [{ topic: 'x/state', payload: 'on' }] }, /availability\.payload is not/],
    ['notify', { ...notify!.config, origin: { sw: '1' } }, /origin\.sw is not.*|origin\.name is required/],
    ['sensor', { ...sensor.config, state_class: 'measurement' }, /monetary takes only state_class total/],
    ['sensor', { ...sensor.config, unit_of_measurement: 'euro' }, /ISO 4217/],
    ['sensor', { ...sensor.config, entity_category: 'config' }, /a sensor cannot be a config entity/],
    ['text', { ...text.config, max: 300 }, /max is at most 255/],
    ['text', { ...text.config, min: 10, max: 5 }, /min is above max/],
    ['text', { ...text.config, pattern: '([' }, /pattern is not a regular expression/],
    ['event', { state_topic: 'x', event_types: [], unique_id: 'e', default_entity_id: 'event.e' }, /event_types must be a list/],
    ['button', { command_topic: 'x', device_class: 'press', unique_id: 'b', default_entity_id: 'button.b' }, /button device_class must be/],
    ['light', {}, /not a platform this checker knows/],
  ];
  for (const [component, config, expected] of cases) t.match(discoveryProblems(component, config).join('; '), expected, expected.source);
});

t.test('any agent and modem id the config accepts gives valid, distinct entity ids', async () => {
  // core/config.ts agentId and plugins/modem/options.ts id.
  const agentId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
  const modemId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/);
  fc.assert(
    fc.property(agentId, fc.uniqueArray(modemId, { minLength: 1, maxLength: 3, selector: (id) => id.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') }), (agent, modems) => {
      const all = configs(agent, modems.map((id) => modem(id, { balance: true })));
      for (const { topic, config } of all) {
        const component = componentOf(topic);
        if (!component) throw new Error(`not a discovery topic: ${topic}`);
        const problems = discoveryProblems(component, config);
        if (problems.length) throw new Error(`${topic}: ${problems.join('; ')}`);
      }
      return new Set(all.map((m) => m.config.default_entity_id)).size === all.length;
    }),
    { numRuns: 300 },
  );
});

t.test("the README's entity table and the docs' entity ids are the ones discovery gives", async (t) => {
  const readme = readFileSync(new URL('../../plugins/mqtt/README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| entity | object |'), readme.indexOf('\n\n', readme.indexOf('| entity | object |')));
  const listed = new Set<string>();
  for (const row of table.split('\n').slice(2)) {
    const [, entity, objects] = row.split('|').map((c) => c.trim());
    const component = /^`([a-z_]+)`/.exec(entity!)![1]!;
    for (const [, object] of objects!.matchAll(/`([^`]+)`/g)) listed.add(`${component}/${object!.replace('<modem>', 'default').replace('<contact>', 'alice')}`);
  }
  const all = configs('pi', [modem('default', { balance: true, currency: 'EUR' })], undefined, { alice: '+4915123456789' });
  const discovered = new Set(all.map((m) => `${componentOf(m.topic)}/${m.topic.split('/')[3]}`));
  t.same([...listed].sort(), [...discovered].sort(), 'one row for each entity, none for an entity that does not exist');

  // Every smsedge entity id in the automation examples and the migration guide exists (agent pi, modem default).
  const ids = new Set(all.map((m) => m.config.default_entity_id as string));
  const docs = [readme, readFileSync(new URL('../../docs/home-assistant.md', import.meta.url), 'utf8')].join('\n');
  const used = [...docs.matchAll(/\b([a-z_]+\.smsedge_pi_default_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
  t.ok(used.length >= 6, `the examples name entities (${used.length})`);
  for (const id of new Set(used)) t.ok(ids.has(id), `${id} is an entity discovery gives`);
});

t.test("configuration_url by default: the API's address another machine can open", async (t) => {
  t.equal(pageUrl(['http://127.0.0.1:8080', 'http://192.168.1.5:8080']), 'http://192.168.1.5:8080', 'an API on 0.0.0.0: its network address, not loopback');
  t.equal(pageUrl(['http://localhost:8080', 'http://[::1]:8080', 'https://pi.lan:8443']), 'https://pi.lan:8443');
  t.equal(pageUrl(['http://127.0.0.1:8080']), 'http://127.0.0.1:8080', 'an API on loopback only: Home Assistant on the same machine');
  t.equal(pageUrl([]), undefined, 'no API: no link');
  const all = configs('pi', [modem('a')], pageUrl(['http://127.0.0.1:8080', 'http://192.168.1.5:8080']));
  t.ok(all.every((m) => (m.config.device as { configuration_url?: string }).configuration_url === 'http://192.168.1.5:8080'), 'every device links there');
});
