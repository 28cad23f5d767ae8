// `smsedge start` runs unattended for months, so two settings that Node only reads when the process
// starts are worth starting it a second time for, with execve (the same pid: systemd, a supervisor or
// a test that signals the pid sees one process, and nothing of the first start stays in memory):
// - the compile cache (NODE_COMPILE_CACHE): with every .ts file's stripped source and V8 code cached,
//   Node never loads its TypeScript stripper (amaro, a WebAssembly build of swc: ~17 MB resident for
//   the life of the process, measured) and starts faster;
// - V8 flags that keep the heap near what the agent really holds (agentV8Flags).
import { constants, enableCompileCache, getCompileCacheDir } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * V8 flags `smsedge start` runs with, unless the node command line (or NODE_OPTIONS, for the flags
 * it accepts) sets the same flag either way, e.g. `node --no-memory-saver-mode core/cli.ts start`.
 * SMSEDGE_V8_FLAGS replaces the list (empty: none). Why each one: see the comments.
 */
export const agentV8Flags: readonly string[] = [
  // Node 24's V8 keeps every heap page it ever used in a pool (released only on memory pressure), so
  // the heap's peak during a burst becomes the process's RSS for good: without flags, draining a
  // 5,000-event webhook backlog left the agent ~160 MB larger (the young generation alone grew to
  // 128 MB on a 24 GB machine, sized from physical memory). A small young generation and slower old
  // space growth keep the peak near what is live. Measured with `npm run bench -- --only
  // pipeline,memory` (one session, load < 1): these two flags: drain ratio 0.63, growth 36 MB;
  // --memory-saver-mode (the earlier default): 0.51, 32 MB; --max-semi-space-size=2 alone: 0.70,
  // 115 MB. Throughput matters less than memory on a Pi, but this pair gives most of both.
  '--max-semi-space-size=2',
  '--heap-growing-percent=20',
];

/** Set in the relaunched process's environment: it must not relaunch again. Its value says what we set. */
const MARK = 'SMSEDGE_RELAUNCHED';

export interface RelaunchPlan {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

// `--no-foo_bar=1` and `--foo-bar` name the same V8 flag.
const flagName = (arg: string) => arg.replace(/^--(no-)?/, '').replace(/=.*$/, '').replace(/_/g, '-');

/**
 * What to start the process again with, or undefined when it already runs as it should. Pure:
 * `cacheDir` is where the compile cache can go (undefined when it is already on or cannot be used).
 */
export function relaunchPlan(input: { execArgv: readonly string[]; env: NodeJS.ProcessEnv; cacheDir: string | undefined }): RelaunchPlan | undefined {
  const { execArgv, env, cacheDir } = input;
  if (env[MARK] !== undefined) return undefined;
  // A debugger attached to this process would lose it.
  if (execArgv.some((a) => /^--inspect/.test(a))) return undefined;
  const given = new Set([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  const wanted = env.SMSEDGE_V8_FLAGS === undefined ? agentV8Flags : env.SMSEDGE_V8_FLAGS.split(/\s+/).filter(Boolean);
  const flags = wanted.filter((f) => !given.has(flagName(f)));
  if (!flags.length && !cacheDir) return undefined;
  return {
    execArgv: [...execArgv, ...flags],
    env: { ...env, [MARK]: cacheDir ? 'cache' : 'flags', ...(cacheDir ? { NODE_COMPILE_CACHE: cacheDir } : {}) },
  };
}

/**
 * Where the compile cache lives: systemd's CacheDirectory= when the unit sets one, else the user's
 * cache directory. Persistent on purpose: on a tmpfs /tmp it would cost RAM and be cold after every boot.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd) return join(systemd, 'node-compile-cache');
  let base = env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = join(homedir(), '.cache');
    } catch {
      base = tmpdir();
    }
  }
  return join(base, 'smsedge', 'node-compile-cache');
}

/** Turns the compile cache on in this process; the directory when it was not on before and now is. */
function enableCache(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE || getCompileCacheDir()) return undefined;
  const dir = compileCacheDir(env);
  // Also proves the directory is usable (created, writable) before a relaunch relies on it.
  return enableCompileCache(dir).status === constants.compileCacheStatus.ENABLED ? dir : undefined;
}

/**
 * For the long-running `start` command: replaces this process with the same command under
 * relaunchPlan() (never returns then). Returns when no relaunch is needed or possible (no execve on
 * Windows; the compile cache is then still on for the modules loaded from here on). In the
 * relaunched process it removes what it added to the environment, so programs the agent runs do
 * not inherit it.
 */
export function relaunch(): void {
  const mark = process.env[MARK];
  if (mark !== undefined) {
    delete process.env[MARK];
    if (mark === 'cache') delete process.env.NODE_COMPILE_CACHE;
    return;
  }
  const cacheDir = enableCache(process.env);
  if (typeof process.execve !== 'function') return;
  const plan = relaunchPlan({ execArgv: process.execArgv, env: process.env, cacheDir });
  if (!plan) return;
  try {
    process.execve(process.execPath, [process.execPath, ...plan.execArgv, ...process.argv.slice(1)], plan.env);
  } catch (error) {
    // Still a working agent, only a larger one.
    process.stderr.write(`smsedge: could not restart with ${plan.execArgv.join(' ')}: ${(error as Error).message}\n`);
  }
}

/** Outside `start`: only the compile cache, in this process (faster loading of what comes next). */
export function enableCompileCacheHere(): void {
  enableCache(process.env);
}
