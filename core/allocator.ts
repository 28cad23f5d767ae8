// The memory allocator `smsedge start` runs on: jemalloc when the system has it (Debian and Raspberry
// Pi OS: `apt install libjemalloc2`), else mimalloc (`libmimalloc2.0`), preloaded by the relaunch
// (core/relaunch.ts); else the C library's own malloc with agentMallocEnv's settings.
//
// Why: glibc cannot serve a burst both fast and lean. While a webhook backlog drains, V8's optimizing
// compiler allocates and frees ~100 MB of 32 KB zone segments on its worker threads (strace -k of a
// 5,000-event drain: ~3,900 such blocks). Mapped one by one (our 24 KB mmap threshold) each costs an
// mmap, page faults and an munmap; kept in glibc's arenas (its defaults, or a 128 KB threshold) they
// fragment them and 25-30 MB stays resident after the burst. jemalloc and mimalloc reuse them and give
// the pages back soon after. Alternating 5,000-event drains of `npm run bench:ab`, paired over glibc
// with our settings: jemalloc +5 to +10 % events/s, 4-8 % less main-thread CPU per event; mimalloc
// with mimallocEnv +4.7 %. RSS idle / above idle 2 s after the backlog / 12 s after it: glibc 82 /
// 13-15 / 93 MB; jemalloc with jemallocConf 83-84 / 12-13 / 89; mimalloc with mimallocEnv 85-86 /
// 11-12 / 93. mimalloc comes second because it needs no build for the kernel's page size: Debian's
// jemalloc may be built for 4 KB pages and then refuses a Raspberry Pi 5's 16 KB-page kernel.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * jemalloc's settings (its MALLOC_CONF), unless the environment sets them: two arenas for all threads
 * (by default four per CPU, each keeping free pages of its own), no per-thread caches (Node runs ~10
 * threads), and freed pages returned to the system after a second instead of ten, at once rather
 * than in two steps (muzzy decay off). Measured on the agent (modem, api, webhook): jemalloc's
 * defaults idle 91.5 MB and 46 MB above that 2 s after a 5,000-event backlog; these settings 82.7-83.8
 * and 12-13 MB; with per-thread caches 86.5-86.8 MB idle at the same drain rate (these paired -0.2 %
 * against them); one arena without caches 2 % slower.
 */
export const jemallocConf = 'narenas:2,tcache:false,dirty_decay_ms:1000,muzzy_decay_ms:0';

/**
 * mimalloc's settings, unless the environment sets them: freed memory returned to the system at once
 * rather than after 100 ms or more (2.0's names, and 2.1's for the same thing). Its defaults: idle
 * 89-89.3 MB and 99.6-99.9 MB 12 s after the backlog; these 84.9-85.6 and 93.3-93.5, at the same speed
 * (paired -1.8 % against jemalloc, within the noise).
 */
export const mimallocEnv: Readonly<Record<string, string>> = {
  MIMALLOC_RESET_DELAY: '0',
  MIMALLOC_SEGMENT_DECOMMIT_DELAY: '0',
  MIMALLOC_DECOMMIT_EXTEND_DELAY: '0',
  MIMALLOC_PURGE_DELAY: '0',
};

export type AllocatorName = 'jemalloc' | 'mimalloc';

/** What the relaunch preloads: the library and the settings it reads from the environment. */
export interface Allocator {
  name: AllocatorName;
  library: string;
  env: Readonly<Record<string, string>>;
}

/** The settings `name` runs with. */
export const allocatorEnv = (name: AllocatorName): Readonly<Record<string, string>> =>
  name === 'jemalloc' ? { MALLOC_CONF: jemallocConf } : mimallocEnv;

const triplets: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
};

/** Each allocator's shared library and the Debian package that installs it. */
const packages: Record<AllocatorName, { file: string; apt: string }> = {
  jemalloc: { file: 'libjemalloc.so.2', apt: 'libjemalloc2' },
  mimalloc: { file: 'libmimalloc.so.2', apt: 'libmimalloc2.0' },
};

/** Where distributions install an allocator's shared library, most specific first. */
export function allocatorPaths(name: AllocatorName, arch: NodeJS.Architecture = process.arch): string[] {
  const triplet = triplets[arch];
  const { file } = packages[name];
  return [...(triplet ? [`/usr/lib/${triplet}/${file}`] : []), `/usr/lib64/${file}`, `/usr/lib/${file}`, `/usr/local/lib/${file}`];
}

/**
 * What goes wrong when Node starts with `library` preloaded, or undefined when nothing does:
 * `node --version` under it (~5 ms) must exit 0, print this Node's version and nothing on stderr.
 * A file that is not a loadable library makes ld.so complain on stderr (and go on without it); a
 * jemalloc built for smaller memory pages than the kernel's (Debian's 4 KB build under a Raspberry
 * Pi 5's 16 KB-page kernel, say) says "Unsupported system page size" and fails its first allocation.
 * Either way the agent then tries the next allocator, or keeps the C library's malloc.
 */
export function probeAllocator(library: string, env: Readonly<Record<string, string>> = {}): string | undefined {
  const r = spawnSync(process.execPath, ['--version'], {
    env: { PATH: process.env.PATH ?? '', ...env, LD_PRELOAD: library },
    encoding: 'utf8',
    timeout: 5000,
  });
  const said = r.stderr?.trim().split('\n')[0]?.slice(0, 500);
  if (said) return said;
  if (r.error) return r.error.message;
  if (r.status !== 0) return r.signal ? `node --version was killed by ${r.signal}` : `node --version exited with ${r.status}`;
  if (r.stdout.trim() !== process.version) return 'node --version printed something else than its version';
  return undefined;
}

export interface AllocatorDeps {
  platform?: NodeJS.Platform;
  arch?: NodeJS.Architecture;
  exists?: (path: string) => boolean;
  /** What goes wrong with the library under those settings, undefined when nothing does (probeAllocator). */
  probe?: (library: string, env: Readonly<Record<string, string>>) => string | undefined;
  /** Told why an allocator asked for, or installed, is not used. Default: a line on stderr. */
  warn?: (message: string) => void;
}

/**
 * The allocator the agent should preload, or undefined for the C library's malloc.
 * `SMSEDGE_ALLOCATOR`: unset means jemalloc, else mimalloc, from the usual places; `jemalloc` or
 * `mimalloc` only that one; a path names the library (mimalloc's settings when its name says
 * mimalloc, jemalloc's otherwise); `system` keeps the C library's. An operator's own LD_PRELOAD is
 * left alone (nothing is added), and so are settings they made (the relaunch adds only missing ones).
 * Silent when nothing is installed and nothing was asked for; otherwise says why none is used.
 */
export function findAllocator(env: NodeJS.ProcessEnv, deps: AllocatorDeps = {}): Allocator | undefined {
  const asked = env.SMSEDGE_ALLOCATOR?.trim();
  if (asked === 'system' || env.LD_PRELOAD) return undefined;
  const warn = deps.warn ?? ((message: string) => process.stderr.write(`smsedge: ${message}\n`));
  const fallback = "running on the C library's malloc";
  if ((deps.platform ?? process.platform) !== 'linux') {
    if (asked) warn(`SMSEDGE_ALLOCATOR=${asked}: preloading an allocator works on Linux only; ${fallback}`);
    return undefined;
  }
  const exists = deps.exists ?? existsSync;
  const probe = deps.probe ?? probeAllocator;
  const named: AllocatorName | undefined = asked === 'jemalloc' || asked === 'mimalloc' ? asked : undefined;
  // A path names one library; a name, that allocator; nothing, jemalloc then mimalloc.
  const names: readonly AllocatorName[] = named ? [named] : ['jemalloc', 'mimalloc'];
  const installed = (name: AllocatorName) => allocatorPaths(name, deps.arch ?? process.arch).find((path) => exists(path));
  const candidates: { name: AllocatorName; library: string }[] = asked && !named
    ? [{ name: /mimalloc/.test(asked) ? 'mimalloc' as const : 'jemalloc' as const, library: asked }].filter((c) => exists(c.library))
    : names.flatMap((name) => {
        const library = installed(name);
        return library ? [{ name, library }] : [];
      });
  const problems: string[] = [];
  for (const { name, library } of candidates) {
    const defaults = allocatorEnv(name);
    // Tried with what it will run with: the operator's own settings where they made them, ours otherwise.
    const problem = probe(library, Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, env[key] ?? value])));
    if (problem === undefined) return { name, library, env: Object.fromEntries(Object.entries(defaults).filter(([key]) => env[key] === undefined)) };
    problems.push(`${library} does not work here (${problem})`);
  }
  if (problems.length) warn(`${problems.join('; ')}; ${fallback}`);
  else if (asked) {
    const missing = named ? `no ${packages[named].file} installed (apt install ${packages[named].apt})` : 'no such file';
    warn(`SMSEDGE_ALLOCATOR=${asked}: ${missing} (use "jemalloc", "mimalloc", "system" or the library's path); ${fallback}`);
  }
  return undefined;
}

/**
 * The allocator process `pid` runs on, from the libraries it has mapped: `jemalloc`, `mimalloc` or
 * `system`; undefined without /proc. What the agent logs at start, and what `npm run bench` reports.
 */
export function allocatorOf(pid: number | 'self' = 'self'): AllocatorName | 'system' | undefined {
  try {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    return /\/libjemalloc[^/\n]*$/m.test(maps) ? 'jemalloc' : /\/libmimalloc[^/\n]*$/m.test(maps) ? 'mimalloc' : 'system';
  } catch {
    return undefined;
  }
}
