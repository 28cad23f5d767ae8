// Which allocator `smsedge start` preloads (core/allocator.ts): found where distributions put jemalloc
// or mimalloc, tried before it is trusted, and never forced on an operator who chose otherwise.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { allocatorEnv, allocatorOf, allocatorPaths, findAllocator, jemallocConf, mimallocEnv, probeAllocator, type AllocatorName } from '../../core/allocator.ts';

const installed = (name: AllocatorName) => allocatorPaths(name).find((p) => existsSync(p));
const jemalloc = installed('jemalloc');
const mimalloc = installed('mimalloc');

t.test('findAllocator: jemalloc, else mimalloc, the first that exists and passes the probe', async (t) => {
  const probed: string[] = [];
  const warned: string[] = [];
  const deps = (present: string[], broken: string[] = []) => ({
    platform: 'linux' as const,
    arch: 'arm64' as const,
    exists: (p: string) => present.includes(p),
    probe: (p: string) => (probed.push(p), broken.includes(p) ? '<jemalloc>: Unsupported system page size' : undefined),
    warn: (m: string) => warned.push(m),
  });
  const je = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';
  const mi = '/usr/lib/aarch64-linux-gnu/libmimalloc.so.2';
  t.same(findAllocator({}, deps([je, '/usr/lib/libjemalloc.so.2', mi])), { name: 'jemalloc', library: je, env: { MALLOC_CONF: jemallocConf } }, 'the architecture\'s own directory first (Raspberry Pi OS 64-bit)');
  t.same(probed.splice(0), [je], 'only the one chosen is tried');
  t.same(findAllocator({}, deps([mi])), { name: 'mimalloc', library: mi, env: mimallocEnv }, 'mimalloc when jemalloc is not installed');
  t.same(findAllocator({}, deps([je, mi], [je])), { name: 'mimalloc', library: mi, env: mimallocEnv }, 'or when it does not work (a Pi 5\'s 16 KB pages)');
  t.same(probed.splice(0), [mi, je, mi]);
  t.same(warned, [], 'silently: the start-up log says which one runs');
  t.equal(findAllocator({}, deps(['/usr/lib64/libjemalloc.so.2']))?.library, '/usr/lib64/libjemalloc.so.2', 'Fedora\'s place');
  t.equal(findAllocator({}, deps([])), undefined, 'none installed: the C library\'s malloc');
  t.same(warned, [], 'silently: nothing was asked for');
  t.equal(findAllocator({}, deps([je, mi], [je, mi])), undefined, 'none that works: the C library\'s malloc');
  t.match(warned.splice(0), [/libjemalloc\.so\.2 does not work here \(<jemalloc>: Unsupported system page size\); .*libmimalloc\.so\.2 does not work here .*; running on the C library's malloc/], 'and the operator is told why');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'system' }, deps([je])), undefined, 'SMSEDGE_ALLOCATOR=system opts out');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'mimalloc' }, deps([je, mi]))?.library, mi, 'or picks one');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'jemalloc' }, deps([mi])), undefined, 'only that one');
  t.match(warned.splice(0), [/SMSEDGE_ALLOCATOR=jemalloc: no libjemalloc\.so\.2 installed \(apt install libjemalloc2\)/], 'asked for by name and missing: told how to get it');
  t.same(findAllocator({ SMSEDGE_ALLOCATOR: '/opt/jemalloc/lib/libjemalloc.so.2' }, deps(['/opt/jemalloc/lib/libjemalloc.so.2'])), { name: 'jemalloc', library: '/opt/jemalloc/lib/libjemalloc.so.2', env: { MALLOC_CONF: jemallocConf } }, 'or names the library');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: '/opt/lib/libmimalloc-secure.so' }, deps(['/opt/lib/libmimalloc-secure.so']))?.name, 'mimalloc', 'whose name says which settings it reads');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: '/nowhere/libjemalloc.so.2' }, deps([je])), undefined, 'a named library that is missing is not replaced by another');
  t.match(warned.splice(0), [/SMSEDGE_ALLOCATOR=\/nowhere\/libjemalloc\.so\.2: no such file/]);
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'jemaloc' }, deps([je])), undefined, 'a typo is not taken for jemalloc');
  t.match(warned.splice(0), [/SMSEDGE_ALLOCATOR=jemaloc: no such file \(use "jemalloc", "mimalloc", "system" or the library's path\)/]);
  t.equal(findAllocator({ LD_PRELOAD: '/usr/lib/libtcmalloc.so.4' }, deps([je])), undefined, 'an operator\'s own preload is left alone');
  t.same(findAllocator({ MALLOC_CONF: 'narenas:1' }, deps([je]))?.env, {}, 'and so are their settings: none added');
  const tried: Record<string, string>[] = [];
  findAllocator({ MALLOC_CONF: 'narenas:1' }, { ...deps([je]), probe: (_library, env) => (tried.push({ ...env }), undefined) });
  t.same(tried, [{ MALLOC_CONF: 'narenas:1' }], 'the probe runs it with what it will run with');
  const { MIMALLOC_RESET_DELAY: _, ...others } = mimallocEnv;
  t.same(findAllocator({ MIMALLOC_RESET_DELAY: '50' }, deps([mi]))?.env, others, 'only the settings they did not make are added');
  t.equal(findAllocator({}, { ...deps([je]), platform: 'darwin' }), undefined, 'Linux only');
  t.same(warned, []);
  findAllocator({ SMSEDGE_ALLOCATOR: 'jemalloc' }, { ...deps([je]), platform: 'darwin' });
  t.match(warned.splice(0), [/works on Linux only/]);
  t.equal(allocatorPaths('jemalloc', 'arm')[0], '/usr/lib/arm-linux-gnueabihf/libjemalloc.so.2', '32-bit Raspberry Pi OS');
});

t.test('probeAllocator: a file that is not a loadable library fails the probe, with what ld.so said', async (t) => {
  const dir = t.testdir();
  const bogus = join(dir, 'libjemalloc.so.2');
  writeFileSync(bogus, 'not an ELF file\n');
  t.match(probeAllocator(bogus), /ld\.so: object .*libjemalloc\.so\.2.* cannot be preloaded/, 'ld.so complains on stderr and goes on without it: refused');
  t.match(probeAllocator(join(dir, 'missing.so')), /cannot be preloaded \(cannot open shared object file\)/);
});

// CI installs libjemalloc2 and libmimalloc2.0 (.ci/run and the README's apt-get line).
for (const [name, library] of [['jemalloc', jemalloc], ['mimalloc', mimalloc]] as const) {
  t.test(`the real ${name}: probed, preloaded into a Node child, and seen there`, { skip: library ? false : `${name} is not installed (apt-get install ${name === 'jemalloc' ? 'libjemalloc2' : 'libmimalloc2.0'})` }, async (t) => {
    t.equal(probeAllocator(library!, allocatorEnv(name)), undefined, `${library} works`);
    t.equal(findAllocator({ SMSEDGE_ALLOCATOR: name })?.library, library);
    t.equal(allocatorOf(), 'system', 'this test process runs on the C library\'s malloc');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { env: { PATH: process.env.PATH, ...allocatorEnv(name), LD_PRELOAD: library }, stdio: 'ignore' });
    t.teardown(() => child.kill());
    await new Promise((r) => child.once('spawn', r));
    // Until ld.so has mapped it, the child may still show the exec'ing image's libraries.
    let seen: string | undefined;
    for (let i = 0; i < 200 && seen !== name; i++) {
      seen = allocatorOf(child.pid!);
      if (seen !== name) await new Promise((r) => setImmediate(r));
    }
    t.equal(seen, name);
  });
}
