// The memory allocator `smsedge start` runs on: jemalloc when the system has it (Debian and Raspberry
// Pi OS: `apt install libjemalloc2`), preloaded by the relaunch (core/relaunch.ts), else the C
// library's own malloc with agentMallocEnv's settings.
//
// Why: glibc cannot serve a burst both fast and lean. While a webhook backlog drains, V8's optimizing
// compiler allocates and frees ~100 MB of 32 KB zone segments on its worker threads (strace -k of a
// 5,000-event drain: ~3,900 such blocks). Mapped one by one (our 24 KB mmap threshold) each costs an
// mmap, page faults and an munmap; kept in glibc's arenas (its defaults, or a 128 KB threshold) they
// fragment them and 25-30 MB stays resident after the burst. jemalloc reuses them and gives the pages
// back after `dirty_decay_ms`. Alternating 5,000-event drains of `npm run bench:ab`, paired over glibc
// with our settings: +5 to +10 % events/s, 4-8 % less main-thread CPU per event; with jemallocConf,
// RSS idle 83-84 MB against 82, 12-13 MB above idle 2 s after the backlog against 14-15, and 89 MB
// against 93-94 ten seconds later.
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

const triplets: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
};

/** Where distributions install jemalloc's shared library, most specific first. */
export function jemallocPaths(arch: NodeJS.Architecture = process.arch): string[] {
  const triplet = triplets[arch];
  return [
    ...(triplet ? [`/usr/lib/${triplet}/libjemalloc.so.2`] : []),
    '/usr/lib64/libjemalloc.so.2',
    '/usr/lib/libjemalloc.so.2',
    '/usr/local/lib/libjemalloc.so.2',
  ];
}

/**
 * What goes wrong when Node starts with `library` preloaded, or undefined when nothing does:
 * `node --version` under it (~5 ms) must exit 0, print this Node's version and nothing on stderr.
 * A file that is not a loadable library makes ld.so complain on stderr (and go on without it); a
 * jemalloc built for smaller memory pages than the kernel's (Debian's 4 KB build under a Raspberry
 * Pi 5's 16 KB-page kernel, say) says "Unsupported system page size" and fails its first allocation.
 * Either way the agent then keeps the C library's malloc.
 */
export function probeAllocator(library: string, conf: string = jemallocConf): string | undefined {
  const r = spawnSync(process.execPath, ['--version'], {
    env: { PATH: process.env.PATH ?? '', LD_PRELOAD: library, MALLOC_CONF: conf },
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
  /** What goes wrong with the library, undefined when nothing does (probeAllocator). */
  probe?: (library: string) => string | undefined;
  /** Told why an allocator asked for, or installed, is not used. Default: a line on stderr. */
  warn?: (message: string) => void;
}

/**
 * The allocator library the agent should preload, or undefined for the C library's own.
 * `SMSEDGE_ALLOCATOR`: unset or `jemalloc` looks in the usual places; a path names the library;
 * `system` keeps the C library's. An operator's own LD_PRELOAD is left alone (nothing is added).
 * Silent when nothing is installed and nothing was asked for; otherwise says why none is used.
 */
export function findAllocator(env: NodeJS.ProcessEnv, deps: AllocatorDeps = {}): string | undefined {
  const asked = env.SMSEDGE_ALLOCATOR?.trim();
  const wanted = asked || 'jemalloc';
  if (wanted === 'system' || env.LD_PRELOAD) return undefined;
  const warn = deps.warn ?? ((message: string) => process.stderr.write(`smsedge: ${message}\n`));
  const fallback = "running on the C library's malloc";
  if ((deps.platform ?? process.platform) !== 'linux') {
    if (asked) warn(`SMSEDGE_ALLOCATOR=${asked}: preloading an allocator works on Linux only; ${fallback}`);
    return undefined;
  }
  const exists = deps.exists ?? existsSync;
  const probe = deps.probe ?? ((library: string) => probeAllocator(library, env.MALLOC_CONF ?? jemallocConf));
  const candidates = wanted === 'jemalloc' ? jemallocPaths(deps.arch ?? process.arch) : [wanted];
  const found = candidates.find((path) => exists(path));
  if (!found) {
    if (asked) warn(`SMSEDGE_ALLOCATOR=${asked}: ${wanted === 'jemalloc' ? 'no libjemalloc.so.2 installed (apt install libjemalloc2)' : 'no such file'} (use "jemalloc", "system" or the library's path); ${fallback}`);
    return undefined;
  }
  const problem = probe(found);
  if (problem === undefined) return found;
  warn(`${found} does not work here (${problem}); ${fallback}`);
  return undefined;
}

/**
 * The allocator process `pid` runs on, from the libraries it has mapped: `jemalloc` or `system`;
 * undefined without /proc. What the agent logs at start, and what `npm run bench` reports.
 */
export function allocatorOf(pid: number | 'self' = 'self'): 'jemalloc' | 'system' | undefined {
  try {
    return /\/libjemalloc[^/\n]*$/m.test(readFileSync(`/proc/${pid}/maps`, 'utf8')) ? 'jemalloc' : 'system';
  } catch {
    return undefined;
  }
}
