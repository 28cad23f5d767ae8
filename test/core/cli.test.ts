import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const cli = new URL('../../core/cli.ts', import.meta.url).pathname;

function run(args: string[], opts: { cwd?: string; env?: Record<string, string>; until?: RegExp } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!signalled && opts.until?.test(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('--version and --help', async (t) => {
  const v = await run(['--version']);
  t.equal(v.code, 0);
  t.match(v.stdout, /^\d+\.\d+\.\d+/);
  const h = await run(['--help']);
  t.equal(h.code, 0);
  t.match(h.stdout, /start\s+run the agent/);
  const unknown = await run(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command "frobnicate"/);
});

t.test('a config outside the project imports from "smsedge", starts, and stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cfg-'));
  writeFileSync(
    join(dir, 'my.config.ts'),
    `import { defineConfig, definePlugin } from 'smsedge';
const hello = definePlugin({ name: 'hello', setup: (ctx) => ({ start: () => ctx.log.info('hello started') }) });
export default defineConfig({ agentId: 'outside', dataDir: ${JSON.stringify(join(dir, 'data'))}, plugins: [hello()] });
`,
  );
  const r = await run(['start', '--config', join(dir, 'my.config.ts')], { cwd: dir, until: /agent started/ });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /hello started/);
  t.match(r.stdout, /agent stopped/);
});

t.test('a started agent gives back what start-up grew once it is quiet (core/heap.ts)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cfg-'));
  writeFileSync(
    join(dir, 'heap.config.ts'),
    `import { defineConfig } from 'smsedge';
export default defineConfig({ agentId: 'heap', dataDir: ${JSON.stringify(join(dir, 'data'))}, log: { level: 'debug' }, plugins: [] });
`,
  );
  // Stopped by the release's own log line: the first quiet look comes half a second after start-up.
  const r = await run(['start', '--config', join(dir, 'heap.config.ts')], { cwd: dir, until: /heap released/ });
  t.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.includes('heap released'));
  const logged = JSON.parse(line!) as { rssBeforeMb: number; rssAfterMb: number; ms: number };
  t.ok(logged.rssAfterMb > 0 && logged.rssAfterMb <= logged.rssBeforeMb + 1, `RSS ${logged.rssBeforeMb} → ${logged.rssAfterMb} MB in ${logged.ms} ms`);
  t.match(r.stdout, /agent stopped/);
});

t.test('a bad config: one error naming plugin and key, exit code 2, nothing started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cfg-'));
  writeFileSync(
    join(dir, 'bad.config.ts'),
    `import * as v from 'valibot';
import { defineConfig, definePlugin } from 'smsedge';
const api = definePlugin({ name: 'api', options: v.object({ port: v.number() }), setup: (ctx) => ({ start: () => ctx.log.info('api started') }) });
export default defineConfig({ dataDir: ${JSON.stringify(join(dir, 'data'))}, plugins: [api({ port: 'eighty' })] });
`,
  );
  // valibot must resolve from the config's folder: give it the project's node_modules.
  const { symlinkSync } = await import('node:fs');
  symlinkSync(new URL('../../node_modules', import.meta.url).pathname, join(dir, 'node_modules'));
  const r = await run(['start', '--config', join(dir, 'bad.config.ts')], { cwd: dir });
  t.equal(r.code, 2);
  t.match(r.stderr, /config error: plugins\[0\] \(api\)\.port: /);
  t.notMatch(r.stdout, /api started/);
  const missing = await run(['start', '--config', join(dir, 'nope.ts')], { cwd: dir });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /file not found/);
});

t.test('a required plugin failing at start exits 1 with a clear message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cfg-'));
  writeFileSync(
    join(dir, 'fail.config.ts'),
    `import { defineConfig, definePlugin } from 'smsedge';
const modem = definePlugin({ name: 'modem', setup: () => ({ start() { throw new Error('no such device /dev/ttyUSB9'); } }) });
export default defineConfig({ dataDir: ${JSON.stringify(join(dir, 'data'))}, plugins: [modem({ port: 'simulator' })] });
`,
  );
  const r = await run(['start', '--config', join(dir, 'fail.config.ts')], { cwd: dir });
  t.equal(r.code, 1);
  t.match(r.stderr, /plugin "modem" failed to start: no such device/);
});

t.test('a start that fails after the modem began opening its port exits at once, not after the modem timeout (issue 32 item 12)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cfg-'));
  writeFileSync(
    join(dir, 'lan.config.ts'),
    `import { defineConfig } from 'smsedge';
import { api } from 'smsedge/plugins/api';
import { modem } from 'smsedge/plugins/modem';
export default defineConfig({ dataDir: ${JSON.stringify(join(dir, 'data'))}, plugins: [modem({ port: 'simulator' }), api({ host: '0.0.0.0', port: 0, apiKeyEnv: 'SMSEDGE_TEST_NO_SUCH_KEY' })] });
`,
  );
  const r = await run(['start', '--config', join(dir, 'lan.config.ts')], { cwd: dir });
  t.equal(r.code, 1);
  t.match(r.stderr, /plugin "api" failed to start: refusing to listen on 0\.0\.0\.0 without an API key/);
  // From the failure to the agent stopped: the modem's start is cut short (it waited its 10 s stop timeout before).
  const at = (msg: string) => Date.parse((JSON.parse(r.stdout.split('\n').find((l) => l.includes(msg))!) as { time: string }).time);
  const ms = at('"agent stopped"') - at('required plugin failed to start');
  t.ok(ms < 2000, `stopped ${ms} ms after the failure`);
  t.notMatch(r.stdout, /did not finish/);
});
