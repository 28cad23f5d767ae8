// The add-on's files as the Supervisor reads them (no Docker here): config.yaml against the rules of
// the Supervisor's app config schema (supervisor/apps/validate.py and options.py: required keys, the
// option type grammar, services), build.yaml and the Dockerfile's base images, the translations and
// DOCS.md covering every option, and config.yaml's schema agreeing with the translation's own checks.
import { existsSync, readFileSync, statSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { INGRESS_PORT, translateOptions } from '../../integrations/home-assistant/addon/rootfs/usr/lib/smsedge-addon/options.ts';

const dir = new URL('../../integrations/home-assistant/addon/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const config = parse(read('config.yaml')) as Record<string, any>;
const schema = config.schema as Record<string, unknown>;

// supervisor/apps/options.py RE_SCHEMA_ELEMENT, supervisor/apps/validate.py RE_SERVICE and RE_SLUG_FIELD.
const SCHEMA_ELEMENT =
  /^(?:|bool|email|url|port|device(?:\((?<filter>subsystem=[a-z]+)\))?|str(?:\((?<smin>\d+)?,(?<smax>\d+)?\))?|password(?:\((?<pmin>\d+)?,(?<pmax>\d+)?\))?|int(?:\((?<imin>-?\d+)?,(?<imax>-?\d+)?\))?|float(?:\((?<fmin>-?\d*\.?\d+)?,(?<fmax>-?\d*\.?\d+)?\))?|match\((?<match>.*)\)|list\((?<list>.+)\))\??$/;
const SERVICE = /^(?:mqtt|mysql):(?:provide|want|need)$/;
const SLUG = /^[-_.A-Za-z0-9]+$/;
const ARCHES = ['aarch64', 'amd64', 'armhf', 'armv7', 'i386'];
const WATCHDOG = /^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$/;

/** Every leaf type of the options schema with its dotted name (lists of dicts: `contacts.name`). */
function leaves(node: unknown, name = ''): [string, string][] {
  if (typeof node === 'string') return [[name, node]];
  if (Array.isArray(node)) return leaves(node[0], name);
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => leaves(v, name ? `${name}.${k}` : k));
}

t.test('config.yaml has what the Supervisor requires', async (t) => {
  for (const key of ['name', 'version', 'slug', 'description', 'arch']) t.ok(config[key], `${key} is there`);
  t.type(config.version, 'string', 'the version is a string (a YAML number would lose 0.10)');
  t.match(config.slug, SLUG);
  t.same(config.arch, ['aarch64', 'amd64', 'armv7']);
  t.ok(config.arch.every((a: string) => ARCHES.includes(a)), 'known architectures');
  t.equal(config.uart, true, 'serial devices mapped');
  t.equal(config.ingress, true, 'the page through Ingress');
  t.equal(config.ingress_port, INGRESS_PORT, "the ingress port is the one the agent's API listens on");
  t.equal(config.init, false, "s6-overlay v3 is the image's init");
  t.same(config.services, ['mqtt:want']);
  t.ok(config.services.every((s: string) => SERVICE.test(s)));
  t.match(config.watchdog, WATCHDOG);
  t.same(Object.keys(config.ports), [`${INGRESS_PORT}/tcp`], 'the API port may be mapped');
  t.equal(config.ports[`${INGRESS_PORT}/tcp`], null, 'not mapped unless the user does');
  t.ok(['hot', 'cold'].includes(config.backup));
  t.ok(config.timeout >= 10 && config.timeout <= 300);
});

t.test('the options schema uses only types the Supervisor knows, and options have a schema', async (t) => {
  for (const [name, type] of leaves(schema)) {
    const m = SCHEMA_ELEMENT.exec(type);
    t.ok(m, `${name}: ${type}`);
    if (m?.groups?.match) t.doesNotThrow(() => new RegExp(m.groups!.match!), `${name}'s pattern compiles`);
  }
  for (const key of Object.keys(config.options)) t.ok(key in schema, `option ${key} has a schema`);
  // An option with a default is required; the optional ones have none.
  for (const [key, type] of Object.entries(schema)) if (typeof type === 'string' && type.endsWith('?')) t.notOk(key in config.options, `${key} is optional: no default`);
  t.same(config.options, { simulator: false, contacts: [], log_level: 'info' });
});

t.test("config.yaml's patterns agree with the translation's", async (t) => {
  const pattern = (type: string) => new RegExp(SCHEMA_ELEMENT.exec(type)!.groups!.match!);
  const contact = (schema.contacts as Record<string, string>[])[0]!;
  const cases: [string, RegExp, (v: string) => unknown][] = [
    ['contacts.name', pattern(contact.name!), (v) => ({ port: '/dev/ttyUSB2', contacts: [{ name: v, number: '+4915123456789' }] })],
    ['contacts.number', pattern(contact.number!), (v) => ({ port: '/dev/ttyUSB2', contacts: [{ name: 'alice', number: v }] })],
    ['pin', pattern(schema.pin as string), (v) => ({ port: '/dev/ttyUSB2', pin: v })],
    ['balance_ussd', pattern(schema.balance_ussd as string), (v) => ({ port: '/dev/ttyUSB2', balance_ussd: v })],
  ];
  const samples = ['alice', 'bob_2', 'Alice', '2bob', 'a'.repeat(33), '+4915123456789', '015123456789', '+0123456789', '12', '1234', '12345678', '123456789', '*100#', '#100#', '*1 0#', 'x'];
  for (const [name, re, options] of cases)
    for (const sample of samples) {
      let accepted = true;
      try {
        translateOptions(options(sample), undefined, () => 'k'.repeat(8) + 'abcdefgh12345678');
      } catch {
        accepted = false;
      }
      t.equal(accepted, re.test(sample), `${name} "${sample}": the Supervisor and the add-on agree`);
    }
});

t.test('translations and DOCS.md cover every option', async (t) => {
  const en = parse(read('translations/en.yaml')) as { configuration: Record<string, { name: string; description: string }>; network: Record<string, string> };
  t.same(Object.keys(en.configuration).sort(), Object.keys(schema).sort(), 'a name and description for each option, and none for options that do not exist');
  for (const [key, entry] of Object.entries(en.configuration)) t.ok(entry.name && entry.description, `${key} is described`);
  t.same(Object.keys(en.network).map((k) => k.toLowerCase()), Object.keys(config.ports));
  const docs = read('DOCS.md');
  for (const key of Object.keys(schema)) t.match(docs, new RegExp(`\\| \`${key}\` \\|`), `DOCS.md has a row for ${key}`);
});

t.test('the image: base images per architecture, the packaged agent, the run script', async (t) => {
  const build = parse(read('build.yaml')) as { build_from: Record<string, string> };
  t.same(Object.keys(build.build_from).sort(), [...config.arch].sort(), 'a base image for each architecture');
  for (const [arch, image] of Object.entries(build.build_from)) t.match(image, new RegExp(`^ghcr\\.io/home-assistant/${arch}-base:3\\.\\d+$`), `${arch}: Home Assistant's Alpine base`);
  const dockerfile = read('Dockerfile');
  t.match(dockerfile, /^ARG BUILD_FROM=ghcr\.io\/home-assistant\/base:3\.\d+$/m, "newer Supervisors build from the Dockerfile's own base");
  t.match(dockerfile, /^FROM \$\{BUILD_FROM\}$/m);
  t.match(dockerfile, /npm install --global --omit=dev .*smsedge-\*\.tgz|smsedge-\*\.tgz[\s\S]*npm install --global --omit=dev/, 'installs the npm tarball');
  t.match(dockerfile, /^COPY rootfs \/$/m);
  t.match(dockerfile, /node \/tmp\/check\.ts/, "the build fails on a Node that cannot load the add-on's TypeScript config");
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(config.version, pkg.version, "the add-on's version is the package's (the registry install asks for it)");
  t.match(dockerfile, new RegExp(`^ARG BUILD_VERSION=${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
  const run = read('rootfs/etc/services.d/smsedge/run');
  const configPath = /--config (\S+)/.exec(run)?.[1];
  t.equal(configPath, '/usr/lib/smsedge-addon/agent.config.ts');
  t.ok(existsSync(new URL(`rootfs${configPath}`, dir)), 'the config it starts is in the image');
  for (const script of ['run', 'finish']) {
    const path = new URL(`rootfs/etc/services.d/smsedge/${script}`, dir);
    t.match(readFileSync(path, 'utf8'), /^#!\/usr\/bin\/with-contenv bashio\n/, `${script} runs under bashio`);
    t.ok(statSync(path).mode & 0o100, `${script} is executable`);
  }
  const repository = parse(readFileSync(new URL('../../repository.yaml', import.meta.url), 'utf8')) as { name?: string };
  t.ok(repository.name, 'repository.yaml at the root names the repository');
});
