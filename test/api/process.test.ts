// /metrics is prom-client's registry: the agent's own series, collectors asked at scrape time, and
// prom-client's default process metrics, with the process_* names dashboards use.
import { createRequire } from 'node:module';
import t from 'tap';
import { MetricsError, Registry } from '../../plugins/api/metrics.ts';
import { harness } from './fixtures/agent.ts';

const lines = (text: string) => text.split('\n');

t.test('collectors: numbers, labelled samples, a summary with _sum and _count, a failing one skipped', async (t) => {
  const m = new Registry();
  const failures: string[] = [];
  m.onCollectError = (name) => failures.push(name);
  m.collect('smsedge_queue_depth', 'Queued', 'gauge', () => 3);
  const off = m.collect('smsedge_signal_dbm', 'Signal', 'gauge', async () => [{ labels: { modem: 'a' }, value: -71 }, { labels: { modem: 'b' }, value: Number.NaN }]);
  m.collect('smsedge_wait_seconds', 'Wait', 'summary', () => [{ labels: { quantile: '0.5' }, value: 0.25 }, { suffix: '_sum', value: 10 }, { suffix: '_count', value: 40 }]);
  m.collect('smsedge_broken', 'Broken', 'gauge', () => {
    throw new Error('the store is closed');
  });
  m.collect('smsedge_resets_total', 'Resets', 'counter', () => [{ value: 2, suffix: '_sum' }]);
  let text = await m.render();
  for (const line of [
    '# TYPE smsedge_queue_depth gauge', 'smsedge_queue_depth 3',
    'smsedge_signal_dbm{modem="a"} -71', 'smsedge_signal_dbm{modem="b"} NaN',
    '# TYPE smsedge_wait_seconds summary', 'smsedge_wait_seconds{quantile="0.5"} 0.25', 'smsedge_wait_seconds_sum 10', 'smsedge_wait_seconds_count 40',
    'smsedge_resets_total 2',
  ]) t.ok(lines(text).includes(line), line);
  t.same(failures, ['smsedge_broken'], 'the failing collector is reported, the scrape goes on');
  t.notOk(lines(text).some((l) => l.startsWith('smsedge_broken ')));
  t.throws(() => m.collect('smsedge_queue_depth', 'again', 'gauge', () => 1), MetricsError);
  off();
  off();
  text = await m.render();
  t.notMatch(text, /smsedge_signal_dbm/, 'unregistered');
  t.throws(() => m.collect('bad name', 'x', 'gauge', () => 1), { code: 'invalid_metric' });
  t.notMatch(await new Registry().render(), /process_/, 'no process metrics unless asked');
});

t.test('counters and gauges: prom-client refusals become MetricsError', async (t) => {
  const m = new Registry();
  const c = m.counter('smsedge_things_total', 'Things', ['kind']);
  c.inc({ kind: 'a' });
  c.labels({ kind: 'a' }).inc(2);
  t.throws(() => c.inc({ kind: 'a' }, -1), { code: 'invalid_metric' });
  t.throws(() => c.inc({ colour: 'red' }), { code: 'invalid_metric' }, 'an undeclared label');
  t.throws(() => c.labels({ colour: 'red' }), { code: 'invalid_metric' });
  m.counter('smsedge_things_total', 'Things', ['kind']).inc({ kind: 'b' }); // same name, same type: the same counter
  t.throws(() => m.gauge('smsedge_things_total', 'x'), /already registered as a counter/);
  const g = m.gauge('smsedge_level', 'Level');
  g.set(4);
  t.throws(() => g.set(1, { nope: 'x' }), { code: 'invalid_metric' });
  t.throws(() => m.counter('smsedge_odd_total', 'Odd', ['bad-label']), { code: 'invalid_metric', message: /smsedge_odd_total: / }, "prom-client's refusal, worded as ours");
  t.throws(() => m.gauge('0bad', 'x'), { code: 'invalid_metric' });
  const text = await m.render();
  t.ok(lines(text).includes('smsedge_things_total{kind="a"} 3'));
  t.ok(lines(text).includes('smsedge_level 4'));
  t.ok(lines(text).includes('smsedge_things_total{kind="b"} 1'));
});

t.test('GET /metrics on the agent: this process, under the names Prometheus clients use', async (t) => {
  const h = await harness(t);
  const scrape = async () => (await h.request('/metrics')).text();
  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}".]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  const first = await scrape();
  const rss = value(first, 'process_resident_memory_bytes');
  t.ok(rss > 10 * 2 ** 20 && Math.abs(rss - process.memoryUsage.rss()) < 100 * 2 ** 20, `rss ${rss} is this process's`);
  t.ok(value(first, 'nodejs_heap_size_used_bytes') > 2 ** 20);
  const start = value(first, 'process_start_time_seconds');
  t.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 5, 'start time is when this process started');
  const cpu = value(first, 'process_cpu_seconds_total');
  t.ok(cpu > 0);
  t.match(first, /^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
  t.match(first, /^# TYPE smsedge_http_requests_total counter$/m, "the agent's own series beside them");

  // The lag histogram (started by the first scrape) sees a loop kept busy for 80 ms.
  const stall = async (msBusy: number) => {
    const until = performance.now() + msBusy;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  await stall(25);
  await stall(80);
  const second = await scrape();
  t.ok(value(second, 'process_cpu_seconds_total') > cpu, 'CPU time read at the scrape (the stalls spent 105 ms)');
  const worst = value(second, 'nodejs_eventloop_lag_max_seconds');
  t.ok(worst >= 0.05 && worst < 5, `max lag ${worst} s shows the 80 ms stall`);
  t.ok(Number.isFinite(value(second, 'nodejs_eventloop_lag_p99_seconds')), 'quantiles are numbers, not NaN');
  t.notOk(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@opentelemetry')), "prom-client's CPU metric and its 6.8 MB @opentelemetry/api are not loaded");
});
