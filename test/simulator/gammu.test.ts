// Gammu (established modem software) against the simulator behind socat's pseudo-terminal: identify,
// read all SMS, send SMS (single and multipart). Gammu probes many commands and gives up on an answer
// a real modem would not give, so this is the check that the simulator is faithful beyond our driver.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { reassemble } from '../../core/sms/index.ts';
import { createSimulator } from '../../simulator/index.ts';
import { serveStdio } from '../../simulator/stdio.ts';
import type { ProfileName } from '../../simulator/profiles.ts';

const hasGammu = spawnSync('gammu', ['--version']).status === 0;
const hasSocat = spawnSync('socat', ['-V']).status === 0;
const skip = !hasGammu
  ? 'gammu is not installed (apt-get install gammu; CI installs it)'
  : !hasSocat ? 'socat is not installed (apt-get install socat; CI installs it)' : false;

const inbox = [
  { from: '+15550100200', text: 'hello from the sim' },
  { from: '+15550100201', text: 'Grüße 😀' },
];
// 400 characters: three GSM 7-bit parts of at most 153 septets.
const long = 'abcdefghij'.repeat(40);

// Gammu's runs are mostly its own waits: the four subtests use separate ptys and run side by side.
t.jobs = 4;

interface Run { code: number | null; out: string }

/** Runs gammu with its own config file; Gammu sleeps between some probes, so a run takes seconds. */
function gammu(rc: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('gammu', ['-c', rc, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function waitForLink(link: string): Promise<boolean> {
  // Waiting for another process to create the pty: bounded polling, not a simulated delay.
  for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 25));
  return existsSync(link);
}

function gammurc(dir: string, link: string): string {
  const rc = join(dir, 'gammurc');
  writeFileSync(rc, `[gammu]\ndevice = ${link}\nconnection = at\n`);
  return rc;
}

t.test('the documented recipe: gammu over socat EXEC simulate --stdio', { skip, timeout: 120_000 }, async (t) => {
  const dir = t.testdir({ 'inbox.json': JSON.stringify(inbox) });
  const link = join(dir, 'ttySIM');
  const cli = new URL('../../core/cli.ts', import.meta.url).pathname;
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:${process.execPath} ${cli} simulate --stdio --timing off --inbox ${join(dir, 'inbox.json')}`], { stdio: 'ignore' });
  t.teardown(() => void socat.kill());
  t.ok(await waitForLink(link), 'socat made the pty');
  const rc = gammurc(dir, link);

  const id = await gammu(rc, 'identify');
  t.equal(id.code, 0, id.out);
  t.match(id.out, /Manufacturer\s+: smsedge/);
  t.match(id.out, /Model\s+: .*SIMULATOR-3GPP/);
  t.match(id.out, /Firmware\s+: smsedge-sim/);
  t.match(id.out, /IMEI\s+: \d{15}/);
  t.match(id.out, /SIM IMSI\s+: 001010123456789/);

  const all = await gammu(rc, 'getallsms');
  t.equal(all.code, 0, all.out);
  t.match(all.out, /Remote number\s+: "\+15550100200"[\s\S]*Status\s+: UnRead\s+hello from the sim/);
  t.match(all.out, /Coding\s+: Unicode[\s\S]*Remote number\s+: "\+15550100201"[\s\S]*Grüße 😀/);
  t.match(all.out, /2 SMS parts in 2 SMS sequences/);

  const one = await gammu(rc, 'sendsms', 'TEXT', '+15550100100', '-text', 'hello');
  t.equal(one.code, 0, one.out);
  t.match(one.out, /Sending SMS 1\/1.*OK, message reference=0/);

  const three = await gammu(rc, 'sendsms', 'TEXT', '+15550100100', '-len', '400', '-text', long);
  t.equal(three.code, 0, three.out);
  t.match(three.out, /Sending SMS 1\/3.*OK, message reference=1[\s\S]*Sending SMS 2\/3.*reference=2[\s\S]*Sending SMS 3\/3.*reference=3/);
});

// In-process behind socat (pty ↔ TCP), so the test can look at what the simulated network received.
for (const profile of ['huawei', 'sim800', 'quectel'] as ProfileName[]) {
  t.test(`gammu reads and sends on the ${profile} profile`, { skip, timeout: 120_000 }, async (t) => {
    const sim = createSimulator({ profile, inbox });
    t.teardown(() => sim.close());
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      void serveStdio(sim, socket, socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
    const { port } = server.address() as { port: number };
    const dir = t.testdir({});
    const link = join(dir, 'ttySIM');
    const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
    t.teardown(() => void socat.kill());
    t.ok(await waitForLink(link), 'socat made the pty');
    const rc = gammurc(dir, link);

    const all = await gammu(rc, 'getallsms');
    t.equal(all.code, 0, all.out);
    t.match(all.out, /hello from the sim/);
    t.match(all.out, /Grüße 😀/);
    t.match(all.out, /2 SMS parts in 2 SMS sequences/);

    const three = await gammu(rc, 'sendsms', 'TEXT', '+15550100100', '-len', '400', '-text', long);
    t.equal(three.code, 0, three.out);
    const sent = sim.sent();
    t.equal(sent.length, 3, 'three SMS-SUBMITs reached the network');
    t.same(sent.map((s) => s.to), ['+15550100100', '+15550100100', '+15550100100']);
    t.same(sent.map((s) => s.concat?.part), [1, 2, 3]);
    const whole = reassemble(sent.map((s) => ({ concat: s.concat!, text: s.text })));
    t.same(whole.complete && whole.text, long, 'the parts reassemble to what gammu was given');
  });
}
