// The add-on's translation of /data/options.json and the Supervisor's MQTT service into the agent's
// configuration: the plugin options it yields are accepted by the real plugins, secrets go to the
// environment only, and every bad option is refused naming it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { resolveConfig } from '../../core/config.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import {
  AddonOptionError,
  readOptions,
  askSupervisor,
  translateOptions,
  type AddonConfig,
} from '../../integrations/home-assistant/addon/rootfs/usr/lib/smsedge-addon/options.ts';

const mosquitto = { host: 'core-mosquitto', port: 1883, ssl: false, username: 'addons', password: 'Eiw5oa0ohngeiTh9', protocol: '3.1.1' };
const key = () => 'generated-key-0123456789abcdef';

/** The config as the agent would resolve it: the real plugins' schemas check every option. */
function resolved(addon: AddonConfig) {
  return resolveConfig(
    {
      dataDir: addon.dataDir,
      log: addon.log,
      plugins: [modem(addon.modem as never), api(addon.api as never), ...(addon.mqtt ? [mqtt(addon.mqtt as never)] : [])],
    },
    {},
  );
}

function refused(t: Test, options: unknown, option: string, message: RegExp, service = mosquitto) {
  let error: unknown;
  try {
    translateOptions(options, { mqtt: service }, key);
  } catch (e) {
    error = e;
  }
  t.ok(error instanceof AddonOptionError, `${JSON.stringify(options)} is refused`);
  t.match(error, { option, message }, `naming ${option}`);
}

t.test('a modem, contacts and the Supervisor broker', async (t) => {
  const addon = translateOptions(
    {
      port: '/dev/serial/by-id/usb-Quectel_EC25-if02-port0',
      simulator: false,
      pin: '9071',
      contacts: [
        { name: 'alice', number: '+4915123456789' },
        { name: 'bob', number: '015123456789' },
      ],
      log_level: 'debug',
    },
    { mqtt: mosquitto, slug: 'a0d7b954_smsedge' },
    key,
  );
  t.same(addon.modem, { port: '/dev/serial/by-id/usb-Quectel_EC25-if02-port0' }, 'the modem on the chosen device; the PIN is not in the config');
  t.same(addon.api, { host: '0.0.0.0', port: 8099, ingress: { trustedProxy: '172.30.32.2' } }, 'the API on the ingress port, trusting the Supervisor');
  t.same(addon.mqtt, {
    url: 'mqtt://core-mosquitto:1883',
    username: 'addons',
    protocolVersion: 4,
    homeAssistant: { contacts: { alice: '+4915123456789', bob: '015123456789' }, configurationUrl: 'homeassistant://hassio/ingress/a0d7b954_smsedge' },
  }, "contacts as notify entities; the devices link to the add-on's page");
  t.same(addon.env, { SMSEDGE_SIM_PIN: '9071', SMSEDGE_API_KEY: key(), SMSEDGE_MQTT_PASSWORD: mosquitto.password }, 'secrets in the environment');
  t.equal(addon.dataDir, '/data');
  t.same(addon.log, { level: 'debug' });
  t.notMatch(JSON.stringify({ ...addon, env: undefined }), /9071|Eiw5oa0|generated-key/, 'no secret outside env');
  t.same(addon.notes, []);
});

t.test('the translated config is one the agent accepts', async (t) => {
  const addon = translateOptions({ port: '/dev/ttyUSB2', api_key: 'my-own-key-fedcba9876543210' }, { mqtt: { ...mosquitto, ssl: true, port: '8883' } }, key);
  t.equal(addon.mqtt?.url, 'mqtts://core-mosquitto:8883', 'TLS and a port given as text');
  t.equal(addon.env.SMSEDGE_API_KEY, 'my-own-key-fedcba9876543210', "the user's own key");
  const config = resolved(addon);
  t.same(config.plugins.map((p) => p.name), ['modem', 'api', 'mqtt']);
  t.match(config.plugins[1]!.options, { host: '0.0.0.0', port: 8099, ingress: { trustedProxy: '172.30.32.2' } });
  t.match(config.plugins[2]!.options, { url: 'mqtts://core-mosquitto:8883', username: 'addons', protocolVersion: 4, homeAssistant: { discoveryPrefix: 'homeassistant' } });
  t.equal(config.dataDir, '/data');
  t.equal(config.log.level, 'info', 'info unless log_level says otherwise');
});

t.test('the simulator, and no broker', async (t) => {
  const addon = translateOptions({ simulator: true, contacts: [{ name: 'alice', number: '+4915123456789' }] }, undefined, key);
  t.same(addon.modem, { port: 'simulator', simulator: { timing: true, storageFile: '/data/simulator.json' } });
  t.equal(addon.mqtt, undefined, 'no MQTT plugin without a broker');
  t.match(addon.notes, [/simulated modem/, /no MQTT broker/, /contacts .* need/]);
  t.same(resolved(addon).plugins.map((p) => p.name), ['modem', 'api']);
  t.equal(addon.env.SMSEDGE_API_KEY, key(), 'a key is made when none is set: the API listens on the add-on network');
  t.not(translateOptions({ simulator: true }).env.SMSEDGE_API_KEY, translateOptions({ simulator: true }).env.SMSEDGE_API_KEY, 'a new random key each start');
  const elsewhere = translateOptions({ simulator: true }, undefined, key, '/tmp/addon-data');
  t.equal(elsewhere.dataDir, '/tmp/addon-data');
  t.match(elsewhere.modem, { simulator: { storageFile: '/tmp/addon-data/simulator.json' } }, "the simulated SIM's storage with the rest of the data");
});

t.test("the user's own broker instead of the Supervisor's", async (t) => {
  const addon = translateOptions({ port: '/dev/ttyUSB2', mqtt_url: 'mqtt://192.168.1.5:1883', mqtt_username: 'sms', mqtt_password: 'broker-secret' }, { mqtt: mosquitto, slug: 'a0d7b954_smsedge' }, key);
  t.same(addon.mqtt, { url: 'mqtt://192.168.1.5:1883', username: 'sms', homeAssistant: { configurationUrl: 'homeassistant://hassio/ingress/a0d7b954_smsedge' } });
  t.equal(addon.env.SMSEDGE_MQTT_PASSWORD, 'broker-secret');
  t.same(resolved(addon).plugins.map((p) => p.name), ['modem', 'api', 'mqtt']);
});

t.test('balance', async (t) => {
  const addon = translateOptions({ port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_pattern: '(?<amount>[0-9.]+) EUR', balance_every_hours: 24, balance_low: 5 }, undefined, key);
  t.same(addon.modem.balance, { ussd: '*100#', pattern: '(?<amount>[0-9.]+) EUR', everyHours: 24, low: 5 });
  t.same(translateOptions({ port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_every_hours: 0 }, undefined, key).modem.balance, { ussd: '*100#', everyHours: 0 }, '0: on demand only');
  t.same(translateOptions({ port: '/dev/ttyUSB2', balance_ussd: '*100#' }, undefined, key).modem.balance, { ussd: '*100#' }, 'only what is set');
  t.notOk('balance' in translateOptions({ port: '/dev/ttyUSB2', balance_ussd: ' ' }, undefined, key).modem, 'none without a code');
  t.match(resolved(addon).plugins[0]!.options, { balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+) EUR', everyHours: 24, low: 5 } }, "the modem plugin's balance option takes it");
  t.match(resolved(translateOptions({ port: '/dev/ttyUSB2', balance_ussd: '*100#' }, undefined, key)).plugins[0]!.options, { balance: { ussd: '*100#', everyHours: 24 } }, 'its defaults for the rest');
});

t.test('bad options are refused naming the option', async (t) => {
  refused(t, {}, 'port', /choose the modem's serial device/);
  refused(t, { port: 'COM3' }, 'port', /under \/dev\//);
  refused(t, { port: 7 }, 'port', /must be text/);
  refused(t, { port: '/dev/ttyUSB2', pin: '12a4' }, 'pin', /4 to 8 digits/);
  refused(t, { port: '/dev/ttyUSB2', contacts: 'alice' }, 'contacts', /list/);
  refused(t, { port: '/dev/ttyUSB2', contacts: [null] }, 'contacts[0]', /name and a number/);
  refused(t, { port: '/dev/ttyUSB2', contacts: [{ name: 'Alice Smith', number: '+4915123456789' }] }, 'contacts[0].name', /lower-case/);
  refused(t, { port: '/dev/ttyUSB2', contacts: [{ name: 'alice', number: '+49 151 2345' }] }, 'contacts[0].number', /phone number/);
  refused(t, { port: '/dev/ttyUSB2', contacts: [{ name: 'alice', number: '+4915123456789' }, { name: 'alice', number: '+4915123456780' }] }, 'contacts[1].name', /used twice/);
  refused(t, { port: '/dev/ttyUSB2', balance_pattern: '(\\d+)' }, 'balance_ussd', /needed for balance_pattern/);
  refused(t, { port: '/dev/ttyUSB2', balance_low: 2 }, 'balance_ussd', /needed for balance_low/);
  refused(t, { port: '/dev/ttyUSB2', balance_every_hours: 2 }, 'balance_ussd', /needed for balance_every_hours/);
  refused(t, { port: '/dev/ttyUSB2', balance_ussd: 'balance please' }, 'balance_ussd', /USSD code/);
  refused(t, { port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_pattern: '([0-9' }, 'balance_pattern', /not a regular expression/);
  refused(t, { port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_pattern: '([0-9.]+) EUR' }, 'balance_pattern', /named group \(\?<amount>/);
  refused(t, { port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_every_hours: -1 }, 'balance_every_hours', /between 0 and/);
  refused(t, { port: '/dev/ttyUSB2', balance_ussd: '*100#', balance_low: 'five' }, 'balance_low', /a number/);
  refused(t, { port: '/dev/ttyUSB2', api_key: 'short' }, 'api_key', /at least 16/);
  refused(t, { port: '/dev/ttyUSB2', api_key: 'aaaaaaaaaaaaaaaaaaaa' }, 'api_key', /random/);
  refused(t, { port: '/dev/ttyUSB2', log_level: 'verbose' }, 'log_level', /one of fatal, error, warn, info, debug, trace/);
  refused(t, { port: '/dev/ttyUSB2', mqtt_url: 'http://broker' }, 'mqtt_url', /mqtt:\/\//);
  refused(t, { port: '/dev/ttyUSB2', mqtt_password: 'x' }, 'mqtt_password', /only with mqtt_url/);
  refused(t, [], 'options', /not an object/);
  const error = t.throws(() => translateOptions({ pin: '12' }, undefined, key)) as AddonOptionError;
  t.equal(error.code, 'invalid_option');
  t.match(error.message, /^add-on option port: /, 'the message starts with the option');
});

t.test('readOptions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-addon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'options.json'), '{"port":"/dev/ttyUSB2"}');
  writeFileSync(join(dir, 'broken.json'), '{"port":');
  t.same(await readOptions(join(dir, 'options.json')), { port: '/dev/ttyUSB2' });
  await t.rejects(readOptions(join(dir, 'broken.json')), { option: 'options', message: /is not JSON/ });
  await t.rejects(readOptions(join(dir, 'missing.json')), { option: 'options', message: /cannot read/ });
});

t.test("askSupervisor asks the Supervisor's API with the token", async (t) => {
  const self = { name: 'smsedge SMS gateway', slug: 'a0d7b954_smsedge', ingress: true, ingress_url: '/api/hassio_ingress/x/' };
  let answers: Record<string, { status: number; body: unknown }> = {};
  const seen: { url?: string; auth?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    const answer = answers[req.url ?? ''] ?? { status: 404, body: { result: 'error', message: 'not found' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ask = () => askSupervisor({ token: 'supervisor-token', base });

  answers = { '/services/mqtt': { status: 200, body: { result: 'ok', data: mosquitto } }, '/addons/self/info': { status: 200, body: { result: 'ok', data: self } } };
  t.same(await ask(), { mqtt: mosquitto, slug: 'a0d7b954_smsedge' });
  t.same(seen.splice(0).sort((a, b) => a.url!.localeCompare(b.url!)), [{ url: '/addons/self/info', auth: 'Bearer supervisor-token' }, { url: '/services/mqtt', auth: 'Bearer supervisor-token' }]);
  answers['/services/mqtt'] = { status: 400, body: { result: 'error', message: 'Service not enabled' } };
  t.same(await ask(), { slug: 'a0d7b954_smsedge' }, 'no broker add-on: no broker');
  answers['/services/mqtt'] = { status: 200, body: { result: 'ok', data: { host: '', port: 0 } } };
  answers['/addons/self/info'] = { status: 200, body: { result: 'ok', data: { slug: 'a b"<' } } };
  t.same(await ask(), {}, 'an empty broker and a strange slug: neither');
  answers = { '/services/mqtt': { status: 502, body: 'Bad Gateway' } };
  t.same(await ask(), {}, 'not JSON: nothing');
  seen.length = 0;
  t.same(await askSupervisor({ token: '', base }), {}, 'no token (outside Home Assistant): not asked');
  t.equal(seen.length, 0);
  const unreachable = await askSupervisor({ token: 'supervisor-token', base: 'http://127.0.0.1:1' });
  t.match(unreachable, { problem: /^cannot ask the Supervisor/ }, 'unreachable: said so, not thrown');
  t.match(translateOptions({ port: '/dev/ttyUSB2' }, unreachable, key).notes, [/cannot ask the Supervisor .*: starting without its broker/, /no MQTT broker/]);
});
