import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger, silentLogger } from '../../core/log.ts';
import { exec } from '../../plugins/exec/index.ts';
import { envName } from '../../plugins/exec/env.ts';
import { received as sms, seedBacklog } from '../fixtures/events.ts';
import { waitFor } from '../file/wait.ts';

type Options = Parameters<typeof exec>[0];

function build(dataDir: string, options: Options, extra: { clock?: ManualClock; logs?: string[]; level?: 'debug' | 'info' } = {}) {
  const clock = extra.clock ?? new ManualClock();
  const log = extra.logs
    ? createLogger({
        level: extra.level ?? 'debug',
        destination: new Writable({
          write(chunk, _enc, cb) {
            extra.logs!.push(String(chunk));
            cb();
          },
        }),
      })
    : silentLogger();
  const agent = createAgent(resolveConfig({ agentId: 'pi-test', dataDir, plugins: [exec(options)] }), { log, clock });
  return { agent, clock };
}

const sh = (script: string, extra: Partial<Options> = {}): Options => ({ command: 'sh', args: ['-c', script], ...extra }) as Options;

const received = (n: number, text = `your code is ${n}`) => sms(n, { text });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('envName turns camelCase fields into SMSEDGE_ suffixes', async (t) => {
  t.equal(envName('from'), 'FROM');
  t.equal(envName('messageId'), 'MESSAGE_ID');
  t.equal(envName('signalDbm'), 'SIGNAL_DBM');
});

t.test('the program gets the event JSON on stdin and SMSEDGE_* variables, but not the agent secrets', async (t) => {
  const dir = t.testdir();
  process.env.SMSEDGE_API_KEY = 'k-should-not-leak';
  t.teardown(() => void delete process.env.SMSEDGE_API_KEY);
  const { agent } = build(dir, sh('cat > "$OUT/$SMSEDGE_EVENT_ID.json"; env > "$OUT/$SMSEDGE_EVENT_ID.env"', { env: { OUT: dir } }));
  await agent.start();
  const e = agent.journal.append('sms.received', received(1, 'héllo\0 wörld'));
  await waitFor(() => agent.journal.lags().exec === 0, 'acknowledged');
  t.same(JSON.parse(readFileSync(join(dir, `${e.id}.json`), 'utf8')), { id: e.id, type: 'sms.received', timestamp: e.timestamp, data: received(1, 'héllo\0 wörld') });
  const env = Object.fromEntries(
    readFileSync(join(dir, `${e.id}.env`), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  t.match(env, {
    SMSEDGE_EVENT: 'sms.received',
    SMSEDGE_EVENT_ID: e.id,
    SMSEDGE_TIMESTAMP: e.timestamp,
    SMSEDGE_AGENT_ID: 'pi-test',
    SMSEDGE_FROM: '+15550100100',
    SMSEDGE_TEXT: 'héllo wörld',
    SMSEDGE_MESSAGE_ID: 'm1',
    SMSEDGE_PARTS: '1',
    SMSEDGE_SMSC: '',
    OUT: dir,
  });
  t.ok(env.PATH, 'PATH passed through');
  t.notOk('SMSEDGE_API_KEY' in env, 'secrets stay out of the program environment');
  await agent.stop();
});

t.test("a sent message's callbackUrl reaches neither the program's stdin nor its environment", async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, sh('cat > "$OUT/stdin.json"; env > "$OUT/env.txt"', { env: { OUT: dir } }));
  await agent.start();
  const sent = { messageId: 'm1', to: '+15550100100', modem: 'default', callbackUrl: 'https://hooks.example/cb?token=s3cr3t-cb', parts: 1, sentAt: '2026-01-01T00:00:00.000+00:00', references: [7] };
  agent.journal.append('sms.sent', sent);
  await waitFor(() => agent.journal.lags().exec === 0, 'acknowledged');
  await agent.stop();
  const stdin = readFileSync(join(dir, 'stdin.json'), 'utf8');
  const env = readFileSync(join(dir, 'env.txt'), 'utf8');
  t.match(JSON.parse(stdin), { type: 'sms.sent', data: { messageId: 'm1', references: [7] } });
  t.match(env, /^SMSEDGE_MESSAGE_ID=m1$/m, 'the other fields are there');
  t.notMatch(stdin, /callbackUrl|hooks\.example|s3cr3t-cb/);
  t.notMatch(env, /SMSEDGE_CALLBACK_URL|hooks\.example|s3cr3t-cb/);
});

t.test('exit 0 acknowledges; a failure is retried with backoff until it succeeds', async (t) => {
  const dir = t.testdir();
  const counter = join(dir, 'count');
  const { agent, clock } = build(dir, sh(`n=$(cat "${counter}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${counter}"; [ $n -ge 3 ]`, { retry: { initialMs: 1000, maxMs: 60_000 } }));
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 1, 'first failure');
  t.equal(readFileSync(counter, 'utf8').trim(), '1');
  await clock.advance(999);
  t.equal(readFileSync(counter, 'utf8').trim(), '1', 'not retried before the backoff');
  await clock.advance(1);
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 2, 'second failure');
  await clock.advance(2000); // doubled
  await waitFor(() => agent.journal.lags().exec === 0, 'acknowledged on the third run');
  t.equal(readFileSync(counter, 'utf8').trim(), '3');
  t.match((await agent.health()).plugins.exec, { status: 'pass', runs: 3, failures: 2, running: 0 });
  await agent.stop();
});

t.test('an event the program fails on every time is skipped after maxAttempts, and later events run', async (t) => {
  const dir = t.testdir();
  const seen = join(dir, 'seen');
  // Fails on the first event only; records every run's uptimeSeconds.
  const { agent, clock } = build(dir, sh(`input=$(cat); n=$(echo "$input" | sed 's/.*"uptimeSeconds":\\([0-9]*\\).*/\\1/'); echo $n >> "${seen}"; [ "$n" != 1 ]`, { maxAttempts: 2, retry: { initialMs: 1000, maxMs: 1000 } }));
  await agent.start();
  const first = agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 2 });
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 1, 'first failure');
  t.equal(agent.journal.lags().exec, 2, 'the second event waits behind the first (concurrency 1)');
  await clock.advance(1000);
  await waitFor(() => agent.journal.lags().exec === 0, 'the first given up, the second run');
  t.same(readFileSync(seen, 'utf8').trim().split('\n'), ['1', '1', '2'], 'two runs of the first event, then the second');
  t.match((await agent.health()).plugins.exec, { runs: 3, failures: 2, skipped: 1, lastSkipped: { event: first.id, attempts: 2 } });
  await agent.stop();
});

t.test('a program that overruns the timeout is killed (SIGTERM) and the event retried', async (t) => {
  const dir = t.testdir();
  const pidFile = join(dir, 'pid');
  const { agent, clock } = build(dir, sh(`echo $$ > "${pidFile}"; exec sleep 60`, { timeoutMs: 5000 }));
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  const pid = Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 'the program to start'));
  await clock.advance(4999);
  t.ok(alive(pid), 'still running before the timeout');
  await clock.advance(1);
  await waitFor(() => !alive(pid), 'the program to be killed');
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 1, 'the failure recorded');
  t.match((await agent.health()).plugins.exec, { status: 'warn', lastError: { code: 'exec_timeout' } });
  t.equal(agent.journal.lags().exec, 1, 'not acknowledged');
  await agent.stop();
});

t.test('a program ignoring SIGTERM is SIGKILLed after the grace period', async (t) => {
  const dir = t.testdir();
  const pidFile = join(dir, 'pid');
  const { agent, clock } = build(dir, sh(`trap '' TERM; echo $$ > "${pidFile}"; while :; do sleep 0.05; done`, { timeoutMs: 1000, killGraceMs: 2000 }));
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  const pid = Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 'the program to start'));
  await clock.advance(1000);
  t.ok(alive(pid), 'SIGTERM ignored');
  await clock.advance(2000);
  await waitFor(() => !alive(pid), 'SIGKILL');
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 1, 'the failure recorded');
  await agent.stop();
});

t.test('a missing program is a spawn error, retried, never a crash', async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, { command: join(dir, 'no-such-program') });
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  await waitFor(async () => (await agent.health()).plugins.exec?.failures === 1, 'the failure');
  t.match((await agent.health()).plugins.exec, { lastError: { code: 'exec_spawn_failed' } });
  await agent.stop();
});

t.test('concurrency bounds the programs running at once', async (t) => {
  const dir = t.testdir();
  const release = join(dir, 'release');
  const { agent } = build(dir, sh(`touch "${dir}/started-$SMSEDGE_EVENT_ID"; while [ ! -f "${release}" ]; do sleep 0.01; done`, { concurrency: 2 }));
  await agent.start();
  for (let i = 0; i < 5; i++) agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: i });
  const started = () => readdirSync(dir).filter((f) => f.startsWith('started-')).length;
  await waitFor(() => started() === 2, 'two programs');
  t.equal((await agent.health()).plugins.exec?.running, 2);
  // Give a third a chance to start if the bound were broken: the running ones poll every 10 ms.
  await waitFor(async () => (await agent.health()).plugins.exec?.running === 2 && started() === 2, 'still two');
  writeFileSync(release, '');
  await waitFor(() => agent.journal.lags().exec === 0, 'all acknowledged');
  t.equal(started(), 5);
  await agent.stop();
});

t.test('program output is logged at debug only, with the SMS body and numbers in any notation redacted', async (t) => {
  const dir = t.testdir();
  const logs: string[] = [];
  const script = 'echo "got $SMSEDGE_TEXT from $SMSEDGE_FROM"; echo "warned" >&2; echo "call (555) 867-5309 or 0049 171 1234567"; printf "no newline"';
  const { agent } = build(dir, sh(script), { logs });
  await agent.start();
  agent.journal.append('sms.received', received(7, 'secret code 481516'));
  await waitFor(() => agent.journal.lags().exec === 0, 'acknowledged');
  await agent.stop();
  const out = logs.map((l) => JSON.parse(l)).filter((r) => r.msg === 'program output');
  // stdout and stderr are separate pipes: compare per stream.
  const by = (stream: string) => out.filter((r) => r.stream === stream).map((r) => [r.level, r.line]);
  t.same(by('stdout'), [
    ['debug', 'got [text] from +155****0100'],
    ['debug', 'call 555****5309 or 004****4567'],
    ['debug', 'no newline'],
  ]);
  t.same(by('stderr'), [['debug', 'warned']]);
  const all = logs.join('');
  t.notMatch(all, /481516/);
  t.notMatch(all, /15550100100/);
  t.notMatch(all, /867-5309|171 1234567/);
});

t.test('at info level, nothing a program prints reaches the log: not a transformed text, not a dashed number', async (t) => {
  const dir = t.testdir();
  const logs: string[] = [];
  // Upper-cased text and a number written with dashes: the shapes scrubbing cannot be sure to catch.
  const script = 'printf "%s\\n" "$SMSEDGE_TEXT" | tr a-z A-Z; echo "555-867-5309" >&2; exit 3';
  const { agent } = build(dir, sh(script, { maxAttempts: 1 }), { logs, level: 'info' });
  await agent.start();
  agent.journal.append('sms.received', received(9, 'meet me at noon'));
  await waitFor(() => agent.journal.lags().exec === 0, 'skipped after its one attempt');
  await agent.stop();
  const records = logs.map((l) => JSON.parse(l));
  t.equal(records.filter((r) => r.msg === 'program output').length, 0, 'no program output record');
  const failed = records.find((r) => /program failed/.test(r.msg));
  t.ok(failed, 'the failure itself is logged');
  t.equal(failed.exitCode, 3);
  const all = logs.join('');
  t.notMatch(all, /MEET ME AT NOON/);
  t.notMatch(all, /867-5309/);
});

t.test('a program printing one line of a multi-line SMS, or the code in it, logs neither', async (t) => {
  const dir = t.testdir();
  const logs: string[] = [];
  // The first line alone, then the last word (the code) via shell parameter expansion.
  const script = 'printf "%s\\n" "$SMSEDGE_TEXT" | head -n 1; echo "code=${SMSEDGE_TEXT##* }"';
  const { agent } = build(dir, sh(script), { logs });
  await agent.start();
  agent.journal.append('sms.received', received(8, 'Your bank login\nsecurity code 739204'));
  await waitFor(() => agent.journal.lags().exec === 0, 'acknowledged');
  await agent.stop();
  const lines = logs.map((l) => JSON.parse(l)).filter((r) => r.msg === 'program output').map((r) => r.line);
  t.same(lines, ['[text]', 'code=[text]']);
  const all = logs.join('');
  t.notMatch(all, /739204/);
  t.notMatch(all, /bank login/);
});

t.test('stopping the agent terminates running programs; their events run again next start', async (t) => {
  const dir = t.testdir();
  const ran = join(dir, 'ran');
  const { agent } = build(dir, sh(`echo start >> "${ran}"; exec sleep 60`));
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'x', uptimeSeconds: 1 });
  await waitFor(() => existsSync(ran), 'the program to start');
  await agent.stop();
  const again = build(dir, sh(`echo again >> "${ran}"`)).agent;
  await again.start();
  await waitFor(() => again.journal.lags().exec === 0, 'the event run again and acknowledged');
  t.same(readFileSync(ran, 'utf8').trim().split('\n'), ['start', 'again']);
  await again.stop();
});

t.test('SIGKILL of the agent mid-stream, restart: every event is handed to the program', async (t) => {
  const dir = t.testdir();
  const total = 300;
  const ids = seedBacklog(dir, 'exec', total);
  const out = join(dir, 'out.txt');
  const options = JSON.stringify(sh(`echo "$SMSEDGE_EVENT_ID" >> "${out}"`));
  const seen = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l.length === 36) : []);
  const run = () => spawn(process.execPath, [join(import.meta.dirname, '..', 'file', 'child.ts'), 'exec', dir, options], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = run();
  await waitFor(() => seen().length >= 30, 'some runs', 30_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = seen().length;
  t.ok(atKill < total, `killed mid-stream (${atKill} of ${total} run)`);
  const second = run();
  await waitFor(() => new Set(seen()).size === total, 'every event after restart', 60_000);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
  t.same([...new Set(seen())], ids, 'every event, in order');
  t.ok(seen().length - total <= 3, `only events in flight at the kill ran twice (${seen().length - total})`);
});
