// A full disk, from the outside: POST /sms/send answers 503 storage_full (not 500), /health fails with
// the reason, /metrics shows it, and the agent recovers by itself when room frees. Once with SQLite's
// own SQLITE_FULL from max_page_count (any machine), once on a real, small tmpfs (where it can be mounted).
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mountTmpfs, tmpfsSkipReason } from '../core/tmpfs.ts';
import { KEY, KEY_ENV } from './fixtures/agent.ts';

async function startAgent(t: Test, dataDir: string) {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const agent = createAgent(resolveConfig({ agentId: 'full', dataDir, plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: KEY_ENV })] }), {
    clock,
    log: silentLogger(),
  });
  await agent.start();
  t.teardown(() => agent.stop());
  const base = agent.use('api').urls()[0]!;
  const call = (path: string, init: { json?: unknown; key?: boolean } = {}) =>
    fetch(base + path, {
      method: init.json === undefined ? 'GET' : 'POST',
      headers: { ...(init.key === false ? {} : { authorization: `Bearer ${KEY}` }), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
  // Ten parts of GSM text: each accepted send takes a few pages.
  const send = () => call('/sms/send', { json: { to: '+15550100100', text: 'Disk space test. '.repeat(90) } });
  return { agent, clock, call, send };
}

type Rig = Awaited<ReturnType<typeof startAgent>>;

/** Sends until one is refused; every answer before it is 202, the refusal a 503 storage_full. */
async function sendUntilFull(t: Test, rig: Rig): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    const res = await rig.send();
    if (res.status === 202) {
      await res.body?.cancel();
      continue;
    }
    t.equal(res.status, 503, 'a full disk is 503, not 500');
    if (res.status !== 503) t.comment(await res.clone().text());
    const body = (await res.json()) as { error: { code: string; message: string } };
    t.equal(body.error.code, 'storage_full');
    t.match(body.error.message, /disk is full/);
    return;
  }
  t.fail('the disk never filled');
}

async function expectFailing(t: Test, rig: Rig): Promise<void> {
  let res = await rig.call('/health');
  t.equal(res.status, 503);
  const health = (await res.json()) as { status: string; store: { status: string; reason: string; since: string } };
  t.match(health, { status: 'fail', store: { status: 'fail', reason: 'storage_full', since: '2026-03-01T10:00:00.000+00:00' } });
  res = await rig.call('/health', { key: false });
  t.equal(res.status, 503);
  t.same(await res.json(), { status: 'fail' }, 'anyone sees fail');
  const metrics = await (await rig.call('/metrics')).text();
  t.match(metrics, /^smsedge_store_writable\{reason="storage_full"\} 0$/m);
}

async function expectRecovered(t: Test, rig: Rig): Promise<void> {
  // The agent tries again every 5 s by itself; no request needed.
  await rig.clock.advance(5_000);
  const res = await rig.call('/health');
  const health = (await res.json()) as { status: string; store: { status: string } };
  t.same(health.store, { status: 'pass' }, 'writable again');
  t.not(health.status, 'fail');
  t.match(await (await rig.call('/metrics')).text(), /^smsedge_store_writable 1$/m);
  const sent = await rig.send();
  t.equal(sent.status, 202, 'sends are accepted again');
}

t.test('SQLITE_FULL (max_page_count): 503 storage_full, /health and /metrics fail, recovery by itself', async (t) => {
  const rig = await startAgent(t, t.testdir());
  t.equal((await rig.send()).status, 202);
  const pages = rig.agent.store.get<{ page_count: number }>('PRAGMA page_count')!.page_count;
  rig.agent.store.get(`PRAGMA max_page_count = ${pages}`);
  await sendUntilFull(t, rig);
  await expectFailing(t, rig);
  await rig.clock.advance(5_000);
  t.equal((await rig.call('/health')).status, 503, 'still failing while the disk is full');
  rig.agent.store.get(`PRAGMA max_page_count = ${pages * 1000}`);
  await expectRecovered(t, rig);
});

t.test('a real full disk (a small tmpfs): the same answers, and the write-ahead log gives its room back', { skip: tmpfsSkipReason() }, async (t) => {
  const disk = mountTmpfs(t, '3m');
  // What the operator will delete to make room: another file on the same disk.
  const ballast = join(disk.dir, 'old-backup.tar');
  writeFileSync(ballast, Buffer.alloc(512 * 1024));
  const rig = await startAgent(t, join(disk.dir, 'data'));
  const wal = join(disk.dir, 'data', 'smsedge.db-wal');
  // The agent's own database and write-ahead log fill the disk.
  await sendUntilFull(t, rig);
  await expectFailing(t, rig);
  t.comment(`write-ahead log when the disk filled: ${statSync(wal).size} bytes`);
  rmSync(ballast);
  await rig.clock.advance(5_000);
  // Recovery checkpoints the log into the database and truncates it, as a restart would, and keeps
  // it short from then on: the freed room is not taken again by the log (the backlog of sends ran
  // meanwhile, each rewriting the same pages).
  const after = statSync(wal).size;
  t.ok(after < 1024 * 1024, `write-ahead log short after recovery (${after} bytes)`);
  await expectRecovered(t, rig);
  let accepted = 0;
  while (accepted < 50 && (await rig.send()).status === 202) accepted++;
  t.equal(accepted, 50, 'and sends go on being accepted');
});
