// `smsedge doctor`: through the running agent (GET /modems/:id/doctor, and --send-to's round trip
// with its delivery report), and straight on a port (a simulated modem on socat's pseudo-terminal).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { main } from '../../core/cli.ts';
import { ManualClock } from '../../core/clock.ts';
import { doctor } from '../../core/commands/doctor.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { runChecks } from '../../plugins/modem/doctor.ts';
import { probe } from '../../core/commands/init.ts';
import { freePort } from '../bench/proc.ts';

const KEY = 'doctor-test-key-0123456789abcdef';
const cli = fileURLToPath(new URL('../../core/cli.ts', import.meta.url));
const hasSocat = spawnSync('socat', ['-V']).status === 0;

function io() {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(String(c)), cb()) });
  return { io: { stdin: new PassThrough(), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

t.test('through the running agent: every check passes on the simulator, and the round trip gets its report', async (t) => {
  const port = await freePort();
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  process.env.SMSEDGE_DOCTOR_TEST_KEY = KEY;
  const config = resolveConfig({ agentId: 'doc', dataDir: t.testdir(), plugins: [modem({ port: 'simulator', retry: { initialDelayMs: 0 } }), api({ port, apiKeyEnv: 'SMSEDGE_DOCTOR_TEST_KEY' })] });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; i < 2000 && agent.use('sms').modems()[0]!.state !== 'online'; i++) await clock.advance(50);
  const common = ['--url', `http://127.0.0.1:${port}`, '--key-env', 'SMSEDGE_DOCTOR_TEST_KEY', '--env-file', '/dev/null'];

  const plain = io();
  t.equal(await main(['doctor', ...common], plain.io), 0, plain.out() + plain.err());
  for (const check of ['port', 'at', 'sim', 'registration', 'signal', 'smsc', 'storage', 'indications'])
    t.match(plain.out(), new RegExp(`^default\\s+${check}\\s+PASS\\s+\\S`, 'm'), check);
  t.match(plain.out(), /registration\s+PASS\s+home on smsedge sim \(LTE\)/);
  t.match(plain.out(), /\nPASS\n$/);

  // The round trip: the sleep between looks advances the agent's clock (the simulator's report comes after 3 s).
  const trip = io();
  const code = await doctor(['--send-to', '+15550100199', '--json', ...common], trip.io, { sleep: (ms) => clock.advance(ms) });
  const body = JSON.parse(trip.out()) as { status: string; reports: { checks: { name: string; status: string; detail: string }[] }[] };
  t.equal(code, 0, trip.out());
  t.match(body.reports[0]!.checks.at(-1), { name: 'roundtrip', status: 'pass', detail: /delivery report after/ });

  const unknown = io();
  t.equal(await main(['doctor', '--modem', 'nope', ...common], unknown.io), 1);
  t.match(unknown.err(), /smsedge doctor: modem "nope": id: no modem "nope" \(404 not_found\)/);
});

t.test('straight on a port: a simulated modem behind socat, and a port that does not exist', { skip: hasSocat ? false : 'socat is not installed (apt-get install -y socat)' }, async (t) => {
  const dir = t.testdir();
  const link = join(dir, 'ttyDOC');
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:"${process.execPath} ${cli} simulate --stdio --timing off"`], { stdio: 'ignore' });
  t.teardown(() => socat.kill('SIGTERM'));
  for (let i = 0; i < 1000 && !existsSync(link); i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 50));
  // The simulated modem answers once its process has started (seconds on a busy machine).
  t.ok((await probe(link, 115200, 20_000)).answers, 'the simulated modem answers');
  const r = io();
  t.equal(await main(['doctor', '--port', link, '--url', 'http://127.0.0.1:9', '--env-file', '/dev/null'], r.io), 0, r.out() + r.err());
  t.match(r.out(), new RegExp(`port\\s+PASS\\s+${link} opened at 115200 baud`));
  t.match(r.out(), /sim\s+PASS\s+SIM ready/);

  const missing = io();
  t.equal(await main(['doctor', '--port', join(dir, 'ttyNONE'), '--json'], missing.io), 1);
  t.match(JSON.parse(missing.out()), { status: 'fail', reports: [{ checks: [{ name: 'port', status: 'fail', detail: /No such file or directory/ }] }] });
});

t.test('the checks say what is wrong in plain words', async (t) => {
  const answers: Record<string, string[] | Error> = {
    AT: [],
    'AT+CPIN?': ['+CPIN: SIM PIN'],
    'AT+CEREG?': ['+CEREG: 0,2'],
    'AT+CGREG?': new Error('ERROR'),
    'AT+CREG?': ['+CREG: 0,3'],
    'AT+COPS?': ['+COPS: 0'],
    'AT+CSQ': ['+CSQ: 99,99'],
    'AT+CSCA?': ['+CSCA: "",129'],
    'AT+CPMS?': ['+CPMS: "SM",30,30,"SM",30,30,"SM",30,30'],
    'AT+CNMI?': ['+CNMI: 0,0,0,0,0'],
  };
  const checks = await runChecks(async (c) => {
    const a = answers[c];
    if (a instanceof Error || !a) throw a ?? new Error('no answer');
    return { lines: a };
  });
  const by = Object.fromEntries(checks.map((c) => [c.name, c]));
  t.match(by.sim, { status: 'fail', detail: /SMSEDGE_SIM_PIN/ });
  t.match(by.registration, { status: 'fail', detail: /not registered/ });
  t.match(by.signal, { status: 'fail', detail: /99/ });
  t.match(by.smsc, { status: 'fail' });
  t.match(by.storage, { status: 'warn', detail: /full/ });
  t.match(by.indications, { status: 'warn', detail: /not announced/ });
  const silent = await runChecks(async () => {
    throw new Error('timeout');
  });
  t.match(silent, [{ name: 'at', status: 'fail', detail: /no answer to AT/ }]);
});
