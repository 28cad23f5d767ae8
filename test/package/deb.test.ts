// The Debian package as CI checks it: built for amd64 (and arm64, not run), lintian without errors,
// installed with dpkg -i, `smsedge --version`, the unit's own ExecStart run as the service user on
// the shipped config with the simulator until /health answers, then removed (data kept) and purged
// (data gone). Installing needs root and dpkg: skipped with a message where they are missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { notifySocket, notifyTools } from '../fixtures/notify.ts';
import { buildDeb, packedName } from '../../integrations/debian/build.ts';
import { freePort, httpGet } from '../bench/proc.ts';

t.setTimeout(30 * 60_000);

const root = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const { NODE_OPTIONS: _, ...plainEnv } = process.env;
const env = { ...plainEnv, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

function sh(cmd: string, args: string[], options: { timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: options.timeoutMs ?? 600_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** dpkg, retried while another dpkg (apt in a neighbouring job) holds its lock. */
async function dpkg(args: string[]) {
  for (let i = 0; ; i++) {
    const r = sh('dpkg', args);
    if (r.code === 0 || i >= 30 || !/lock/i.test(r.out)) return r;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

if (!have('dpkg-deb')) {
  t.test('the Debian package', { skip: 'dpkg-deb is not installed: the Debian package cannot be built here' }, () => {});
} else {
  const work = mkdtempSync(join(tmpdir(), 'smsedge-debtest-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const packed = sh('npm', ['pack', '--json', '--pack-destination', work], { timeoutMs: 600_000 });
  const tarball = packed.code === 0 ? join(work, packedName(packed.out)) : '';

  t.test('the arm64 package builds (with its own Node and serialport binding for arm64)', async (t) => {
    t.equal(packed.code, 0, packed.code === 0 ? 'npm pack' : packed.out.slice(-2000));
    const deb = buildDeb({ arch: 'arm64', out: work, tarball, compression: 'gzip' });
    t.equal(deb, join(work, `smsedge_${version}_arm64.deb`));
    const files = sh('dpkg-deb', ['-c', deb]).out;
    t.match(files, /\.\/usr\/lib\/smsedge\/node\/bin\/node\n/);
    t.match(files, /prebuilds\/linux-arm64\//);
    t.notMatch(files, /prebuilds\/(linux-x64|win32|darwin)/, 'no other platform\'s binding');
    t.match(sh('dpkg-deb', ['-f', deb, 'Architecture']).out.trim(), 'arm64');
    if (have('file')) t.match(sh('sh', ['-c', `dpkg-deb --fsys-tarfile ${deb} | tar -xO ./usr/lib/smsedge/node/bin/node | file -`]).out, /aarch64|ARM aarch64/);
    rmSync(deb);
  });

  t.test('the amd64 package: lintian, dpkg -i, the service runs as its user, remove keeps data, purge removes it', async (t) => {
    const deb = buildDeb({ arch: 'amd64', out: work, tarball, compression: 'gzip' });
    t.ok(existsSync(deb), deb);
    const files = sh('dpkg-deb', ['-c', deb]).out;
    for (const f of ['./usr/bin/smsedge', './lib/systemd/system/smsedge.service', './etc/smsedge/agent.config.ts', './usr/share/doc/smsedge/copyright']) t.match(files, f);
    t.match(files, /-rw------- root\/root +\d+ [\d-]+ [\d:]+ \.\/etc\/smsedge\/env\n/, 'env is 0600 root');
    t.notMatch(files, /\.\/usr\/lib\/smsedge\/(test\/|dist\/.*\.test\.)|typescript-linux/, 'none of our tests, no TypeScript compiler');
    t.same(sh('dpkg-deb', ['-f', deb, 'Package', 'Version']).out.trim().split('\n'), ['Package: smsedge', `Version: ${version}`]);

    if (have('lintian')) {
      const lint = sh('lintian', ['--tag-display-limit', '0', deb], { timeoutMs: 900_000 });
      const errors = lint.out.split('\n').filter((l) => l.startsWith('E: '));
      t.same(errors, [], `lintian errors (warnings: ${lint.out.split('\n').filter((l) => l.startsWith('W: ')).length})`);
    } else t.comment('lintian is not installed: not checked');

    if (process.getuid?.() !== 0 || !have('dpkg') || !have('runuser')) return t.comment('not installed: installing needs root, dpkg and runuser');
    if (sh('dpkg', ['-s', 'smsedge']).code === 0) return t.comment('not installed: smsedge is installed on this machine already (not touching it)');
    const installed = await dpkg(['-i', deb]);
    t.equal(installed.code, 0, installed.out.slice(-3000));
    t.teardown(() => void dpkg(['--purge', 'smsedge']));
    t.equal(sh('/usr/bin/smsedge', ['--version']).out.trim(), version);
    t.match(sh('id', ['-nG', 'smsedge']).out, /\bdialout\b/, 'the service user is in dialout');
    t.equal(sh('stat', ['-c', '%a %U', '/etc/smsedge/env']).out.trim(), '600 root');

    // The unit's own ExecStart, as its user, with the shipped config on the simulator. systemd would
    // set STATE_DIRECTORY and CACHE_DIRECTORY; temporary ones owned by the user stand in for them.
    const unit = readFileSync('/lib/systemd/system/smsedge.service', 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    t.equal(execStart[0], '/usr/bin/smsedge');
    const state = mkdtempSync(join(tmpdir(), 'smsedge-state-'));
    sh('chown', ['smsedge:smsedge', state]);
    const port = await freePort();
    // The unit's watchdog: systemd would give the agent a notification socket and the period.
    const watchdogSec = Number(/^WatchdogSec=(\d+)$/m.exec(unit)?.[1]);
    t.ok(watchdogSec > 0 && /^NotifyAccess=all$/m.test(unit), 'the unit asks for a watchdog the agent\'s child process may feed');
    const notify = notifyTools ? await notifySocket() : undefined;
    t.teardown(() => notify?.close());
    const watchdogEnv = notify ? [`NOTIFY_SOCKET=${notify.path}`, `WATCHDOG_USEC=${watchdogSec * 1_000_000}`] : [];
    const child = spawn('runuser', ['-u', 'smsedge', '--', 'env', `STATE_DIRECTORY=${state}`, `CACHE_DIRECTORY=${state}/cache`, 'SMSEDGE_MODEM_PORT=simulator', `SMSEDGE_PORT=${port}`, ...watchdogEnv, ...execStart], {
      cwd: state,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let health: { status: number; body: string } | undefined;
    for (let i = 0; i < 600 && !health && child.exitCode === null; i++) {
      health = await httpGet(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (!health) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.equal(health?.status, 200, out.slice(-3000));
    t.match(JSON.parse(health?.body ?? '{}'), { version, modems: [{ simulator: true }] });
    t.ok(existsSync(join(state, 'smsedge.db')), 'the database is in the state directory');
    if (notify) t.match(await notify.next(/^WATCHDOG=1/), /^WATCHDOG=1/, 'the installed agent feeds systemd\'s watchdog');
    child.kill('SIGTERM');
    // runuser passes the signal on and may itself end by it (null): the agent's own words count.
    t.ok([0, null].includes(await exited), out.slice(-2000));
    t.match(out, /"msg":"agent stopped"/);
    rmSync(state, { recursive: true, force: true });

    // remove keeps the configuration and the data; purge takes both.
    writeFileSync('/var/lib/smsedge/kept', '');
    const removed = await dpkg(['-r', 'smsedge']);
    t.equal(removed.code, 0, removed.out);
    t.notOk(existsSync('/usr/bin/smsedge'), 'the program is gone');
    t.ok(existsSync('/var/lib/smsedge/kept') && existsSync('/etc/smsedge/agent.config.ts'), 'data and config stay on remove');
    const purged = await dpkg(['--purge', 'smsedge']);
    t.equal(purged.code, 0, purged.out);
    t.notOk(existsSync('/var/lib/smsedge') || existsSync('/etc/smsedge'), 'purge removes data and config');
  });
}
