// A plugin's metrics collector that throws: the API's registry logs it at error, naming the metric
// (and scrubbing the error like any log line), and the scrape still answers the other series.
import { Writable } from 'node:stream';
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { createLogger } from '../../core/log.ts';
import { createApiApp } from '../../plugins/api/app.ts';
import { Registry } from '../../plugins/api/metrics.ts';

t.test('a failing collector is logged with its metric name; the others are still scraped', async (t) => {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const api = createApiApp({ log: createLogger({ level: 'info', destination }), clock: new ManualClock(), apiKey: 'k'.repeat(32), bodyLimit: 65536 });
  api.metrics.collect('smsedge_webhook_deliveries', 'by status', 'gauge', () => {
    throw new Error('database is closed (for +15550100100)');
  });
  api.metrics.collect('smsedge_queue_depth', 'queued', 'gauge', () => 2);
  const text = await api.metrics.render();
  t.match(text, /^smsedge_queue_depth 2$/m);
  t.notMatch(text, /^smsedge_webhook_deliveries /m);
  const failed = logs.filter((l) => l.msg === 'metrics collector failed');
  t.equal(failed.length, 1);
  t.match(failed[0], { level: 'error', metric: 'smsedge_webhook_deliveries', err: { message: /database is closed/ } });
  t.notMatch(JSON.stringify(failed[0]), /5550100100/, 'scrubbed like any log line');
});

t.test('a registry nobody listens to still scrapes past a failing collector', async (t) => {
  const m = new Registry();
  m.collect('smsedge_broken', 'x', 'gauge', () => Promise.reject(new Error('no')));
  m.collect('smsedge_fine', 'y', 'gauge', () => 1);
  t.match(await m.render(), /^smsedge_fine 1$/m);
});
