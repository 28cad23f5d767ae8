import t from 'tap';
import { Registry } from '../../plugins/api/metrics.ts';
import { collectProcessMetrics, type DelayHistogram } from '../../plugins/api/process.ts';
import { harness } from './fixtures/agent.ts';

/** A histogram the test fills: `values` in ns, as monitorEventLoopDelay records them. */
function fakeHistogram() {
  const h = {
    values: [] as number[],
    enabled: 0,
    disabled: 0,
    resolution: 0,
    enable: () => h.enabled++,
    disable: () => h.disabled++,
    reset: () => void (h.values = []),
    get count() {
      return h.values.length;
    },
    get mean() {
      return h.values.reduce((a, b) => a + b, 0) / h.values.length;
    },
    percentile(p: number) {
      const sorted = [...h.values].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    },
  };
  return h satisfies DelayHistogram;
}

const lines = (text: string) => text.split('\n');
const ms = (n: number) => n * 1e6;

t.test('process series: values, Prometheus names and types', async (t) => {
  const metrics = new Registry();
  const readings = { rssBytes: 123_456_789, heapUsedBytes: 34_567_890, cpuMicros: 2_500_000, startTimeMs: 1_763_865_014_123.4 };
  const off = collectProcessMetrics(metrics, { read: () => readings, histogram: () => fakeHistogram() });
  let text = await metrics.render();
  for (const line of [
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes 123456789',
    '# TYPE nodejs_heap_used_bytes gauge',
    'nodejs_heap_used_bytes 34567890',
    '# TYPE process_cpu_seconds_total counter',
    'process_cpu_seconds_total 2.5',
    '# TYPE process_start_time_seconds gauge',
    'process_start_time_seconds 1763865014.123',
    '# TYPE nodejs_eventloop_delay_seconds summary',
  ])
    t.ok(lines(text).includes(line), line);
  readings.cpuMicros = 2_750_000;
  readings.rssBytes = 100;
  text = await metrics.render();
  t.ok(lines(text).includes('process_cpu_seconds_total 2.75'), 'read at each scrape');
  t.ok(lines(text).includes('process_resident_memory_bytes 100'));
  off();
  t.notMatch(await metrics.render(), /process_|nodejs_/, 'removed');
});

t.test('event-loop delay: quantiles since the previous scrape, resolution taken out; _sum and _count add up', async (t) => {
  const metrics = new Registry();
  const h = fakeHistogram();
  let made = 0;
  const off = collectProcessMetrics(metrics, {
    resolutionMs: 20,
    read: () => ({ rssBytes: 0, heapUsedBytes: 0, cpuMicros: 0, startTimeMs: 0 }),
    histogram: (resolution) => {
      made++;
      h.resolution = resolution;
      return h;
    },
  });
  t.equal(made, 0, 'nothing samples the loop before the first scrape');
  let text = await metrics.render();
  t.equal(made, 1);
  t.equal(h.enabled, 1);
  t.equal(h.resolution, 20);
  for (const line of [
    'nodejs_eventloop_delay_seconds{quantile="0.5"} NaN',
    'nodejs_eventloop_delay_seconds{quantile="0.99"} NaN',
    'nodejs_eventloop_delay_seconds_sum 0',
    'nodejs_eventloop_delay_seconds_count 0',
  ])
    t.ok(lines(text).includes(line), `first scrape: ${line}`);

  // 98 ticks on time (20 ms + 1 ms late), one 50 ms late, one 300 ms late.
  h.values = [...Array.from({ length: 98 }, () => ms(21)), ms(70), ms(320)];
  text = await metrics.render();
  for (const line of [
    'nodejs_eventloop_delay_seconds{quantile="0.5"} 0.001',
    'nodejs_eventloop_delay_seconds{quantile="0.9"} 0.001',
    'nodejs_eventloop_delay_seconds{quantile="0.99"} 0.05',
    'nodejs_eventloop_delay_seconds_count 100',
  ])
    t.ok(lines(text).includes(line), line);
  const sum = (s: string) => Number(/^nodejs_eventloop_delay_seconds_sum (\S+)$/m.exec(s)?.[1]);
  t.ok(Math.abs(sum(text) - (98 * 0.001 + 0.05 + 0.3)) < 1e-9, 'sum of the delays');
  t.equal(h.count, 0, 'the histogram is reset at each scrape');

  h.values = [ms(20), ms(20)];
  text = await metrics.render();
  t.ok(lines(text).includes('nodejs_eventloop_delay_seconds{quantile="0.99"} 0'), 'the 300 ms stall belongs to the previous window');
  t.ok(lines(text).includes('nodejs_eventloop_delay_seconds_count 102'), 'count keeps adding up');
  t.ok(Math.abs(sum(text) - (98 * 0.001 + 0.05 + 0.3)) < 1e-9);
  off();
  t.equal(h.disabled, 1, 'sampling stops with the plugin');
});

t.test('GET /metrics on the agent: this process, and a stalled loop shows in the delay', async (t) => {
  const h = await harness(t);
  const scrape = async () => (await h.request('/metrics')).text();
  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}".]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  const first = await scrape();
  const rss = value(first, 'process_resident_memory_bytes');
  t.ok(rss > 10 * 2 ** 20 && Math.abs(rss - process.memoryUsage.rss()) < 100 * 2 ** 20, `rss ${rss} is this process's`);
  t.ok(value(first, 'nodejs_heap_used_bytes') > 2 ** 20);
  const start = value(first, 'process_start_time_seconds');
  t.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 5, 'start time is when this process started');
  const cpu = value(first, 'process_cpu_seconds_total');
  t.ok(cpu > 0);

  // The sampling timer (started by the first scrape) measures from one run to the next: let it run
  // once, then stall the loop for 80 ms and let it run again. Busy, never asleep: the timer is overdue
  // each time, so it runs before a zero timeout.
  const stall = async (msBusy: number) => {
    const until = performance.now() + msBusy;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  await stall(25);
  await stall(80);
  const used = process.cpuUsage();
  const second = await scrape();
  t.ok(value(second, 'process_cpu_seconds_total') >= (used.user + used.system) / 1e6, 'CPU time read at the scrape');
  t.ok(value(second, 'process_cpu_seconds_total') > cpu);
  t.ok(value(second, 'nodejs_eventloop_delay_seconds_count') >= 1);
  const worst = value(second, 'nodejs_eventloop_delay_seconds{quantile="0.99"}');
  t.ok(worst >= 0.05 && worst < 5, `p99 ${worst} s shows the 80 ms stall`);
});
