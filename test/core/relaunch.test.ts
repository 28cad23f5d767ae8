import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { agentMallocEnv, agentV8Flags, compileCacheDir, relaunchPlan } from '../../core/relaunch.ts';

const cli = new URL('../../core/cli.ts', import.meta.url).pathname;

t.test('relaunchPlan adds the agent flags and the compile cache, once', async (t) => {
  const plan = relaunchPlan({ execArgv: ['--expose-gc'], env: { PATH: '/bin' }, cacheDir: '/var/cache/smsedge' });
  t.same(plan?.execArgv, ['--expose-gc', ...agentV8Flags]);
  t.equal(plan?.env.NODE_COMPILE_CACHE, '/var/cache/smsedge');
  t.equal(plan?.env.PATH, '/bin');
  t.ok(plan?.env.SMSEDGE_RELAUNCHED, 'marked');
  t.equal(plan?.env.MALLOC_ARENA_MAX, '2', 'malloc settings added');
  t.equal(plan?.env.SMSEDGE_RELAUNCH_ENV, Object.keys(agentMallocEnv).join(','), 'and which ones, to take them out again');
  t.equal(relaunchPlan({ execArgv: plan!.execArgv, env: plan!.env, cacheDir: '/elsewhere' }), undefined, 'the relaunched process does not relaunch');
});

t.test('relaunchPlan leaves a flag the operator set, either way and in either spelling', async (t) => {
  const env = { SMSEDGE_V8_FLAGS: '--memory-saver-mode' };
  for (const execArgv of [['--no-memory-saver-mode'], ['--memory_saver_mode'], ['--memory-saver-mode']]) {
    const plan = relaunchPlan({ execArgv, env, cacheDir: '/c' });
    t.same(plan?.execArgv, execArgv, execArgv[0]);
  }
  const own = relaunchPlan({ execArgv: ['--concurrent_recompilation'], env: { SMSEDGE_V8_FLAGS: '--no-concurrent-recompilation --max-semi-space-size=8' }, cacheDir: '/c' });
  t.same(own?.execArgv, ['--concurrent_recompilation', '--max-semi-space-size=8'], 'only the flags the operator did not set are added');
  t.same(agentV8Flags, [], 'no V8 flags by default: the heap is released when quiet instead (core/heap.ts)');
  const malloc = { ...agentMallocEnv };
  t.same(relaunchPlan({ execArgv: [], env: { ...malloc, NODE_OPTIONS: '--max-semi-space-size=4', SMSEDGE_V8_FLAGS: '--max-semi-space-size=16' }, cacheDir: undefined }), undefined, 'NODE_OPTIONS counts');
  t.same(relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '--max-semi-space-size=16  --optimize-for-size' }, cacheDir: undefined })?.execArgv, ['--max-semi-space-size=16', '--optimize-for-size'], 'SMSEDGE_V8_FLAGS replaces the list');
  t.equal(relaunchPlan({ execArgv: [], env: { ...malloc, SMSEDGE_V8_FLAGS: '' }, cacheDir: undefined }), undefined, 'nothing to add: no relaunch');
  t.same(relaunchPlan({ execArgv: [], env: { ...malloc, SMSEDGE_V8_FLAGS: '' }, cacheDir: '/c' })?.execArgv, [], 'the cache alone is worth it');
  const arena = relaunchPlan({ execArgv: [], env: { MALLOC_ARENA_MAX: '8', SMSEDGE_V8_FLAGS: '' }, cacheDir: undefined });
  t.equal(arena?.env.MALLOC_ARENA_MAX, '8', 'a malloc setting the operator made is kept');
  t.equal(arena?.env.SMSEDGE_RELAUNCH_ENV, Object.keys(agentMallocEnv).filter((k) => k !== 'MALLOC_ARENA_MAX').join(','), 'and not taken out later');
  t.equal(arena?.env.MALLOC_MMAP_THRESHOLD_, agentMallocEnv.MALLOC_MMAP_THRESHOLD_, 'the others are added');
  t.same(relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '' }, cacheDir: undefined })?.execArgv, [], 'the malloc settings alone are worth it');
  t.equal(relaunchPlan({ execArgv: ['--inspect=9229'], env: {}, cacheDir: '/c' }), undefined, 'never under a debugger');
});

t.test('relaunchPlan: an operator\'s own malloc settings are kept and left in the environment', async (t) => {
  const own = relaunchPlan({ execArgv: [], env: { SMSEDGE_V8_FLAGS: '', MALLOC_ARENA_MAX: '1' }, cacheDir: undefined });
  t.equal(own?.env.MALLOC_ARENA_MAX, '1');
  t.notOk(own?.env.SMSEDGE_RELAUNCH_ENV?.split(',').includes('MALLOC_ARENA_MAX'), 'not taken out again');
  t.same(own?.env.SMSEDGE_RELAUNCH_ENV?.split(','), Object.keys(agentMallocEnv).filter((k) => k !== 'MALLOC_ARENA_MAX'));
  t.equal(relaunchPlan({ execArgv: [], env: { ...agentMallocEnv, SMSEDGE_V8_FLAGS: '' }, cacheDir: undefined }), undefined, 'nothing left to set: no relaunch');
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
    for (const key of ['SMSEDGE_RELAUNCHED', 'SMSEDGE_RELAUNCH_ENV', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'CACHE_DIRECTORY', ...Object.keys(agentMallocEnv)]) delete childEnv[key];
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
    `import { readFileSync } from 'node:fs';
import { defineConfig, definePlugin } from 'smsedge';
const probe = definePlugin({ name: 'probe', setup: () => ({ start() {
  const report: Record<string, unknown> = {
    pid: process.pid,
    execArgv: process.execArgv,
    marked: 'SMSEDGE_RELAUNCHED' in process.env,
    cacheEnv: 'NODE_COMPILE_CACHE' in process.env,
    amaro: process.moduleLoadList.some((m) => m.includes('amaro')),
    mallocInEnv: Object.keys(process.env).filter((k) => k.startsWith('MALLOC_') || k === 'SMSEDGE_RELAUNCH_ENV'),
    mallocAtStart: readFileSync('/proc/self/environ', 'utf8').split('\\0').filter((v: string) => v.startsWith('MALLOC_')),
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
  t.same(cold.report.mallocAtStart, Object.entries(agentMallocEnv).map(([k, v]) => `${k}=${v}`), 'the agent started with the malloc settings');
  t.same(cold.report.mallocInEnv, [], 'which programs it runs do not inherit');
  t.ok(readdirSync(join(dir, 'cache', 'smsedge', 'node-compile-cache')).length > 0, 'the cache was written');

  t.equal(cold.report.amaro, false, 'the first start of a new config already found every .ts file stripped');
  const warmed = () => JSON.parse(readFileSync(join(dir, 'cache', 'smsedge', 'node-compile-cache', 'smsedge-warmed.json'), 'utf8')) as Record<string, string>;
  const first = warmed()[join(dir, 'agent.config.ts')];
  t.match(first, /^[0-9a-f]{64}$/, 'the filled cache is recorded for this config');

  const warm = await start(dir, env);
  t.equal(warm.code, 0, warm.stderr);
  t.equal(warm.report.amaro, false, 'every .ts file came from the cache');
  t.equal(warmed()[join(dir, 'agent.config.ts')], first, 'unchanged config: not loaded twice');

  // An edited config is loaded once more before the agent runs, under the agent's flags.
  writeFileSync(join(dir, 'agent.config.ts'), `${readFileSync(join(dir, 'agent.config.ts'), 'utf8')}\nconst edited: number = 1;\nvoid edited;\n`);
  const edited = await start(dir, env);
  t.equal(edited.code, 0, edited.stderr);
  t.equal(edited.report.amaro, false, 'the edited config came from the cache too');
  t.equal(edited.report.pid, edited.pid, 'still the same process');
  t.not(warmed()[join(dir, 'agent.config.ts')], first, 'recorded anew');
});

t.test('a config that does not load is reported by the agent, not by the cache filling', async (t) => {
  const dir = t.testdir({ 'agent.config.ts': `export default { plugins: [nope()] };\n` });
  const r = await start(dir, { XDG_CACHE_HOME: join(dir, 'cache') });
  t.equal(r.code, 2);
  t.match(r.stderr, /config error: .*could not load/);
  t.notOk(existsSync(join(dir, 'cache', 'smsedge', 'node-compile-cache', 'smsedge-warmed.json')), 'nothing recorded');
});
