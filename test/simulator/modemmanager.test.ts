// ModemManager (Debian's, the real daemon) against the simulator, without the system bus or udev: a
// private D-Bus daemon, ModemManager on it with its Test interface, and a virtual modem whose AT port is
// a unix socket that socat serves with `smsedge simulate --stdio`. ModemManager probes the modem,
// enables it, registers, reads the stored SMS and sends one; its log must show no warning and every
// standard command it sent must have been answered (only vendor probes of other makes may be refused).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const missing = ['ModemManager', 'mmcli', 'dbus-daemon', 'gdbus', 'socat'].find((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
const skip = missing ? `${missing} is not installed (apt-get install modemmanager dbus socat; CI installs them)` : false;

const node = process.execPath;
const cli = new URL('../../core/cli.ts', import.meta.url).pathname;

async function untilAsync<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for another process (bounded polling, not a simulated delay). */
async function until<T>(what: string, check: () => T | undefined | false, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.jobs = 2;

for (const profile of ['sim7600', 'sim800']) {
  t.test(`ModemManager probes, enables, reads and sends on the ${profile} profile`, { skip, timeout: 180_000 }, async (t) => {
    // A short path: unix socket paths end at 108 bytes, and the test fixture directories run longer.
    const dir = mkdtempSync(join(tmpdir(), 'smsedge-mm-'));
    writeFileSync(join(dir, 'inbox.json'), JSON.stringify([{ from: '+15550100200', text: 'stored for ModemManager' }]));
    const children: ChildProcess[] = [];
    t.teardown(() => {
      for (const c of children.reverse()) c.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    const bus = `unix:path=${join(dir, 'bus')}`;
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus, DBUS_SYSTEM_BUS_ADDRESS: bus };
    children.push(spawn('dbus-daemon', ['--session', '--nofork', `--address=${bus}`], { stdio: 'ignore' }));
    await until('the private bus', () => existsSync(join(dir, 'bus')));
    const sock = join(dir, 'modem.sock');
    children.push(spawn('socat', [`UNIX-LISTEN:${sock},fork`, `EXEC:${node} ${cli} simulate --stdio --timing off --profile ${profile} --inbox ${join(dir, 'inbox.json')}`], { stdio: 'ignore' }));
    await until('the simulator socket', () => existsSync(sock));
    // Its debug log to a file: a pipe nobody drains while mmcli runs would stall it.
    const log = join(dir, 'mm.log');
    const out = openSync(log, 'w');
    children.push(spawn('ModemManager', ['--test-session', '--test-no-udev', '--test-enable', '--debug'], { env, stdio: ['ignore', out, out] }));
    closeSync(out);
    const run = (cmd: string, ...args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }));
      });
    await untilAsync('ModemManager on the bus', async () => (await run('mmcli', '-L')).code === 0);
    // The Test interface's virtual device: one AT port, a unix socket (a path without `abstract:`).
    const profiled = await run('gdbus', 'call', '--session', '--dest', 'org.freedesktop.ModemManager1', '--object-path', '/org/freedesktop/ModemManager1',
      '--method', 'org.freedesktop.ModemManager1.Test.SetProfile', 'simulator', 'generic', `['${sock}']`);
    t.equal(profiled.code, 0, profiled.out);
    const id = await untilAsync('the modem to be exported', async () => /Modem\/(\d+)/.exec((await run('mmcli', '-L')).out)?.[1]);
    const enabled = await run('mmcli', '-m', id, '-e');
    t.equal(enabled.code, 0, enabled.out);
    const status = await untilAsync('registration', async () => {
      const out = (await run('mmcli', '-m', id)).out;
      return /state: (registered|connected)/.test(out) && out;
    });
    t.match(status, /manufacturer: /);
    t.match(status, /registration: home/);
    t.match(status, /own: \+15550000001/);
    const listed = await untilAsync('the stored SMS', async () => {
      const out = (await run('mmcli', '-m', id, '--messaging-list-sms')).out;
      return /\(received\)/.test(out) && out;
    });
    const received = /SMS\/(\d+) \(received\)/.exec(listed)![1]!;
    t.match((await run('mmcli', '-s', received)).out, /text: stored for ModemManager/);
    const created = await run('mmcli', '-m', id, "--messaging-create-sms=text='hello from ModemManager',number='+15550100300'");
    const sms = /SMS\/(\d+)/.exec(created.out)?.[1];
    t.ok(sms, created.out);
    const sent = await run('mmcli', '-s', sms!, '--send');
    t.equal(sent.code, 0, sent.out);
    const lines = readFileSync(log, 'latin1').split('\n');
    t.same(lines.filter((l) => /<(warn|error)>/.test(l) && !/logind|sleep-monitor/.test(l)), [], 'no warning in ModemManager\'s log');
    // Commands answered ERROR: only vendor probes of other makes (Novatel's *CNTI, Huawei's ^, ...).
    const refused: string[] = [];
    for (let i = 0; i + 1 < lines.length; i++) {
      const sentCmd = /--> '(AT[^<']*)/.exec(lines[i]!)?.[1];
      if (sentCmd && /<-- '.*ERROR/.test(lines[i + 1]!) && !/^AT[*^$%]/.test(sentCmd)) refused.push(sentCmd);
    }
    t.same(refused, [], 'every standard command answered');
  });
}
