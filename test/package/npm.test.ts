// The published package as a user gets it: `npm pack` (which builds dist/), the tarball's contents,
// `npm i -g` into a temporary prefix, and `smsedge` from there with a config in a folder of its own
// that imports only the package (the plugin example of the README, exactly as written there).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePort, httpGet } from '../bench/proc.ts';
import { waitFor } from '../file/wait.ts';
import { skipReason as mqttSkip, startBroker } from '../mqtt/broker.ts';
import { watch } from '../mqtt/client.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
// npm, and the programs it runs, find this Node first (Node 24; the system's may be older); tap's
// loaders (NODE_OPTIONS) stay out of them, as they would be on a user's machine.
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const { NODE_OPTIONS: _, ...plainEnv } = process.env;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...plainEnv, PATH, ...env }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** The README's (or docs') plugin example: the ts block that defines `textLog`. */
function pluginExample(): string | undefined {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f)) : [];
  for (const file of [join(root, 'README.md'), ...docs]) {
    for (const [, block] of readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)) if (block!.includes('export const textLog = definePlugin')) return block;
  }
  return undefined;
}

// npm pack (a build), two installs and two agents: minutes on a busy machine, more than tap's default.
t.setTimeout(10 * 60_000);

const work = mkdtempSync(join(tmpdir(), 'smsedge-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

let tarball = '';
t.test('npm pack builds the JavaScript and ships what runs, without tests or fixtures', async (t) => {
  const r = sh('npm', ['pack', '--pack-destination', work, '--json', '--no-audit', '--no-fund'], root);
  t.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(/^\[\n[\s\S]*?^\]$/m.exec(r.stdout)![0]) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  t.equal(info!.filename, `smsedge-${version}.tgz`);
  const files = info!.files.map((f) => f.path);
  for (const f of ['package.json', 'dist/core/cli.js', 'dist/core/index.js', 'dist/core/index.d.ts', 'dist/plugins/modem/index.js', 'dist/plugins/api/ui/index.html'])
    t.ok(files.includes(f), `ships ${f}`);
  t.same(files.filter((f) => /(^|\/)(test|fixtures|bench)\/|\.test\.|\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('integrations/config/')), [], 'no tests, benches, fixtures or .ts sources');
});

t.test('installed with npm i -g, smsedge runs the README plugin example from a folder of its own', async (t) => {
  if (!tarball) return t.fail('npm pack made no tarball');
  const prefix = join(work, 'prefix');
  const r = sh('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], work);
  t.equal(r.code, 0, r.stderr);
  const bin = join(prefix, 'bin', 'smsedge');
  const v = sh(bin, ['--version'], work);
  t.equal(v.code, 0, v.stderr);
  t.equal(v.stdout.trim(), version);

  const example = pluginExample();
  if (!example) return t.fail('README.md (or docs/) has no plugin example defining textLog');
  const dir = join(work, 'elsewhere');
  mkdirSync(dir);
  writeFileSync(join(dir, 'text-log.ts'), example);
  const port = await freePort();
  writeFileSync(
    join(dir, 'agent.config.ts'),
    `import { defineConfig } from 'smsedge';
import { api } from 'smsedge/plugins/api';
import { modem } from 'smsedge/plugins/modem';
import { textLog } from './text-log.ts';
export default defineConfig({
  agentId: 'packed',
  dataDir: ${JSON.stringify(join(dir, 'data'))},
  plugins: [modem({ port: 'simulator' }), api({ port: ${port} }), textLog({ path: ${JSON.stringify(join(dir, 'events.txt'))} })],
});
`,
  );
  const child = spawn(bin, ['start', '--config', join(dir, 'agent.config.ts')], { cwd: dir, env: { ...plainEnv, PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.teardown(() => void child.kill('SIGKILL'));
  let health: { status: number; body: string } | undefined;
  for (let i = 0; i < 300 && !health; i++) {
    health = await httpGet(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(health?.status, 200, out);
  const body = JSON.parse(health!.body) as { version: string; plugins: Record<string, unknown> };
  t.equal(body.version, version);
  t.ok(body.plugins['text-log'], 'the example plugin runs');
  // The events the example wrote (system events at least) prove its subscription works.
  for (let i = 0; i < 100 && !existsSync(join(dir, 'events.txt')); i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(existsSync(join(dir, 'events.txt')), 'the example wrote its file');
  child.kill('SIGTERM');
  t.equal(await exited, 0, out);
});

// The Home Assistant add-on's image is this package installed globally (its Dockerfile: the tarball
// `npm pack` makes, or the published one) plus the add-on's rootfs; its run script starts the agent
// on the add-on's config. Here: the same installed package, the rootfs in a folder standing for `/`,
// the run script's own command, /data/options.json and a loopback Supervisor offering a real Mosquitto
// with a login, as the Mosquitto add-on does.
t.test("the add-on's run script on the packaged agent: options and the Supervisor's broker in, Home Assistant entities out", { skip: mqttSkip() }, async (t) => {
  if (!tarball) return t.fail('npm pack made no tarball');
  const bin = join(work, 'prefix', 'bin', 'smsedge');
  if (!existsSync(bin)) return t.fail('the package is not installed');
  const addon = join(root, 'integrations/home-assistant/addon');
  const dockerfile = readFileSync(join(addon, 'Dockerfile'), 'utf8');
  t.match(dockerfile, /npm install --global --omit=dev [^\n]*"\$\{tarball:-smsedge@\$\{BUILD_VERSION\}\}"/, 'the image installs the npm package, not a checkout');
  t.notMatch(dockerfile, /git clone|COPY \.\.\//, 'nothing of the source tree goes into the image');

  const image = join(work, 'addon-root');
  cpSync(join(addon, 'rootfs'), image, { recursive: true });
  const run = readFileSync(join(addon, 'rootfs/etc/services.d/smsedge/run'), 'utf8');
  const command = /^exec smsedge (start .*)$/m.exec(run)?.[1]?.split(/\s+/);
  t.ok(command, 'the run script execs smsedge start');
  const args = command!.map((a) => (a.startsWith('/') ? join(image, a) : a));

  const password = 'mosquitto-pass-Zoh8Ie';
  const apiKey = 'addon-api-key-3f9c1e7a2b6d';
  const broker = await startBroker(join(work, 'broker'), { users: { addons: password } });
  t.teardown(() => broker.stop());
  const supervisor = createServer((req, res) => {
    const data =
      req.headers.authorization !== 'Bearer supervisor-token' ? undefined
      : req.url === '/services/mqtt' ? { addon: 'core_mosquitto', host: '127.0.0.1', port: broker.port, ssl: false, protocol: '3.1.1', username: 'addons', password }
      : req.url === '/addons/self/info' ? { slug: 'local_smsedge', ingress: true }
      : undefined;
    res.writeHead(data ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(data ? { result: 'ok', data } : { result: 'error' }));
  });
  await new Promise<void>((resolve) => supervisor.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => supervisor.close(() => resolve())));

  const data = join(work, 'addon-data');
  mkdirSync(data);
  writeFileSync(
    join(data, 'options.json'),
    JSON.stringify({
      simulator: true, pin: '5817', contacts: [{ name: 'alice', number: '+4915123456789' }], balance_ussd: '*100#',
      balance_pattern: '(?<amount>[0-9.]+) EUR', balance_every_hours: 24, api_key: apiKey, log_level: 'info',
    }),
  );
  const w = await watch(broker.url, ['homeassistant/#', 'smsedge/#'], { username: 'addons', password });
  t.teardown(() => w.close());

  const port = await freePort();
  const child = spawn(bin, args, {
    cwd: image,
    env: {
      ...plainEnv, PATH, SUPERVISOR_TOKEN: 'supervisor-token', SMSEDGE_ADDON_SUPERVISOR: `http://127.0.0.1:${(supervisor.address() as AddressInfo).port}`,
      SMSEDGE_ADDON_OPTIONS: join(data, 'options.json'), SMSEDGE_ADDON_DATA: data, SMSEDGE_ADDON_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.teardown(() => void child.kill('SIGKILL'));

  // Discovery through the Supervisor's broker, with the login it gave: the contact's notify entity,
  // the balance from the simulated modem's USSD answer, the devices linking to the add-on's page.
  const config = (object: string) => w.messages.find((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith(`/${object}/config`) && m.text);
  const notify = await waitFor(() => config('default_sms_alice'), "the contact's notify entity", 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; the agent said:\n${out}`);
  });
  t.match(JSON.parse(notify.text), { device: { configuration_url: 'homeassistant://hassio/ingress/local_smsedge' }, qos: 1 });
  const agentTopic = /^smsedge\/[^/]+\//.exec(JSON.parse(notify.text).command_topic as string)![0];
  await waitFor(() => w.json(`${agentTopic}ha/default/state`).some((s) => (s as { balance?: number }).balance === 5), 'the balance sensor from the USSD answer', 60_000);
  t.ok(config('default_balance'), 'the balance sensor is discovered');

  // Home Assistant's notify: sent by the simulated modem, the event entity says so.
  await w.client.publishAsync(`${agentTopic}ha/default/notify/alice`, 'Hello from the add-on', { qos: 1 });
  const sent = await waitFor(() => w.json(`${agentTopic}ha/default/event`).find((e) => (e as { event_type: string }).event_type === 'sent'), 'sent event', 60_000);
  t.match(sent, { number: '+4915123456789', text: 'Hello from the add-on', modem: 'default' });

  // The API on the ingress port with the user's key; without it, refused (not from the Supervisor's address).
  const health = await httpGet(`http://127.0.0.1:${port}/health`, { authorization: `Bearer ${apiKey}` });
  t.equal(health.status, 200);
  t.match(JSON.parse(health.body), { version, plugins: { modem: Object, api: Object, mqtt: Object } });
  const refused = await httpGet(`http://127.0.0.1:${port}/sms/messages`);
  t.equal(refused.status, 401, 'no key, not from the ingress proxy: refused');
  t.ok(existsSync(join(data, 'smsedge.db')), 'the database in the data folder');

  child.kill('SIGTERM');
  t.equal(await exited, 0, out);
  for (const secret of [password, apiKey, '5817']) t.notOk(out.includes(secret), 'no secret in the log');
  t.notOk(out.includes('4915123456789'), 'no full number in the log');
});
