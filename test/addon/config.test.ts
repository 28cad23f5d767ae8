// The add-on's agent.config.ts as `smsedge start` loads it: /data/options.json and the Supervisor's
// MQTT service (a loopback server answering like the Supervisor) in, the resolved agent config and
// the secrets in the environment out; a bad option is a config error naming it, exit code 2.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import '../../core/cli.ts'; // resolves 'smsedge' and 'smsedge/plugins/*' for the config, as the CLI does
import { ConfigError, loadConfig } from '../../core/config.ts';

const addonLib = fileURLToPath(new URL('../../integrations/home-assistant/addon/rootfs/usr/lib/smsedge-addon/', import.meta.url));
const cli = fileURLToPath(new URL('../../core/cli.ts', import.meta.url));
const SECRETS = ['SMSEDGE_SIM_PIN', 'SMSEDGE_API_KEY', 'SMSEDGE_MQTT_PASSWORD'];

/** A fake Supervisor: /services/mqtt answers like the Mosquitto add-on's, /addons/self/info with a slug, for the right token only. */
async function supervisor(t: Test): Promise<{ url: string; asked: number }> {
  const state = { url: '', asked: 0 };
  const server = createServer((req, res) => {
    state.asked++;
    if (req.headers.authorization !== 'Bearer test-supervisor-token') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"result":"error","message":"Unauthorized"}');
      return;
    }
    const data =
      req.url === '/services/mqtt'
        ? { addon: 'core_mosquitto', host: 'core-mosquitto', port: 1883, ssl: false, protocol: '3.1.1', username: 'addons', password: 'mosquitto-pass-Zoh8' }
        : req.url === '/addons/self/info'
          ? { slug: 'local_smsedge', ingress: true }
          : undefined;
    res.writeHead(data ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(data ? { result: 'ok', data } : { result: 'error', message: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

/** The add-on's config files in a fresh folder (a module is evaluated once per URL) with an options.json. */
function addonFiles(t: Test, options: unknown): { config: string; options: string } {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-addon-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(addonLib, dir, { recursive: true });
  writeFileSync(join(dir, 'options.json'), JSON.stringify(options));
  return { config: join(dir, 'agent.config.ts'), options: join(dir, 'options.json') };
}

/** Runs with the add-on's environment, and puts process.env back afterwards. */
function addonEnv(t: Test, env: Record<string, string>): void {
  const saved = Object.fromEntries([...SECRETS, ...Object.keys(env)].map((k) => [k, process.env[k]]));
  for (const key of SECRETS) delete process.env[key];
  Object.assign(process.env, env);
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

t.test('options and the Supervisor broker become the agent config and its environment', async (t) => {
  const sup = await supervisor(t);
  const files = addonFiles(t, { port: '/dev/serial/by-id/usb-Quectel_EC25-if02-port0', simulator: false, pin: '5817', contacts: [], log_level: 'warn' });
  addonEnv(t, { SMSEDGE_ADDON_OPTIONS: files.options, SMSEDGE_ADDON_SUPERVISOR: sup.url, SUPERVISOR_TOKEN: 'test-supervisor-token' });
  const config = await loadConfig(files.config, {});
  t.equal(sup.asked, 2, 'the Supervisor was asked for the broker and the slug');
  t.equal(config.dataDir, '/data');
  t.equal(config.log.level, 'warn');
  t.same(config.plugins.map((p) => p.name), ['modem', 'api', 'mqtt']);
  t.match(config.plugins[0]!.options, { port: '/dev/serial/by-id/usb-Quectel_EC25-if02-port0', pinEnv: 'SMSEDGE_SIM_PIN' });
  t.match(config.plugins[1]!.options, { host: '0.0.0.0', port: 8099, apiKeyEnv: 'SMSEDGE_API_KEY', ingress: { trustedProxy: '172.30.32.2' } });
  t.match(config.plugins[2]!.options, { url: 'mqtt://core-mosquitto:1883', username: 'addons', protocolVersion: 4, homeAssistant: { discoveryPrefix: 'homeassistant', configurationUrl: 'homeassistant://hassio/ingress/local_smsedge' } });
  t.equal(process.env.SMSEDGE_SIM_PIN, '5817', 'the PIN where the modem plugin reads it');
  t.equal(process.env.SMSEDGE_MQTT_PASSWORD, 'mosquitto-pass-Zoh8', "the broker's password where the mqtt plugin reads it");
  t.match(process.env.SMSEDGE_API_KEY, /^[0-9a-f]{48}$/, 'a random API key');
  t.notMatch(JSON.stringify(config.plugins.map((p) => p.options)), /5817|mosquitto-pass/, 'no secret in the config');
});

t.test('without a Supervisor token (or a broker) the agent runs without MQTT', async (t) => {
  const files = addonFiles(t, { simulator: true, contacts: [], log_level: 'info' });
  addonEnv(t, { SMSEDGE_ADDON_OPTIONS: files.options, SUPERVISOR_TOKEN: '' });
  const config = await loadConfig(files.config, {});
  t.same(config.plugins.map((p) => p.name), ['modem', 'api']);
  t.match(config.plugins[0]!.options, { port: 'simulator' });
});

t.test('a bad option is a config error naming it', async (t) => {
  const files = addonFiles(t, { port: '/dev/ttyUSB2', pin: '12', simulator: false, contacts: [], log_level: 'info' });
  addonEnv(t, { SMSEDGE_ADDON_OPTIONS: files.options, SUPERVISOR_TOKEN: '' });
  const error = await loadConfig(files.config, {}).catch((e: unknown) => e);
  t.ok(error instanceof ConfigError);
  t.match(error, { key: 'add-on option pin', message: /^add-on option pin: must be the SIM PIN: 4 to 8 digits$/ });
});

t.test('smsedge start with a bad option exits 2 with the option in its last words', async (t) => {
  const files = addonFiles(t, { port: '/dev/ttyUSB2', contacts: [{ name: 'alice', number: '+49 151' }], simulator: false, log_level: 'info' });
  const { NODE_OPTIONS: _, ...env } = process.env;
  const run = spawnSync(process.execPath, [cli, 'start', '--config', files.config], {
    env: { ...env, SMSEDGE_ADDON_OPTIONS: files.options, SUPERVISOR_TOKEN: '', NODE_DISABLE_COMPILE_CACHE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 2, 'exit code 2: the run script stops the add-on');
  t.match(run.stderr, /config error: add-on option contacts\[0\]\.number: must be a phone number/);
});
