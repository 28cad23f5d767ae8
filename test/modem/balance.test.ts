// SIM care: the balance read with the simulator's USSD answer, on the schedule (injected clock) and on
// demand (POST /modems/:id/balance), recorded as sim.balance / sim.balance_low, shown in /health and /metrics.
import t from 'tap';
import { api } from '../../plugins/api/index.ts';
import { readAmount } from '../../plugins/modem/balance.ts';
import { KEY, KEY_ENV } from '../api/fixtures/agent.ts';
import { ofType, startRig } from './helpers.ts';
import { resolveConfig } from '../../core/config.ts';
import { modem } from '../../plugins/modem/index.ts';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';

const HOUR = 3600_000;

t.test('readAmount: the named group, a decimal comma, thousands separators, the currency group', async (t) => {
  t.same(readAmount('Your balance is 5.00 EUR.', /(?<amount>[0-9.]+) (?<currency>[A-Z]{3})/), { amount: 5, currency: 'EUR' });
  t.same(readAmount('Guthaben: 12,34 EUR', /(?<amount>[0-9.,]+)/), { amount: 12.34, currency: null });
  t.same(readAmount('Credit 1.234,56', /(?<amount>[0-9.,]+)/), { amount: 1234.56, currency: null });
  t.same(readAmount('Credit 1,234.56', /(?<amount>[0-9.,]+)/), { amount: 1234.56, currency: null });
  t.equal(readAmount('no number here', /(?<amount>[0-9.]+)/), null);
  t.equal(readAmount('dots ...', /(?<amount>[0-9.]+)/), null, 'a separator alone is no amount');
});

t.test('a bad balance option is a config error naming the key', async (t) => {
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [modem({ port: 'simulator', balance: { ussd: '*100#', pattern: '([0-9]+)' } })] }), /balance\.pattern/);
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [modem({ port: 'simulator', balance: { ussd: 'call me' } })] }), /balance\.ussd/);
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [modem({ port: 'simulator', balance: { ussd: '*100#', pattern: '(?<amount>[0-9' } })] }), /balance\.pattern/);
});

t.test('the balance is read once online, then every everyHours; below low a sim.balance_low follows', async (t) => {
  const dir = t.testdir();
  const rig = await startRig(t, { balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+) (?<currency>[A-Z]{3})', everyHours: 24, low: 2 } }, { dir });
  await rig.until(() => ofType(rig.events, 'sim.balance').length === 1, 'first balance');
  const first = ofType(rig.events, 'sim.balance')[0]!;
  t.match(first.data, { modem: 'default', amount: 5, currency: 'EUR', answer: 'Your balance is 5.00 EUR.', low: false, trigger: 'schedule' });
  t.equal(ofType(rig.events, 'sim.balance_low').length, 0, 'not below low');
  t.match(rig.agent.use('sms').modems()[0]!.balance, { amount: 5, currency: 'EUR', checkedAt: first.data.checkedAt, low: false });

  // Nothing more until a day has passed; then the next reading, which is below low.
  rig.sim.setUssdMenu({ '*100#': { text: 'Your balance is 1.50 EUR.' } });
  await rig.clock.advance(23 * HOUR);
  t.equal(ofType(rig.events, 'sim.balance').length, 1, 'not before everyHours');
  await rig.until(() => ofType(rig.events, 'sim.balance').length === 2, 'second balance', 2 * HOUR);
  t.match(ofType(rig.events, 'sim.balance')[1]!.data, { amount: 1.5, low: true, trigger: 'schedule' });
  t.match(ofType(rig.events, 'sim.balance_low').map((e) => e.data), [{ modem: 'default', amount: 1.5, currency: 'EUR', threshold: 2 }]);
  const second = Date.parse(ofType(rig.events, 'sim.balance')[1]!.data.checkedAt);
  t.ok(second - Date.parse(first.data.checkedAt) >= 24 * HOUR, 'a day apart');

  // After a restart the reading is still there, and the network is not asked again before it is due.
  await rig.stop();
  const again = await startRig(t, { balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+)', everyHours: 24, low: 2 } }, { dir, clock: rig.clock });
  t.match(again.agent.use('sms').modems()[0]!.balance, { amount: 1.5, low: true });
  await again.clock.advance(HOUR);
  t.equal(ofType(again.events, 'sim.balance').length, 0, 'not read again at start');
});

t.test('a failed scheduled read is retried after 15 minutes, and health shows why it failed', async (t) => {
  const rig = await startRig(t, { balance: { ussd: '*100#', pattern: '(?<amount>[0-9]+[.][0-9]+)', everyHours: 24 } });
  await rig.until(() => ofType(rig.events, 'sim.balance').length === 1, 'first balance');
  rig.sim.setUssdMenu({ '*100#': { text: 'Service unavailable, try later' } });
  await rig.clock.advance(24 * HOUR);
  await rig.until(() => rig.agent.use('sms').modems()[0]!.balance?.lastError !== undefined, 'the failure recorded', HOUR);
  const b = rig.agent.use('sms').modems()[0]!.balance!;
  t.match(b, { amount: 5, lastError: { message: /no amount in the answer to \*100#: "Service unavailable, try later"/ } }, 'the last good reading stays');
  rig.sim.setUssdMenu({ '*100#': { text: 'Your balance is 7.25 EUR.' } });
  await rig.clock.advance(14 * 60_000);
  t.equal(ofType(rig.events, 'sim.balance').length, 1, 'not retried at once');
  await rig.until(() => ofType(rig.events, 'sim.balance').length === 2, 'retried', 2 * 60_000);
  t.match(rig.agent.use('sms').modems()[0]!.balance, { amount: 7.25 });
  t.notOk('lastError' in rig.agent.use('sms').modems()[0]!.balance!, 'a good reading clears the failure');
});

t.test('POST /modems/:id/balance reads it now; /health and /metrics show it; the errors', async (t) => {
  process.env[KEY_ENV] = KEY;
  t.teardown(() => void delete process.env[KEY_ENV]);
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const config = resolveConfig({
    agentId: 'bal',
    dataDir: t.testdir(),
    plugins: [
      modem({ port: 'simulator', id: 'a', balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+) (?<currency>[A-Z]{3})', everyHours: 0, low: 10 } }),
      modem({ port: 'simulator', id: 'b' }),
      api({ port: 0, apiKeyEnv: KEY_ENV }),
    ],
  });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  for (let i = 0; agent.use('sms').modems().some((m) => m.state !== 'online'); i++) {
    if (i > 2000) throw new Error('modems not online');
    await clock.advance(50);
  }
  const base = agent.use('api').urls()[0]!;
  // The simulator answers on the agent's clock: time moves while a request waits.
  const call = async (path: string, method = 'GET') => {
    let done = false;
    const res = fetch(base + path, { method, headers: { authorization: `Bearer ${KEY}` } }).finally(() => (done = true));
    for (let i = 0; !done && i < 2000; i++) await clock.advance(50);
    return res;
  };
  await clock.advance(2 * HOUR);
  t.equal(ofType(events, 'sim.balance').length, 0, 'everyHours 0: only on demand');

  let res = await call('/modems/a/balance', 'POST');
  t.equal(res.status, 200);
  const reading = (await res.json()) as Record<string, unknown>;
  t.match(reading, { modem: 'a', amount: 5, currency: 'EUR', answer: 'Your balance is 5.00 EUR.', low: true, checkedAt: /^2026-03-01T12:00/ });
  t.match(ofType(events, 'sim.balance').map((e) => e.data), [{ modem: 'a', amount: 5, low: true, trigger: 'request' }]);
  t.match(ofType(events, 'sim.balance_low').map((e) => e.data), [{ modem: 'a', amount: 5, threshold: 10 }]);

  const health = (await (await call('/health')).json()) as { modems: { id: string; balance?: unknown }[] };
  t.match(health.modems.find((m) => m.id === 'a'), { balance: reading });
  t.notOk('balance' in health.modems.find((m) => m.id === 'b')!, 'no balance option, no balance field');
  const metrics = await (await call('/metrics')).text();
  t.match(metrics, /^smsedge_sim_balance\{modem="a",currency="EUR"\} 5$/m);
  t.match(metrics, /^smsedge_sim_balance_checked_timestamp_seconds\{modem="a"\} 17723664\d\d$/m);

  const error = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;
  res = await call('/modems/b/balance', 'POST');
  t.same([res.status, await error(res)], [409, 'balance_not_configured']);
  res = await call('/modems/zz/balance', 'POST');
  t.same([res.status, await error(res)], [404, 'not_found']);
  agent.use('simulator').setUssdMenu({ '*100#': { text: 'Sorry' } });
  res = await call('/modems/a/balance', 'POST');
  t.same([res.status, await error(res)], [502, 'balance_unreadable']);
  t.match(ofType(events, 'sim.balance').length, 1, 'no event for an unreadable answer');
  agent.use('simulators').get('a')!.unplug();
  for (let i = 0; agent.use('sms').modems()[0]!.state === 'online'; i++) {
    if (i > 2000) throw new Error('modem a still online');
    await clock.advance(50);
  }
  res = await call('/modems/a/balance', 'POST');
  t.same([res.status, await error(res)], [503, 'modem_offline']);
});
