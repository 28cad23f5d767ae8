import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock, flushMicrotasks } from '../../core/clock.ts';
import type { AnyEvent } from '../../core/events.ts';
import { Journal } from '../../core/journal.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';

const log = silentLogger();
const ping = (n: number) => ({ agentId: 'a', uptimeSeconds: n });

function setup(t: Test, path = join(t.testdir(), 'j.db')) {
  const clock = new ManualClock();
  const store = openStore({ path });
  const journal = new Journal(store, { clock, log });
  t.teardown(() => store.close());
  return { clock, store, journal, path };
}

t.test('append commits an event with a time-sortable id, an offset timestamp and a sequence', async (t) => {
  const { journal } = setup(t);
  const a = journal.append('system.ping', ping(1));
  const b = journal.append('system.ping', ping(2));
  t.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  t.ok(a.id < b.id, 'ids sort in order of capture');
  t.match(a.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
  t.equal(b.seq, a.seq! + 1);
  t.same(journal.get(a.id)?.data, ping(1));
});

t.test('appending an existing id returns the stored event, not a duplicate', async (t) => {
  const { journal } = setup(t);
  const a = journal.append('system.ping', ping(1), { id: 'fixed-id' });
  const again = journal.append('system.ping', ping(99), { id: 'fixed-id' });
  t.equal(again.seq, a.seq);
  t.same(again.data, ping(1));
  t.equal(journal.head(), a.seq);
});

t.test('a sink gets events in order and its cursor survives a reopen', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'j.db');
  {
    const { journal, store } = setup(t, path);
    const seen: number[] = [];
    const sub = journal.subscribe('s', (e) => {
      seen.push((e.data as { uptimeSeconds: number }).uptimeSeconds);
    });
    for (let i = 1; i <= 5; i++) journal.append('system.ping', ping(i));
    await flushMicrotasks(20);
    t.same(seen, [1, 2, 3, 4, 5]);
    await sub.stop();
    journal.append('system.ping', ping(6));
    store.close();
  }
  const { journal } = setup(t, path);
  const seen: number[] = [];
  const sub = journal.subscribe('s', (e) => {
    seen.push((e.data as { uptimeSeconds: number }).uptimeSeconds);
  });
  await flushMicrotasks(20);
  t.same(seen, [6], 'only what the sink had not acknowledged');
  t.equal(sub.lag(), 0);
  await sub.stop();
});

t.test('a rejected event is retried after the backoff and blocks later ones (order kept)', async (t) => {
  const { journal, clock } = setup(t);
  const seen: string[] = [];
  let failures = 2;
  const sub = journal.subscribe(
    's',
    (e) => {
      const n = (e.data as { uptimeSeconds: number }).uptimeSeconds;
      if (n === 1 && failures-- > 0) throw new Error('receiver down');
      seen.push(String(n));
    },
    { backoff: (attempt) => attempt * 1000 },
  );
  journal.append('system.ping', ping(1));
  journal.append('system.ping', ping(2));
  await flushMicrotasks(20);
  t.same(seen, [], 'nothing passes the failing event');
  await clock.advance(1000);
  t.same(seen, [], 'second attempt failed too');
  await clock.advance(2000);
  t.same(seen, ['1', '2']);
  await sub.stop();
});

t.test('with concurrency, events run in parallel and the cursor only passes contiguous acks', async (t) => {
  const { journal, store } = setup(t);
  const release: (() => void)[] = [];
  const sub = journal.subscribe('s', () => new Promise<void>((r) => release.push(r)), { concurrency: 3 });
  for (let i = 1; i <= 4; i++) journal.append('system.ping', ping(i));
  await flushMicrotasks(20);
  t.equal(release.length, 3, 'three in flight');
  release[1]!();
  await flushMicrotasks(20);
  t.equal(release.length, 4, 'a slot freed for the fourth');
  const cursor = () => store.get<{ seq: number }>('SELECT seq FROM journal_cursors WHERE sink = ?', 's')!.seq;
  t.equal(cursor(), 0, 'the second is done but the first is not: cursor stays');
  release[0]!();
  await flushMicrotasks(20);
  t.equal(cursor(), 2);
  release[2]!();
  release[3]!();
  await flushMicrotasks(20);
  t.equal(cursor(), 4);
  await sub.stop();
});

t.test('types and filter acknowledge unwanted events without calling the handler', async (t) => {
  const { journal } = setup(t);
  const seen: string[] = [];
  const sub = journal.subscribe('s', (e) => void seen.push(e.type), { types: ['call.missed'] });
  journal.append('system.ping', ping(1));
  journal.append('call.missed', { from: '+15550100100', at: 'x', modem: 'm' });
  await flushMicrotasks(20);
  t.same(seen, ['call.missed']);
  t.equal(sub.lag(), 0);
  await sub.stop();
});

t.test('inside a transaction, nobody hears of an event before the commit; a rollback leaves nothing', async (t) => {
  const { journal, store } = setup(t);
  const heard: AnyEvent[] = [];
  journal.listen((e) => heard.push(e));
  store.transaction(() => {
    journal.append('system.ping', ping(1));
    t.equal(heard.length, 0);
  });
  t.equal(heard.length, 1);
  t.throws(() =>
    store.transaction(() => {
      journal.append('system.ping', ping(2));
      throw new Error('boom');
    }),
  );
  t.equal(heard.length, 1);
  t.equal(journal.range().length, 1);
});

t.test('prune deletes only acknowledged events older than the retention', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ path: join(t.testdir(), 'j.db') });
  t.teardown(() => store.close());
  const journal = new Journal(store, { clock, log, retentionMs: 60_000 });
  let block = true;
  const sub = journal.subscribe('s', () => {
    if (block) throw new Error('not yet');
  }, { backoff: () => 10 });
  journal.append('system.ping', ping(1));
  journal.append('system.ping', ping(2));
  await clock.advance(120_000);
  t.equal(journal.prune(), 0, 'unacknowledged events stay, however old');
  block = false;
  await clock.advance(10);
  await flushMicrotasks(20);
  t.equal(journal.prune(), 2);
  journal.append('system.ping', ping(3));
  await flushMicrotasks(20);
  t.equal(journal.prune(), 0, 'acknowledged but young');
  await sub.stop();
});

t.test('at-least-once across a real crash: SIGKILL before the ack, the event comes again with the same id', async (t) => {
  const dir = t.testdir();
  const db = join(dir, 'crash.db');
  const fixture = new URL('./fixtures/crash-sink.ts', import.meta.url).pathname;
  const run = (mode: string) =>
    new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [fixture, db, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // The child prints "received <id>" once its sink has the event; kill it before it acks.
        if (mode === 'crash' && out.includes('received ')) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => resolve({ code, signal, out }));
    });
  const first = await run('crash');
  t.equal(first.signal, 'SIGKILL');
  const committed = /committed (\S+)/.exec(first.out)![1];
  const firstReceived = /received (\S+)/.exec(first.out)![1];
  t.equal(firstReceived, committed);
  const second = await run('ack');
  t.equal(second.code, 0);
  const again = [...second.out.matchAll(/received (\S+)/g)].map((m) => m[1]);
  t.same(again, [committed], 'the unacknowledged event is handed over again, same id, once');
  const third = await run('ack');
  t.same([...third.out.matchAll(/received (\S+)/g)].map((m) => m[1]), [], 'acknowledged events are not redelivered');
});

t.test('a new sink gets the events of this run emitted before it subscribed, not older history', async (t) => {
  const path = join(t.testdir(), 'j.db');
  {
    const { journal, store } = setup(t, path);
    journal.append('system.ping', ping(1));
    store.close();
  }
  const { journal } = setup(t, path);
  journal.append('system.ping', ping(2));
  const seen: number[] = [];
  const sub = journal.subscribe('late', (e) => void seen.push((e.data as { uptimeSeconds: number }).uptimeSeconds));
  await flushMicrotasks(20);
  t.same(seen, [2]);
  await sub.stop();
});

t.test('the database file is readable by its owner only', async (t) => {
  const { statSync } = await import('node:fs');
  const { path, journal } = setup(t, join(t.testdir(), 'sub', 'j.db'));
  journal.append('system.ping', ping(1));
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
  t.equal(statSync(join(path, '..')).mode & 0o777, 0o700, 'a directory it creates is private');
});

t.test('retain keeps acknowledged events a plugin still needs', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ path: join(t.testdir(), 'j.db') });
  t.teardown(() => store.close());
  const journal = new Journal(store, { clock, log, retentionMs: 1000 });
  const sub = journal.subscribe('s', () => {});
  const first = journal.append('system.ping', ping(1));
  journal.append('system.ping', ping(2));
  await flushMicrotasks(20);
  let needed: number | null = first.seq!;
  const release = journal.retain('webhook', () => needed);
  await clock.advance(5000);
  t.equal(journal.prune(), 0, 'the retained event and those after it stay');
  needed = null;
  t.equal(journal.prune(), 2);
  release();
  await sub.stop();
});

t.test('a sink that is not running keeps its events until its cursor goes stale', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ path: join(t.testdir(), 'j.db') });
  t.teardown(() => store.close());
  const journal = new Journal(store, { clock, log, retentionMs: 1000, staleSinkMs: 60_000 });
  journal.cursor('optional-sink'); // known from an earlier run, not running now
  const sub = journal.subscribe('s', () => {});
  journal.append('system.ping', ping(1));
  await flushMicrotasks(20);
  await clock.advance(5000);
  t.equal(journal.prune(), 0, 'the absent sink has not seen it');
  await clock.advance(60_000);
  t.equal(journal.prune(), 1, 'after staleSinkMs it no longer holds events back');
  await sub.stop();
});

t.test('a rolled-back savepoint announces nothing', async (t) => {
  const { journal, store } = setup(t);
  const heard: string[] = [];
  journal.listen((e) => heard.push(e.id));
  store.transaction(() => {
    journal.append('system.ping', ping(1));
    try {
      store.transaction(() => {
        journal.append('system.ping', ping(2));
        throw new Error('inner fails');
      });
    } catch {}
  });
  t.equal(heard.length, 1);
  t.equal(journal.range().length, 1);
});

t.test('store.relaxed commits without waiting for the disk, and only outside a transaction', async (t) => {
  const { store } = setup(t);
  const level = () => store.get<{ synchronous: number }>('PRAGMA synchronous')!.synchronous;
  t.equal(level(), 2, 'FULL by default');
  t.equal(store.relaxed(() => level()), 1, 'NORMAL inside');
  t.equal(level(), 2, 'FULL again after');
  t.throws(() => store.relaxed(() => { throw new Error('boom'); }), /boom/);
  t.equal(level(), 2, 'FULL again after a throw');
  t.equal(store.transaction(() => store.relaxed(() => level())), 2, 'inside a transaction it joins it: the commit is the transaction’s');
  const normal = openStore({ path: join(t.testdir(), 'n.db'), synchronous: 'NORMAL' });
  t.teardown(() => normal.close());
  normal.relaxed(() => {});
  t.equal(normal.get<{ synchronous: number }>('PRAGMA synchronous')!.synchronous, 1, 'a NORMAL store stays NORMAL');
});

t.test('a running sink commits its cursor relaxed (visible to another connection); the save at stop is not relaxed', async (t) => {
  const { journal, store, path } = setup(t);
  let relaxed = 0;
  const real = store.relaxed.bind(store);
  store.relaxed = <T>(fn: () => T): T => {
    relaxed++;
    return real(fn);
  };
  const sub = journal.subscribe('s', () => {});
  for (let i = 1; i <= 3; i++) journal.append('system.ping', ping(i));
  await flushMicrotasks(20);
  await new Promise((r) => setImmediate(r));
  t.ok(relaxed > 0, 'saved through relaxed()');
  const other = openStore({ path });
  t.teardown(() => other.close());
  const cursor = () => other.get<{ seq: number }>('SELECT seq FROM journal_cursors WHERE sink = ?', 's')!.seq;
  t.equal(cursor(), 3, 'committed, not only held in memory');
  journal.append('system.ping', ping(4));
  await flushMicrotasks(20);
  await new Promise((r) => setImmediate(r));
  const before = relaxed;
  await sub.stop();
  t.equal(cursor(), 4);
  t.equal(relaxed, before, 'the final save at stop waits for the disk');
});

t.test('latest: the newest events of some types first, paged by event id, through the type index', async (t) => {
  const { journal, store } = setup(t);
  const calls = [1, 2, 3].map((n) => {
    journal.append('system.ping', ping(n));
    return journal.append('call.missed', { from: `+1555010010${n}`, at: '2026-11-23T07:00:0' + n + '+00:00', modem: 'default' });
  });
  journal.append('system.ping', ping(4));
  t.same(journal.latest({ types: ['call.missed'] }).map((e) => e.id), calls.map((c) => c.id).reverse(), 'newest first, other types left out');
  const first = journal.latest({ types: ['call.missed'], limit: 2 });
  t.same(first.map((e) => e.id), [calls[2]!.id, calls[1]!.id], 'limited');
  t.same(journal.latest({ types: ['call.missed'], beforeId: first[1]!.id, limit: 2 }).map((e) => e.id), [calls[0]!.id], 'the next page');
  t.same(journal.latest({ types: ['call.missed'], beforeId: 'no-such-event' }), [], 'an unknown (pruned) cursor ends the listing');
  t.same(journal.latest({ types: ['call.missed', 'system.ping'], limit: 2 }).map((e) => e.type), ['system.ping', 'call.missed'], 'several types, in journal order');
  t.same(journal.latest({ types: [] }), [], 'no types, nothing');
  const plan = store.all<{ detail: string }>("EXPLAIN QUERY PLAN SELECT seq FROM journal_events WHERE type IN ('call.missed') ORDER BY seq DESC LIMIT 50").map((r) => r.detail).join('; ');
  t.match(plan, /journal_events_type/, `the type index is used (${plan})`);
  t.notMatch(plan, /TEMP B-TREE/, 'without a sort');
});

t.test('without a backoff of its own, a failing sink is retried after 1 s, then twice as long each time, at most 5 min', async (t) => {
  const { journal, clock } = setup(t);
  const attempts: number[] = [];
  let fail = true;
  const sub = journal.subscribe('s', () => {
    attempts.push(clock.now());
    if (fail) throw new Error('receiver down');
  });
  const start = clock.now();
  journal.append('system.ping', ping(1));
  await flushMicrotasks(20);
  // 1 s, 2 s, 4 s ... 256 s, then 300 s (not 512 s) and 300 s again.
  const gaps = [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000];
  for (const gap of gaps) {
    await clock.advance(gap - 1);
    const before = attempts.length;
    await clock.advance(1);
    t.equal(attempts.length, before + 1, `retried ${gap} ms after the previous attempt`);
  }
  t.same(attempts.map((at) => at - start), [0, ...gaps.map((_, i) => gaps.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
  fail = false;
  await clock.advance(300_000);
  t.equal(sub.lag(), 0, 'delivered once the sink accepts it');
  await sub.stop();
});

t.test('lag and the last error are listed for the sinks running now, not for every sink ever seen', async (t) => {
  const { journal, clock } = setup(t);
  let fail = true;
  const gone = journal.subscribe('old-sink', () => {});
  await gone.stop();
  const sub = journal.subscribe(
    'webhook',
    () => {
      if (fail) throw new Error('POST https://user:pw@hooks.example.com/in?token=abc failed for +15550100199');
    },
    { backoff: () => 1000 },
  );
  journal.append('system.ping', ping(1));
  journal.append('system.ping', ping(2));
  await flushMicrotasks(20);
  t.same(journal.lags(), { webhook: 2 }, 'the stopped sink is not listed');
  const err = journal.sinkErrors().webhook!;
  t.equal(err.failing, true);
  t.match(err.at, /^\d{4}-\d\d-\d\dT/);
  t.notMatch(err.message, /pw@|token=abc|0100199/, `scrubbed (${err.message})`);
  fail = false;
  await clock.advance(1000);
  await flushMicrotasks(20);
  t.same(journal.lags(), { webhook: 0 });
  t.match(journal.sinkErrors(), { webhook: { failing: false } }, 'the last error kept, no longer failing');
  await sub.stop();
  t.same(journal.lags(), {}, 'nothing running, nothing listed');
  t.same(journal.sinkErrors(), {});
});
