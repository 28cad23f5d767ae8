// `smsedge init` against simulated modems on pseudo-terminals (socat): it finds the answering port,
// enters the PIN once, and writes the config and a 0600 env file with a new API key.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { holderOf, init, listPorts, modemManagerRunning, writeEnv } from '../../core/commands/init.ts';
import { loadConfig } from '../../core/config.ts';

const cli = fileURLToPath(new URL('../../core/cli.ts', import.meta.url));
const hasSocat = spawnSync('socat', ['-V']).status === 0;
const skip = hasSocat ? false : 'socat is not installed (apt-get install -y socat)';

function io(input = '') {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(String(c)), cb()) });
  const stdin = new PassThrough();
  stdin.end(input);
  return { io: { stdin, stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

/** A simulated modem on a pty at `link` (socat EXEC of `smsedge simulate --stdio`). */
async function modemAt(t: Test, link: string, args: string[] = []) {
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:"${[process.execPath, cli, 'simulate', '--stdio', '--timing', 'off', ...args].join(' ')}"`], { stdio: 'ignore' });
  t.teardown(() => socat.kill('SIGTERM'));
  for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 25));
}

t.test('--yes: the port that answers, a new key, the config from the template', { skip }, async (t) => {
  const dir = t.testdir();
  const modem = join(dir, 'ttyMODEM');
  await modemAt(t, modem);
  const r = io();
  const code = await init(['--timeout', '10000', '--yes', '--port', join(dir, 'ttyNONE'), '--port', modem, '--config', join(dir, 'etc/agent.config.ts'), '--env', join(dir, 'etc/env')], r.io);
  t.equal(code, 0, r.out() + r.err());
  t.match(r.out(), /1\. .*ttyNONE: cannot open .*No such file or directory/);
  t.match(r.out(), /2\. .*ttyMODEM( -> \S+)?: answers: SIMULATOR-3GPP, SIM READY/);
  t.match(r.out(), `Modem: ${modem}`);
  const env = readFileSync(join(dir, 'etc/env'), 'utf8');
  t.match(env, `SMSEDGE_MODEM_PORT=${modem}\n`);
  t.match(env, /^SMSEDGE_API_KEY=[0-9a-f]{48}$/m);
  t.notMatch(env, /SMSEDGE_SIM_PIN/);
  t.equal(statSync(join(dir, 'etc/env')).mode & 0o777, 0o600);
  t.match(readFileSync(join(dir, 'etc/agent.config.ts'), 'utf8'), /modem\(\{ port: env\.SMSEDGE_MODEM_PORT/);
  // The written config loads (its imports resolve as smsedge start resolves them) and names the port.
  await import('../../core/cli.ts'); // resolves 'smsedge' imports as `smsedge start` does
  process.env.SMSEDGE_MODEM_PORT = modem;
  const config = await loadConfig(join(dir, 'etc/agent.config.ts'), {});
  delete process.env.SMSEDGE_MODEM_PORT;
  t.match(config.plugins.find((p) => p.name === 'modem')?.options, { port: modem });

  // Again: the key is kept, the config too.
  const again = io();
  t.equal(await init(['--timeout', '10000', '--yes', '--port', modem, '--config', join(dir, 'etc/agent.config.ts'), '--env', join(dir, 'etc/env')], again.io), 0);
  t.equal(/SMSEDGE_API_KEY=(\S+)/.exec(readFileSync(join(dir, 'etc/env'), 'utf8'))![1], /SMSEDGE_API_KEY=(\S+)/.exec(env)![1], 'the key is kept');
  t.match(again.out(), /Kept .*agent\.config\.ts/);
});

t.test('a SIM that wants its PIN: entered once; a wrong one is not tried again', { skip }, async (t) => {
  const dir = t.testdir();
  const right = join(dir, 'ttyPIN');
  await modemAt(t, right, ['--pin', '4321']);
  const ok = io();
  t.equal(await init(['--timeout', '10000', '--yes', '--port', right, '--pin', '4321', '--config', join(dir, 'a/agent.config.ts'), '--env', join(dir, 'a/env')], ok.io), 0, ok.err());
  t.match(ok.out(), /SIM SIM PIN/);
  t.match(ok.out(), /PIN accepted/);
  t.match(readFileSync(join(dir, 'a/env'), 'utf8'), /^SMSEDGE_SIM_PIN=4321$/m);

  const wrongPort = join(dir, 'ttyPIN2');
  await modemAt(t, wrongPort, ['--pin', '4321']);
  const bad = io();
  t.equal(await init(['--timeout', '10000', '--yes', '--port', wrongPort, '--pin', '0000', '--config', join(dir, 'b/agent.config.ts'), '--env', join(dir, 'b/env')], bad.io), 1);
  t.match(bad.err(), /the SIM refused the PIN .*not trying again/);
  t.notOk(existsSync(join(dir, 'b/env')), 'nothing written');

  const none = io();
  t.equal(await init(['--timeout', '10000', '--yes', '--port', wrongPort, '--config', join(dir, 'c/agent.config.ts'), '--env', join(dir, 'c/env')], none.io), 1);
  t.match(none.err(), /give it with --pin/);
});

t.test('asked on a terminal: the port chosen by number, the PIN typed', { skip }, async (t) => {
  const dir = t.testdir();
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  await modemAt(t, a);
  await modemAt(t, b, ['--pin', '1111']);
  const r = io('2\n1111\n');
  t.equal(await init(['--timeout', '10000', '--port', a, '--port', b, '--config', join(dir, 'agent.config.ts'), '--env', join(dir, 'env')], r.io), 0, r.out() + r.err());
  t.match(r.out(), `Modem: ${b}`);
  t.match(readFileSync(join(dir, 'env'), 'utf8'), /^SMSEDGE_SIM_PIN=1111$/m);
});

t.test('ports: /dev/serial/by-id first, then the usual names, each device once', async (t) => {
  const dev = t.testdir();
  mkdirSync(join(dev, 'serial/by-id'), { recursive: true });
  for (const n of ['ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyS0', 'null', 'serial0']) writeFileSync(join(dev, n), '');
  symlinkSync(join(dev, 'ttyUSB2'), join(dev, 'serial/by-id/usb-Quectel_EC25-if02-port0'));
  t.same(listPorts(dev), ['serial/by-id/usb-Quectel_EC25-if02-port0', 'serial0', 'ttyACM0', 'ttyUSB10'].map((n) => join(dev, n)));
});

t.test('the env file keeps what it had and is 0600', async (t) => {
  const file = join(t.testdir(), 'env');
  writeFileSync(file, '# mine\nSMSEDGE_WEBHOOK_SECRET=whsec_x\n#SMSEDGE_API_KEY=\n', { mode: 0o644 });
  writeEnv(file, { SMSEDGE_API_KEY: 'k'.repeat(20), SMSEDGE_MODEM_PORT: '/dev/ttyUSB2' });
  t.equal(readFileSync(file, 'utf8'), `# mine\nSMSEDGE_WEBHOOK_SECRET=whsec_x\nSMSEDGE_API_KEY=${'k'.repeat(20)}\nSMSEDGE_MODEM_PORT=/dev/ttyUSB2\n`);
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('ModemManager holding the port: named on that port, with the command that stops it', async (t) => {
  // A real process whose command name is ModemManager (a copy of sleep) holding the "port" open, so
  // detection goes through the real /proc as on a Pi where ModemManager grabbed the modem.
  const dir = t.testdir();
  const port = join(dir, 'ttyHELD');
  writeFileSync(port, '');
  const fake = join(dir, 'ModemManager');
  copyFileSync('/bin/sleep', fake);
  chmodSync(fake, 0o755);
  const fd = openSync(port, 'r');
  const mm = spawn(fake, ['60'], { stdio: [fd, 'ignore', 'ignore'] });
  closeSync(fd);
  t.teardown(() => mm.kill('SIGKILL'));
  await new Promise((r) => mm.once('spawn', r));
  // exec replaces the spawned name only once the child runs: wait for /proc to show it.
  for (let i = 0; i < 200 && holderOf(realpathSync(port)) !== 'ModemManager'; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(modemManagerRunning(), 'seen running');
  const r = io();
  const code = await init(['--timeout', '500', '--yes', '--port', port, '--config', join(dir, 'agent.config.ts'), '--env', join(dir, 'env')], r.io);
  t.equal(code, 1, 'nothing answered');
  t.match(r.out(), /1\. .*ttyHELD.*\(held by ModemManager\)/);
  t.match(r.out(), `ModemManager is running and holds ${port}`);
  t.match(r.out(), 'sudo systemctl disable --now ModemManager');
  t.notOk(existsSync(join(dir, 'env')), 'nothing written');
});

t.test('ModemManager detection reads /proc: none running, or a process gone mid-scan', async (t) => {
  const proc = t.testdir({ '1': { comm: 'init\n' }, '77': { comm: 'ModemManager\n' }, self: {}, '99': {} });
  t.ok(modemManagerRunning(proc));
  const none = t.testdir({ '1': { comm: 'init\n' }, '2': {} });
  t.notOk(modemManagerRunning(none));
  t.notOk(modemManagerRunning(join(none, 'missing')), 'no /proc: not running');
  t.equal(holderOf('/dev/ttyUSB0', none), undefined);
  t.equal(holderOf('/dev/ttyUSB0', join(none, 'missing')), undefined);
});
