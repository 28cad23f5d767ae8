import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { flushMicrotasks, ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { file } from '../../plugins/file/index.ts';
import { localDay } from '../../plugins/file/rotate.ts';
import { ping, received, seedBacklog } from '../fixtures/events.ts';
import { waitFor } from './wait.ts';

type Options = Parameters<typeof file>[0];

function build(dataDir: string, options: Options, clock = new ManualClock()) {
  const agent = createAgent(resolveConfig({ agentId: 'test', dataDir, plugins: [file(options)] }), { log: silentLogger(), clock });
  return { agent, clock };
}


/** The file's lines, parsed; while polling (`tolerant`), a line caught mid-write is left out. */
function lines(path: string, tolerant = false): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // Not there yet, or (while polling) renamed away by a rotation between two looks.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const raw = text.split('\n');
  if (tolerant) raw.pop(); // the part after the last newline is still being written
  return raw.filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch (error) {
      if (tolerant) return [];
      throw error;
    }
  });
}

t.test('writes each event as one JSON line: id plus the Standard Webhooks body, mode 0600', async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, {});
  await agent.start();
  const a = agent.journal.append('sms.received', received(1));
  const b = agent.journal.append('system.ping', ping(2));
  const path = join(dir, 'events.jsonl');
  await waitFor(() => lines(path, true).length === 2 && agent.journal.lags().file === 0, 'two lines, acknowledged');
  t.same(lines(path), [
    { id: a.id, type: 'sms.received', timestamp: a.timestamp, data: received(1) },
    { id: b.id, type: 'system.ping', timestamp: b.timestamp, data: ping(2) },
  ]);
  t.equal(statSync(path).mode & 0o777, 0o600);
  const health = await agent.health();
  t.match(health.plugins.file, { status: 'pass', written: 2, lag: 0 });
  await agent.stop();
});

t.test("a sent message's callbackUrl (another receiver's address) never reaches the file", async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, {});
  await agent.start();
  const sent = { messageId: 'm1', to: '+15550100100', modem: 'default', callbackUrl: 'https://hooks.example/cb?token=s3cr3t-cb', parts: 1, sentAt: '2026-01-01T00:00:00.000+00:00', references: [7] };
  const e = agent.journal.append('sms.sent', sent);
  const path = join(dir, 'events.jsonl');
  await waitFor(() => lines(path, true).length === 1 && agent.journal.lags().file === 0, 'one line');
  const { callbackUrl: _, ...rest } = sent;
  t.same(lines(path), [{ id: e.id, type: 'sms.sent', timestamp: e.timestamp, data: rest }]);
  t.notMatch(readFileSync(path, 'utf8'), /callbackUrl|hooks\.example|s3cr3t-cb/);
  await agent.stop();
});

t.test('an existing file with looser permissions is tightened to 0600', async (t) => {
  const dir = t.testdir({ 'events.jsonl': '' });
  const path = join(dir, 'events.jsonl');
  const { chmodSync } = await import('node:fs');
  chmodSync(path, 0o644);
  const { agent } = build(dir, {});
  await agent.start();
  agent.journal.append('system.ping', ping(1));
  await waitFor(() => lines(path, true).length === 1 && agent.journal.lags().file === 0, 'one line');
  t.equal(statSync(path).mode & 0o777, 0o600);
  await agent.stop();
});

t.test('the type filter and the predicate skip events (and still acknowledge them)', async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, { path: 'sms.jsonl', types: ['sms.received'], filter: (e) => e.type !== 'sms.received' || e.data.text !== 'code 2' });
  await agent.start();
  agent.journal.append('system.ping', ping(1));
  agent.journal.append('sms.received', received(1));
  agent.journal.append('sms.received', received(2));
  agent.journal.append('sms.received', received(3));
  const path = join(dir, 'sms.jsonl');
  await waitFor(() => lines(path, true).length === 2 && agent.journal.lags().file === 0, 'two lines, nothing pending');
  t.same(lines(path).map((l) => (l.data as { messageId: string }).messageId), ['m1', 'm3']);
  await agent.stop();
});

t.test('rotates by size, keeping the newest `keep` files, each line whole', async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, { rotate: { maxBytes: 1024, keep: 2 } });
  await agent.start();
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(agent.journal.append('sms.received', received(i)).id);
  const path = join(dir, 'events.jsonl');
  await waitFor(() => lines(path, true).some((l) => l.id === ids.at(-1)), 'the last event');
  await agent.stop();
  const day = localDay(new ManualClock().now());
  const rotated = readdirSync(dir).filter((f) => f.startsWith('events.') && f !== 'events.jsonl').sort();
  t.equal(rotated.length, 2, 'only two rotated files kept');
  for (const f of rotated) t.match(f, new RegExp(`^events\\.${day}\\.\\d+\\.jsonl$`));
  for (const f of [...rotated, 'events.jsonl']) t.ok(statSync(join(dir, f)).size <= 1024, `${f} within maxBytes`);
  // The kept files hold a contiguous tail of the stream, in order.
  const numbered = rotated.sort((x, y) => Number(x.split('.')[2]) - Number(y.split('.')[2]));
  const kept = [...numbered, 'events.jsonl'].flatMap((f) => lines(join(dir, f)).map((l) => l.id));
  t.same(kept, ids.slice(ids.length - kept.length));
  t.ok(kept.length < ids.length, 'older files were deleted');
});

t.test('rotates when the local day changes; the rotated file is named after its day', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(new Date(2026, 0, 1, 23, 0).getTime());
  const { agent } = build(dir, { rotate: { daily: true, keep: 3 } }, clock);
  await agent.start();
  const first = agent.journal.append('system.ping', ping(1));
  const path = join(dir, 'events.jsonl');
  await waitFor(() => lines(path, true).length === 1, 'first line');
  await clock.advance(2 * 3600_000);
  const second = agent.journal.append('system.ping', ping(2));
  await waitFor(() => lines(path, true)[0]?.id === second.id, 'second line in a new file');
  t.same(lines(join(dir, 'events.2026-01-01.1.jsonl')).map((l) => l.id), [first.id]);
  t.same(lines(path).map((l) => l.id), [second.id]);
  t.equal(statSync(join(dir, 'events.2026-01-01.1.jsonl')).mode & 0o777, 0o600);
  await agent.stop();
});

t.test('fsync completes before the journal acknowledges the event', async (t) => {
  const dir = t.testdir();
  const { agent } = build(dir, {});
  await agent.start();
  // Hold fsync: FileHandle is one class, so its prototype is patched for the duration of the test.
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const realSync = proto.sync;
  let release!: () => void;
  let syncCalls = 0;
  proto.sync = function (this: unknown) {
    syncCalls++;
    return new Promise<void>((resolve) => (release = resolve)).then(() => realSync.call(this));
  };
  t.teardown(() => void (proto.sync = realSync));
  agent.journal.append('system.ping', ping(1));
  await waitFor(() => syncCalls === 1, 'fsync called');
  for (let i = 0; i < 5; i++) await flushMicrotasks();
  t.equal(agent.journal.lags().file, 1, 'not acknowledged while fsync is pending');
  t.equal(lines(join(dir, 'events.jsonl')).length, 1, 'the line is written before the fsync');
  release();
  proto.sync = realSync;
  await waitFor(() => agent.journal.lags().file === 0, 'acknowledged after fsync');
  await agent.stop();
});

t.test('a failing write is retried under backoff, reported in health, and nothing is skipped', async (t) => {
  const dir = t.testdir();
  // The directory the file goes in is blocked by a plain file: mkdir fails with ENOTDIR/EEXIST.
  writeFileSync(join(dir, 'out'), 'not a directory');
  const { agent, clock } = build(dir, { path: 'out/events.jsonl' });
  await agent.start();
  const a = agent.journal.append('system.ping', ping(1));
  const b = agent.journal.append('system.ping', ping(2));
  await waitFor(async () => (await agent.health()).plugins.file?.status === 'fail', 'health to fail');
  t.match((await agent.health()).plugins.file, { status: 'fail', lag: 2 });
  rmSync(join(dir, 'out'));
  mkdirSync(join(dir, 'out'));
  await clock.advance(500); // first retry delay
  const path = join(dir, 'out', 'events.jsonl');
  await waitFor(() => lines(path, true).length === 2, 'both lines after the retry');
  t.same(lines(path).map((l) => l.id), [a.id, b.id]);
  t.equal((await agent.health()).plugins.file?.status, 'pass');
  await agent.stop();
});

t.test('a torn last line from a crash is ended, so every later line parses', async (t) => {
  const dir = t.testdir({ 'events.jsonl': '{"id":"whole"}\n{"id":"tor' });
  const { agent } = build(dir, {});
  await agent.start();
  const e = agent.journal.append('system.ping', ping(1));
  const path = join(dir, 'events.jsonl');
  await waitFor(() => readFileSync(path, 'utf8').includes(e.id), 'the new line');
  const raw = readFileSync(path, 'utf8').split('\n');
  t.equal(raw[1], '{"id":"tor');
  t.equal(JSON.parse(raw[2]!).id, e.id);
  await agent.stop();
});

t.test('options are validated, naming the key', async (t) => {
  t.throws(() => resolveConfig({ plugins: [file({ rotate: { maxBytes: 10 } })] }), { code: 'config_error', message: /rotate\.maxBytes/ });
  t.throws(() => resolveConfig({ plugins: [file({ types: ['sms.nope'] } as never)] }), { code: 'config_error', message: /types/ });
});

t.test('SIGKILL mid-stream, restart: every event ends up in the file, in order, lines whole', async (t) => {
  const dir = t.testdir();
  const total = 1500;
  // Events are committed before the agent starts, as if received just before a crash.
  const ids = seedBacklog(dir, 'file', total);

  const path = join(dir, 'events.jsonl');
  const run = () => spawn(process.execPath, [join(import.meta.dirname, 'child.ts'), 'file', dir, '{}'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = run();
  await waitFor(() => existsSync(path) && statSync(path).size > 0 && lines(path, true).length >= 200, 'some lines', 30_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = lines(path).length;
  t.ok(atKill < total, `killed mid-stream (${atKill} of ${total} written)`);

  const second = run();
  await waitFor(() => new Set(lines(path, true).map((l) => l.id)).size === total, 'all events after restart', 60_000);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));

  const got = lines(path).map((l) => l.id as string);
  const firstSeen = [...new Set(got)];
  t.same(firstSeen, ids, 'every event, in journal order');
  t.ok(got.length - total <= 3, `only events in flight at the kill are written twice (${got.length - total} duplicates)`);
});
