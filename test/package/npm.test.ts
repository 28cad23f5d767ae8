// The published package as a user gets it: `npm pack` (which builds dist/), the tarball's contents,
// `npm i -g` into a temporary prefix, and `smsedge` from there with a config in a folder of its own
// that imports only the package (the plugin example of the README, exactly as written there).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { freePort, httpGet } from '../bench/proc.ts';

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
