import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { SerialPort } from 'serialport';
import { main } from '../../core/cli.ts';
import { decodePdu, encodeSubmit } from '../../core/sms/index.ts';

function collect(stream: PassThrough): { text: () => string; waitFor: (re: RegExp) => Promise<string> } {
  let text = '';
  const waiters = new Set<() => void>();
  stream.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  return {
    text: () => text,
    waitFor: (re) => new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(text)}`)), 5000);
      const check = () => {
        if (re.test(text)) {
          waiters.delete(check);
          clearTimeout(guard);
          resolve(text);
        }
      };
      waiters.add(check);
      check();
    }),
  };
}

t.test('simulate --stdio speaks AT on the streams (in-process)', async (t) => {
  const dir = t.testdir({ 'inbox.json': JSON.stringify([{ from: '+491701234567', text: 'preloaded' }]) });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const running = main(['simulate', '--stdio', '--timing', 'off', '--profile', 'sim800', '--inbox', join(dir, 'inbox.json')], { stdin, stdout, stderr });
  stdin.write('ATE0\r');
  await out.waitFor(/OK\r\n$/);
  stdin.write('AT+CMGL=4\r');
  const text = await out.waitFor(/\+CMGL[\s\S]*OK\r\n$/);
  const pdu = /\+CMGL: 1,0,"",\d+\r\n([0-9A-F]+)\r\n/.exec(text)![1]!;
  t.equal(decodePdu(pdu).text, 'preloaded');
  stdin.end();
  t.equal(await running, 0);
});

t.test('simulate: timing on by default (set with flags), quirks from --quirk', async (t) => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out = collect(stdout);
  // A fast line and no network wait: the real clock runs this in a few ms.
  const running = main(['simulate', '--stdio', '--baud', '1000000', '--network-ms', '0', '--quirk', 'line-ending=lf', '--quirk', 'stall=5000/60000'], { stdin, stdout, stderr: new PassThrough() });
  stdin.write('ATE0\r');
  t.equal(await out.waitFor(/OK\n$/), 'ATE0\r\nOK\n', 'the echo as typed, then LF-only line endings');
  stdin.end();
  t.equal(await running, 0);
});

t.test('simulate: bad options are usage errors', async (t) => {
  const io = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
  for (const bad of [['--timing', 'maybe'], ['--baud', 'fast'], ['--baud', '10'], ['--quirk', 'colour=blue'], ['--quirk', 'line-ending=crcr'], ['--quirk', 'stall=0']]) {
    t.equal(await main(['simulate', '--stdio', ...bad], io()), 2, bad.join(' '));
  }
  t.equal(await main(['simulate'], io()), 2, '--stdio required');
  t.equal(await main(['simulate', '--stdio', '--profile', 'nokia'], io()), 2);
  const dir = t.testdir({ 'bad.json': '{"from": 1}' });
  t.equal(await main(['simulate', '--stdio', '--inbox', join(dir, 'bad.json')], io()), 2);
});

const hasSocat = spawnSync('socat', ['-V']).status === 0;

t.test('socat pty + the real serialport binding', { skip: hasSocat ? false : 'socat is not installed (apt-get install socat; CI installs it)' }, async (t) => {
  const dir = t.testdir({});
  const link = join(dir, 'ttySIM');
  const inbox = join(dir, 'inbox.json');
  writeFileSync(inbox, JSON.stringify([{ from: '+491701234567', text: 'over a real pty' }]));
  const node = process.execPath;
  const cli = new URL('../../core/cli.ts', import.meta.url).pathname;
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:${node} ${cli} simulate --stdio --timing off --profile quectel --inbox ${inbox}`], { stdio: 'ignore' });
  t.teardown(() => void socat.kill());
  // Waiting for another process to create the pty: bounded polling, not a simulated delay.
  for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 25));
  t.ok(existsSync(link), 'socat made the pty');
  const port = new SerialPort({ path: link, baudRate: 115200 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  t.teardown(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  let text = '';
  const wait = (re: RegExp) => new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(text)}`)), 8000);
    const check = () => {
      if (re.test(text)) {
        port.off('data', onData);
        clearTimeout(guard);
        resolve(text);
      }
    };
    const onData = (d: Buffer) => { text += d.toString('latin1'); check(); };
    port.on('data', onData);
    check();
  });
  const at = async (cmd: string, re = /\r\n(OK|ERROR|\+CM[ES] ERROR: \d+)\r\n$/) => {
    text = '';
    port.write(`${cmd}\r`);
    return wait(re);
  };
  t.match(await at('ATE0'), /OK/);
  t.match(await at('AT+CGMM'), /\r\nEC25\r\n\r\nOK\r\n/);
  const listing = await at('AT+CMGL=4');
  t.equal(decodePdu(/\+CMGL: 0,0,,\d+\r\n([0-9A-F]+)/.exec(listing)![1]!).text, 'over a real pty');
  const part = encodeSubmit({ to: '+491709876543', text: 'through socat' }).parts[0]!;
  await at(`AT+CMGS=${part.tpduLength}`, /\r\n> $/);
  text = '';
  port.write(`${part.pdu}\x1a`);
  t.match(await wait(/OK\r\n$/), /\+CMGS: 0\r\n/);
});
