// Which allocator `smsedge start` preloads (core/allocator.ts): found where distributions put jemalloc,
// tried before it is trusted, and never forced on an operator who chose otherwise.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { allocatorOf, findAllocator, jemallocConf, jemallocPaths, probeAllocator } from '../../core/allocator.ts';

const installed = jemallocPaths().find((p) => existsSync(p));

t.test('findAllocator: the first jemalloc that exists and passes the probe', async (t) => {
  const probed: string[] = [];
  const warned: string[] = [];
  const deps = (present: string[], works = true) => ({
    platform: 'linux' as const,
    arch: 'arm64' as const,
    exists: (p: string) => present.includes(p),
    probe: (p: string) => (probed.push(p), works ? undefined : '<jemalloc>: Unsupported system page size'),
    warn: (m: string) => warned.push(m),
  });
  const pi = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';
  t.equal(findAllocator({}, deps([pi, '/usr/lib/libjemalloc.so.2'])), pi, 'the architecture\'s own directory first (Raspberry Pi OS 64-bit)');
  t.same(probed, [pi], 'only the one chosen is tried');
  t.equal(findAllocator({}, deps(['/usr/lib64/libjemalloc.so.2'])), '/usr/lib64/libjemalloc.so.2', 'Fedora\'s place');
  t.equal(findAllocator({}, deps([])), undefined, 'none installed: the C library\'s malloc');
  t.same(warned, [], 'silently: nothing was asked for');
  t.equal(findAllocator({}, deps([pi], false)), undefined, 'one that fails the probe is not preloaded');
  t.match(warned.splice(0), [/aarch64-linux-gnu\/libjemalloc\.so\.2 does not work here \(<jemalloc>: Unsupported system page size\); running on the C library's malloc/], 'and the operator is told why');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'system' }, deps([pi])), undefined, 'SMSEDGE_ALLOCATOR=system opts out');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: '/opt/jemalloc/lib/libjemalloc.so.2' }, deps(['/opt/jemalloc/lib/libjemalloc.so.2'])), '/opt/jemalloc/lib/libjemalloc.so.2', 'or names the library');
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: '/nowhere/libjemalloc.so.2' }, deps([pi])), undefined, 'a named library that is missing is not replaced by another');
  t.match(warned.splice(0), [/SMSEDGE_ALLOCATOR=\/nowhere\/libjemalloc\.so\.2: no such file/]);
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'jemaloc' }, deps([pi])), undefined, 'a typo is not taken for jemalloc');
  t.match(warned.splice(0), [/SMSEDGE_ALLOCATOR=jemaloc: no such file \(use "jemalloc", "system" or the library's path\)/]);
  t.equal(findAllocator({ SMSEDGE_ALLOCATOR: 'jemalloc' }, deps([])), undefined);
  t.match(warned.splice(0), [/no libjemalloc\.so\.2 installed \(apt install libjemalloc2\)/], 'asked for by name and missing: told how to get it');
  t.equal(findAllocator({ LD_PRELOAD: '/usr/lib/libtcmalloc.so.4' }, deps([pi])), undefined, 'an operator\'s own preload is left alone');
  t.equal(findAllocator({}, { ...deps([pi]), platform: 'darwin' }), undefined, 'Linux only');
  t.same(warned, []);
  findAllocator({ SMSEDGE_ALLOCATOR: 'jemalloc' }, { ...deps([pi]), platform: 'darwin' });
  t.match(warned.splice(0), [/works on Linux only/]);
  t.equal(jemallocPaths('arm')[0], '/usr/lib/arm-linux-gnueabihf/libjemalloc.so.2', '32-bit Raspberry Pi OS');
});

t.test('probeAllocator: a file that is not a loadable library fails the probe, with what ld.so said', async (t) => {
  const dir = t.testdir();
  const bogus = join(dir, 'libjemalloc.so.2');
  writeFileSync(bogus, 'not an ELF file\n');
  t.match(probeAllocator(bogus), /ld\.so: object .*libjemalloc\.so\.2.* cannot be preloaded/, 'ld.so complains on stderr and goes on without it: refused');
  t.match(probeAllocator(join(dir, 'missing.so')), /cannot be preloaded \(cannot open shared object file\)/);
});

// CI installs libjemalloc2 (.ci/run and the README's apt-get line).
t.test('the real jemalloc: probed, preloaded into a Node child, and seen there', { skip: installed ? false : 'libjemalloc2 is not installed (apt-get install libjemalloc2)' }, async (t) => {
  t.equal(probeAllocator(installed!), undefined, `${installed} works`);
  t.equal(findAllocator({}), installed);
  t.equal(allocatorOf(), 'system', 'this test process runs on the C library\'s malloc');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { env: { PATH: process.env.PATH, LD_PRELOAD: installed, MALLOC_CONF: jemallocConf }, stdio: 'ignore' });
  t.teardown(() => child.kill());
  await new Promise((r) => child.once('spawn', r));
  // Until ld.so has mapped it, the child may still show the exec'ing image's libraries.
  let seen: string | undefined;
  for (let i = 0; i < 200 && seen !== 'jemalloc'; i++) {
    seen = allocatorOf(child.pid!);
    if (seen !== 'jemalloc') await new Promise((r) => setImmediate(r));
  }
  t.equal(seen, 'jemalloc');
});
