import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { agentV8Flags, compileCacheDir, relaunchPlan } from '../../core/relaunch.ts';

const cli = new URL('../../core/cli.ts', import.meta.url).pathname;

t.test('relaunchPlan adds the agent flags and the compile cache, once', async (t) => {
  const plan = relaunchPlan({ execArgv: ['--expose-gc'], env: { PATH: '/bin' }, cacheDir: '/var/cache/smsedge' });
  t.same(plan?.execArgv, ['--expose-gc', ...agentV8Flags]);
  t.equal(plan?.env.NODE_COMPILE_CACHE, '/var/cache/smsedge');
  t.equal(plan?.env.PATH, '/bin');
  t.ok(plan?.env.SMSEDGE_RELAUNCHED, 'marked');
  t.equal(relaunchPlan({ execArgv: plan!.execArgv, env: plan!.env, cacheDir: '/elsewhere' }), undefined, 'the relaunched process does not relaunch');
});

t.test('relaunchPlan leaves a flag the operator set, either way and in either spelling', async (t) => {
  t.ok(agentV8Flags.includes('--max-semi-space-size=2'));
  const env = { SMSEDGE_V8_FLAGS: '--memory-saver-mode' };
  for (const execArgv of [['--no-memory-saver-mode'], ['--memory_saver_mode'], ['--memory-saver-mode']]) {
    const plan = relaunchPlan({ execArgv, env, cacheDir: '/c' });
    t.same(plan?.execArgv, execArgv, execArgv[0]);
  }
  const semi = relaunchPlan({ execArgv: ['--max_semi_space_size=8'], env: {}, cacheDir: '/c' });
  t.same(semi?.execArgv, ['--max_semi_space_size=8', '--heap-growing-percent=20'], 'only the flag the operator did not set is added');
  t.same(relaunchPlan({ execArgv: [], env: { NODE_OPTIONS: '--max-semi-space-size=4', SMSEDGE_V8_FLAGS: '--max-semi-space-size=16' }, cacheDir: undefined }), undefined, 'NODE_OPTIONS counts');
  t.same(relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '--max-semi-space-size=16  --optimize-for-size' }, cacheDir: undefined })?.execArgv, ['--max-semi-space-size=16', '--optimize-for-size'], 'SMSEDGE_V8_FLAGS replaces the list');
  t.equal(relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '' }, cacheDir: undefined }), undefined, 'nothing to add: no relaunch');
  t.same(relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '' }, cacheDir: '/c' })?.execArgv, [], 'the cache alone is worth it');
  t.equal(relaunchPlan({ execArgv: ['--inspect=9229'], env: {}, cacheDir: '/c' }), undefined, 'never under a debugger');
});

t.test('the compile cache goes to systemd’s cache directory, else the user’s', async (t) => {
  t.equal(compileCacheDir({ CACHE_DIRECTORY: '/var/cache/smsedge:/var/cache/other', HOME: '/home/pi' }), '/var/cache/smsedge/node-compile-cache');
  t.equal(compileCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/home/pi' }), '/x/smsedge/node-compile-cache');
});

/** `smsedge start` on a config whose plugin prints what the running process looks like, then stops it. */
function start(dir: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; pid: number; report: Record<string, unknown>; stderr: string }>((resolve, reject) => {
    // The test runner's own environment must not decide the outcome.
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const key of ['SMSEDGE_RELAUNCHED', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'CACHE_DIRECTORY']) delete childEnv[key];
    const child = spawn(process.execPath, [cli, 'start', '--config', join(dir, 'agent.config.ts')], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let report: Record<string, unknown> | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /^REPORT (.+)$/m.exec(out);
      if (m && !report) {
        report = JSON.parse(m[1]!) as Record<string, unknown>;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, pid: child.pid!, report: report ?? {}, stderr }));
  });
}

t.test('smsedge start relaunches itself in place: same pid, flags on, cache filled, and a warm start never loads the TypeScript stripper', async (t) => {
  const dir = t.testdir();
  writeFileSync(
    join(dir, 'agent.config.ts'),
    `import { defineConfig, definePlugin } from 'smsedge';
const probe = definePlugin({ name: 'probe', setup: () => ({ start() {
  const report: Record<string, unknown> = {
    pid: process.pid,
    execArgv: process.execArgv,
    marked: 'SMSEDGE_RELAUNCHED' in process.env,
    cacheEnv: 'NODE_COMPILE_CACHE' in process.env,
    amaro: process.moduleLoadList.some((m) => m.includes('amaro')),
  };
  process.stdout.write('REPORT ' + JSON.stringify(report) + '\\n');
} }) });
export default defineConfig({ dataDir: ${JSON.stringify(join(dir, 'data'))}, log: { level: 'silent' }, plugins: [probe()] });
`,
  );
  const env = { XDG_CACHE_HOME: join(dir, 'cache'), SMSEDGE_V8_FLAGS: '--memory-saver-mode' };
  const cold = await start(dir, env);
  t.equal(cold.code, 0, cold.stderr);
  t.equal(cold.report.pid, cold.pid, 'the same process');
  t.ok((cold.report.execArgv as string[]).includes('--memory-saver-mode'));
  t.equal(cold.report.marked, false, 'the marker is gone from the environment');
  t.equal(cold.report.cacheEnv, false, 'programs the agent runs do not inherit the cache setting');
  t.ok(readdirSync(join(dir, 'cache', 'smsedge', 'node-compile-cache')).length > 0, 'the cache was written');

  const warm = await start(dir, env);
  t.equal(warm.code, 0, warm.stderr);
  t.equal(warm.report.amaro, false, 'every .ts file came from the cache');
  t.equal(cold.report.amaro, true, 'while the first start did strip TypeScript');
});
