// SIM care (issue 29): a keep-alive SMS or USSD code when a prepaid SIM has been idle, and the event
// when a SIM storage is nearly full with what the agent did about it; simulator, manual clock.
import t from 'tap';
import * as v from 'valibot';
import { ManualClock } from '../../core/clock.ts';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { modemOptions } from '../../plugins/modem/options.ts';
import { KEY, KEY_ENV } from '../api/fixtures/agent.ts';
import { ofType, startRig } from './helpers.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');
// Health checks hourly: the clock is driven over days.
const quiet = { healthIntervalSeconds: 3600, retry: { initialDelayMs: 0 } };

t.test('keep-alive SMS: after everyDays of idleness, not while the SIM sends, not again after a restart', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(T0);
  const options = { ...quiet, keepAlive: { everyDays: 2, sms: { to: '+15550400100', text: 'still here' } } };
  const rig = await startRig(t, options, { dir, clock });
  const sms = rig.agent.use('sms');
  await clock.advance(2 * DAY - 60_000);
  t.equal(ofType(rig.events, 'sim.keepalive').length, 0, 'a SIM the agent has no record of: the count starts with the agent');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'the keep-alive SMS goes out');
  const first = ofType(rig.events, 'sim.keepalive')[0]!.data;
  t.match(first, { modem: 'default', kind: 'sms', idleSince: '2026-03-01T10:00:00' });
  t.match(sms.getMessage(first.messageId!), { to: '+15550400100', text: 'still here', clientRef: 'keep-alive', priority: 'low', modem: 'default' });
  t.same(rig.sim.sent().map((s) => s.text), ['still here']);

  // A real message a day later: the next keep-alive is two days after it, not after the keep-alive.
  await clock.advance(DAY);
  sms.send({ to: '+15550400101', text: 'real traffic', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'sent');
  const realAt = Date.parse(ofType(rig.events, 'sms.sent')[1]!.timestamp);
  await clock.advance(2 * DAY - 120_000);
  t.equal(ofType(rig.events, 'sim.keepalive').length, 1, 'the SIM was in use: no keep-alive');
  await rig.stop();

  const again = await startRig(t, options, { dir, clock });
  await clock.advance(30_000);
  t.equal(ofType(again.events, 'sim.keepalive').length, 0, 'not at start-up after a restart');
  await again.until(() => ofType(again.events, 'sim.keepalive').length === 1, 'due two days after the real message');
  const late = clock.now() - (realAt + 2 * DAY);
  t.ok(late >= 0 && late < 120_000, `on time (${late} ms after it was due)`);
});

t.test('keep-alive USSD: the code is run, its answer recorded', async (t) => {
  const rig = await startRig(t, { ...quiet, keepAlive: { everyDays: 1, ussd: '*100#' } });
  await rig.clock.advance(DAY - 1000);
  await rig.until(() => ofType(rig.events, 'sim.keepalive').length === 1, 'keep-alive');
  t.match(ofType(rig.events, 'sim.keepalive')[0]!.data, { kind: 'ussd', code: '*100#', answer: 'Your balance is 5.00 EUR.' });
  t.equal(rig.sim.sent().length, 0, 'no SMS');
});

t.test('keep-alive USSD the network refuses: tried again an hour later, nothing recorded until it works', async (t) => {
  const rig = await startRig(t, { ...quiet, keepAlive: { everyDays: 1, ussd: '*123#' } });
  await rig.clock.advance(DAY);
  await rig.until(() => rig.clock.now() >= T0 + DAY + 60_000, 'a minute past due');
  t.equal(ofType(rig.events, 'sim.keepalive').length, 0, 'refused: no keep-alive recorded');
  rig.sim.setUssdMenu({ '*123#': { text: 'Thank you' } });
  await rig.clock.advance(3600_000 - 120_000);
  t.equal(ofType(rig.events, 'sim.keepalive').length, 0, 'not before the hour is over');
  await rig.until(() => ofType(rig.events, 'sim.keepalive').length === 1, 'the retry');
  t.match(ofType(rig.events, 'sim.keepalive')[0]!.data, { kind: 'ussd', code: '*123#', answer: 'Thank you' });
});

t.test('keep-alive options: either sms or ussd', async (t) => {
  const parse = (keepAlive: unknown) => v.safeParse(modemOptions, { port: 'simulator', keepAlive });
  t.notOk(parse({ everyDays: 10 }).success, 'neither');
  t.notOk(parse({ ussd: '*100#', sms: { to: '+15550400100' } }).success, 'both');
  t.notOk(parse({ sms: { to: 'nobody' } }).success, 'a bad number');
  t.ok(parse({ sms: { to: '+15550400100' } }).success);
  t.equal((parse({ ussd: '*100#' }).output as { keepAlive: { everyDays: number } }).keepAlive.everyDays, 30, 'every 30 days by default');
});

t.test('a nearly full storage is emptied and reported once per filling', async (t) => {
  const rig = await startRig(t, quiet);
  rig.sim.fault('storage-full');
  await rig.clock.advance(3600_000);
  await rig.until(() => ofType(rig.events, 'sim.storage_nearly_full').length === 1, 'reported');
  const e = ofType(rig.events, 'sim.storage_nearly_full')[0]!.data;
  t.match(e, { modem: 'default', storage: rig.sim.modem.mem[2], action: 'emptied', usedAfter: 0 });
  t.equal(e.used, e.total, 'it was full');
  t.match(e.detail, new RegExp(`read and deleted ${e.used} of ${e.used} messages`));
  t.equal(ofType(rig.events, 'sms.received').length, e.used, 'each stored by the agent before it was deleted');
  await rig.clock.advance(2 * 3600_000);
  t.equal(ofType(rig.events, 'sim.storage_nearly_full').length, 1, 'not said again while it stays below');
  rig.sim.fault('storage-full');
  await rig.clock.advance(3600_000);
  await rig.until(() => ofType(rig.events, 'sim.storage_nearly_full').length === 2, 'filled again: said again');
});

t.test('huawei ^SMMEMFULL: the storage is checked and emptied at once, the held message then arrives', async (t) => {
  const rig = await startRig(t, { ...quiet, simulator: { profile: 'huawei' } });
  rig.sim.fault('storage-full');
  const start = rig.clock.now();
  rig.sim.receiveSms({ from: '+15550400103', text: 'arrives into a full storage' });
  await rig.until(() => ofType(rig.events, 'sim.storage_nearly_full').length === 1, 'reported', 60_000);
  t.ok(rig.clock.now() - start < 60_000, 'long before the hourly health check');
  const e = ofType(rig.events, 'sim.storage_nearly_full')[0]!.data;
  t.equal(e.action, 'emptied');
  t.ok(e.usedAfter <= 1, 'emptied (the held message may already be back in it)');
  await rig.until(() => ofType(rig.events, 'sms.received').some((e) => e.data.text === 'arrives into a full storage'), 'the message the network held', 600_000);
});

t.test('a storage full of sent items the agent may not delete is reported as kept', async (t) => {
  const rig = await startRig(t, { ...quiet, storageWarnPercent: 50 });
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  const [part] = encodeSubmit({ to: '+15550400102', text: 'my own sent item' }).parts;
  let n = 0;
  while (n * 100 < storage.capacity * 60 && storage.store({ stat: 3, kind: 'submit', pdu: part!.pdu, tpduLength: part!.tpduLength })) n++;
  await rig.clock.advance(3600_000);
  await rig.until(() => ofType(rig.events, 'sim.storage_nearly_full').length === 1, 'reported');
  t.match(ofType(rig.events, 'sim.storage_nearly_full')[0]!.data, { storage: storage.name, used: n, usedAfter: n, action: 'kept', detail: /drafts or sent items/ });
  t.equal(storage.used, n, 'the user\'s sent items are left alone');
});

t.test('/health and /metrics: storages per modem, nearly full, and the keep-alive due time', async (t) => {
  const clock = new ManualClock(T0);
  process.env[KEY_ENV] = KEY;
  const config = resolveConfig({
    agentId: 'care',
    dataDir: t.testdir(),
    plugins: [
      modem({ port: 'simulator', id: 'a', ...quiet, keepAlive: { everyDays: 1, ussd: '*100#' } }),
      modem({ port: 'simulator', id: 'b', ...quiet }),
      api({ port: 0, apiKeyEnv: KEY_ENV }),
    ],
  });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  const settle = async (cond: () => boolean, what: string) => {
    for (let i = 0; !cond(); i++) {
      if (i > 2000) throw new Error(`timed out waiting for ${what}`);
      await clock.advance(50);
    }
  };
  await settle(() => agent.use('sms').modems().every((m) => m.state === 'online'), 'modems online');
  const base = agent.use('api').urls()[0]!;
  const call = async (path: string) => {
    let done = false;
    const res = fetch(base + path, { headers: { authorization: `Bearer ${KEY}` } }).finally(() => (done = true));
    for (let i = 0; !done && i < 2000; i++) await clock.advance(50);
    return res;
  };
  const sims = agent.use('simulators');
  sims.get('b')!.fault('storage-full');
  await clock.advance(3600_000);
  await settle(() => ofType(events, 'sim.storage_nearly_full').length === 1, 'b reported');
  type Health = { modems: { id: string; storage?: { mem: string; used: number; total: number; nearlyFull: boolean }[]; keepAlive?: Record<string, unknown> }[] };
  const health = (await (await call('/health')).json()) as Health;
  const a = health.modems.find((m) => m.id === 'a')!;
  const b = health.modems.find((m) => m.id === 'b')!;
  const mem = sims.get('b')!.modem.mem[2];
  t.match(b.storage, [{ mem, used: 0, nearlyFull: true }], 'b: emptied, the filling reported (nearlyFull until it is below the mark at a check)');
  t.match(a.storage, [{ mem, used: 0, nearlyFull: false }]);
  t.same(a.keepAlive, { kind: 'ussd', everyDays: 1, lastActivityAt: '2026-03-01T10:00:00.000+00:00', lastKeepAliveAt: null, dueAt: '2026-03-02T10:00:00.000+00:00' });
  t.notOk('keepAlive' in b, 'no keepAlive option, no keepAlive field');
  const metrics = await (await call('/metrics')).text();
  t.match(metrics, new RegExp(`^smsedge_modem_storage_total\\{modem="b",storage="${mem}"\\} \\d+$`, 'm'));
  t.match(metrics, new RegExp(`^smsedge_modem_storage_used\\{modem="b",storage="${mem}"\\} 0$`, 'm'));
  t.match(metrics, /^smsedge_sim_keepalive_due_timestamp_seconds\{modem="a"\} 1772445600$/m);
  t.notMatch(metrics, /smsedge_sim_keepalive_due_timestamp_seconds\{modem="b"/);

  await clock.advance(DAY);
  await settle(() => ofType(events, 'sim.keepalive').length === 1, 'keep-alive of a');
  const after = (await (await call('/health')).json()) as Health;
  const ka = after.modems.find((m) => m.id === 'a')!.keepAlive!;
  t.equal(ka.lastKeepAliveAt, ka.lastActivityAt, 'the keep-alive is the last activity');
  t.equal(Date.parse(ka.dueAt as string) - Date.parse(ka.lastKeepAliveAt as string), DAY, 'the next one a day later');
  t.notOk(after.modems.find((m) => m.id === 'b')!.storage![0]!.nearlyFull, 'below the mark at a later check: no longer nearly full');
});
