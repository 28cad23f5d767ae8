// `smsedge start` runs unattended for months, so two settings that Node only reads when the process
// starts are worth starting it a second time for, with execve (the same pid: systemd, a supervisor or
// a test that signals the pid sees one process, and nothing of the first start stays in memory):
// - the compile cache (NODE_COMPILE_CACHE): with every .ts file's stripped source and V8 code cached,
//   Node never loads its TypeScript stripper (amaro, a WebAssembly build of swc: ~17 MB resident for
//   the life of the process, measured) and starts faster;
// - glibc malloc settings that let a burst's memory go back to the system (agentMallocEnv);
// - the V8 flags an operator gives in SMSEDGE_V8_FLAGS (agentV8Flags: none by default).
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants, enableCompileCache, flushCompileCache, getCompileCacheDir } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { version } from './version.ts';

/**
 * V8 flags `smsedge start` runs with, unless the node command line (or NODE_OPTIONS, for the flags
 * it accepts) sets the same flag either way, e.g. `node --no-memory-saver-mode core/cli.ts start`.
 * SMSEDGE_V8_FLAGS replaces the list (empty: none).
 */
export const agentV8Flags: readonly string[] = [
  // None by default. A small young generation (--max-semi-space-size=2 --heap-growing-percent=20, the
  // earlier defaults) kept a burst's peak low but promoted what was in flight at each scavenge (~300
  // scavenges and 17 full collections per 5,000-event drain instead of 15 scavenges): 20-26 % of the
  // drain's throughput. What a burst grows is now given back once the agent is quiet (core/heap.ts).
  // --no-concurrent-recompilation (also an earlier default) kept the optimizing compiler's zone memory
  // out of worker-thread malloc arenas; agentMallocEnv's mmap threshold and trimming do that too,
  // without taking the compiler onto the main thread (-9 % drain throughput in the same bench run).
];

/**
 * glibc malloc settings the agent runs with, unless the environment sets them already (glibc reads
 * them only when the process starts). A burst (a webhook backlog draining) makes V8's optimizing
 * compiler allocate tens of MB of short-lived zone memory (segments of 8 to 32 KB) on its worker
 * threads; glibc keeps what those threads freed in per-thread arenas, so it stayed resident for good.
 * Two arenas are shared by all threads; blocks of 24 KB and more are mapped on their own and unmapped
 * when freed; and an arena gives back the free memory at its top once 32 KB of it is there (no pad
 * kept). RSS above idle after a 5,000-event backlog and the heap release (`npm run bench -- --only
 * memory`, 2026-12-06): glibc's defaults ~25-32 MB; a 16 KB mmap threshold 19-20 MB, 24 KB 18-22 MB;
 * 24 KB with this trimming 15 MB; the earlier 8 KB threshold 13-18 MB. That 8 KB threshold cost the
 * drain 6-8 % (alternating drains, medians of 4-5, against the bare loop beside them: 0.73-0.74 at
 * 8 KB, 0.77 at 24 KB, 0.75-0.79 at 24 KB with this trimming): every 8-24 KB block, the compiler's
 * zone segments among them, was an mmap and an munmap, and the compiler finishing later keeps the
 * drain's first thousand events slow. Ignored by other C libraries (musl).
 */
export const agentMallocEnv: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '24576',
  MALLOC_TRIM_THRESHOLD_: '32768',
  MALLOC_TOP_PAD_: '0',
};

/** The environment keys the relaunch added (the malloc settings), comma-separated, so the agent can take them out again. */
const ADDED = 'SMSEDGE_RELAUNCH_ENV';

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
  // A program the agent runs never gets them (taken out again below).
  const malloc = Object.entries(agentMallocEnv).filter(([key]) => env[key] === undefined);
  if (!flags.length && !cacheDir && !malloc.length) return undefined;
  return {
    execArgv: [...execArgv, ...flags],
    env: {
      ...env,
      [MARK]: cacheDir ? 'cache' : 'flags',
      ...(cacheDir ? { NODE_COMPILE_CACHE: cacheDir } : {}),
      ...Object.fromEntries(malloc),
      ...(malloc.length ? { [ADDED]: malloc.map(([key]) => key).join(',') } : {}),
    },
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

/** The config file `start` will load: its --config / -c, else agent.config.ts, from the cwd. */
export function configFileOf(startArgs: readonly string[]): string {
  try {
    const { values } = parseArgs({ args: [...startArgs], options: { config: { type: 'string', short: 'c' } }, strict: false });
    return resolve(typeof values.config === 'string' ? values.config : 'agent.config.ts');
  } catch {
    return resolve('agent.config.ts');
  }
}

const WARMED = 'smsedge-warmed.json';
const WARMED_MAX = 64;

/** What `start` loads, so the relaunch can fill the compile cache with it first (see relaunch()). */
export interface Warm {
  /** The config file (configFileOf()). */
  file: string;
  /** Imports the config at `url` and whatever else start loads before the agent runs. */
  load(url: string): Promise<unknown>;
}

/**
 * When the cache was last filled for this config, Node, smsedge and V8 flags (Node keeps one cache
 * per set of flags), by content; undefined when the file cannot be read.
 */
function warmKey(file: string, execArgv: readonly string[]): string | undefined {
  try {
    return createHash('sha256').update(`${process.version}\0${version}\0${execArgv.join(' ')}\0`).update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

function readWarmed(cacheDir: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(cacheDir, WARMED), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Whether the config (or Node, smsedge, the flags) changed since the cache was last filled for it. */
export function needsWarm(cacheDir: string, file: string, execArgv: readonly string[]): boolean {
  const key = warmKey(file, execArgv);
  return key !== undefined && readWarmed(cacheDir)[file] !== key;
}

/** Loads what start loads (filling the cache), writes the cache now and records it; false when it failed to load. */
export async function fillCompileCache(cacheDir: string, warm: Warm): Promise<boolean> {
  try {
    await warm.load(pathToFileURL(warm.file).href);
  } catch {
    // Left to the agent's own start to report, with the config error it deserves.
    return false;
  }
  flushCompileCache();
  const key = warmKey(warm.file, process.execArgv);
  if (key === undefined) return false;
  const warmed = readWarmed(cacheDir);
  delete warmed[warm.file];
  const record = join(cacheDir, WARMED);
  try {
    writeFileSync(`${record}.tmp`, JSON.stringify(Object.fromEntries([...Object.entries(warmed), [warm.file, key]].slice(-WARMED_MAX))));
    renameSync(`${record}.tmp`, record);
  } catch {
    // Only a cache: the next start fills it again.
  }
  return true;
}

/**
 * For the long-running `start` command: replaces this process with the same command under
 * relaunchPlan() (never returns then). Returns when no relaunch is needed or possible (no execve on
 * Windows; the compile cache is then still on for the modules loaded from here on). In the
 * relaunched process it removes what it added to the environment, so programs the agent runs do
 * not inherit it.
 *
 * With `warm`, a config that is new or changed since the last start gets one more image in between:
 * it loads the config under the agent's flags (Node keeps a compile cache per set of V8 flags, so
 * this process could not fill the right one), writes the cache and replaces itself with the agent.
 * The agent then finds every .ts file stripped already and never loads Node's TypeScript stripper
 * (~15 MB resident for the life of the process, measured), even on its first start. That costs one
 * more evaluation of the config (~130 ms), only when it changed.
 */
export async function relaunch(warm?: Warm): Promise<void> {
  const mark = process.env[MARK];
  if (mark === 'warm' && warm) {
    // NODE_COMPILE_CACHE is the directory the first image chose (relaunchPlan); Node has it on already.
    const dir = process.env.NODE_COMPILE_CACHE;
    if (dir && getCompileCacheDir()) await fillCompileCache(dir, warm);
    try {
      process.execve!(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, [MARK]: 'cache' });
    } catch {
      // Run the agent in this image then: the cache is on and filled.
    }
  }
  if (mark !== undefined) {
    // Programs the agent runs must not inherit what the relaunch set for the agent itself.
    delete process.env[MARK];
    if (mark !== 'flags') delete process.env.NODE_COMPILE_CACHE;
    for (const key of process.env[ADDED]?.split(',') ?? []) delete process.env[key];
    delete process.env[ADDED];
    return;
  }
  const cacheDir = enableCache(process.env);
  if (typeof process.execve !== 'function') return;
  const plan = relaunchPlan({ execArgv: process.execArgv, env: process.env, cacheDir });
  if (!plan) return;
  if (cacheDir && warm && needsWarm(cacheDir, warm.file, plan.execArgv)) plan.env[MARK] = 'warm';
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
