import { createRequire } from 'node:module';
import type { Counter as PromCounterType, Gauge as PromGaugeType, Metric, Registry as PromRegistryType } from 'prom-client';
import type { Counter, Gauge, Metrics, Sample } from './service.ts';

export class MetricsError extends Error {
  override name = 'MetricsError';
  readonly code = 'invalid_metric';
}

/** prom-client's own words for a bad name, label or value, as a MetricsError. */
function guarded<T>(name: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof MetricsError) throw error;
    throw new MetricsError(`${name}: ${(error as Error).message}`, { cause: error });
  }
}

/** prom-client takes a label it was not told of without a word: refuse it here. */
function known(name: string, labelNames: string[], labels: Record<string, string>): void {
  for (const key of Object.keys(labels)) if (!labelNames.includes(key)) throw new MetricsError(`${name}: unknown label "${key}"`);
}

// prom-client's own modules, not its index: the index loads every default metric, and the CPU one
// loads @opentelemetry/api for exemplars, 6.8 MB of resident memory on its own (measured beside h3,
// valibot and ofetch; the rest of prom-client with its default metrics is ~1.2 MB).
const require = createRequire(import.meta.url);
const PromRegistry = require('prom-client/lib/registry') as typeof PromRegistryType;
const PromCounter = require('prom-client/lib/counter') as typeof PromCounterType;
const PromGauge = require('prom-client/lib/gauge') as typeof PromGaugeType;
/** prom-client's default metrics (its collectDefaultMetrics list) but process CPU, which is below. */
const DEFAULT_METRICS = [
  'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors', 'eventLoopLag',
  'processResources', 'processHandles', 'processRequests', 'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc',
] as const;
type PromRegistry = PromRegistryType;
type PromCounter = PromCounterType;
type PromGauge = PromGaugeType;

let processRegistry: PromRegistry | undefined;

/**
 * prom-client's default process and Node.js series (process_resident_memory_bytes,
 * process_cpu_seconds_total, process_start_time_seconds, nodejs_heap_size_used_bytes, the event-loop
 * lag quantiles nodejs_eventloop_lag_p50/p90/p99_seconds, GC, handles, ...), once per process: they
 * describe the process, not one API instance. Made when the API starts, so the event-loop lag
 * histogram has samples by the first scrape (an empty one reads as NaN).
 */
function processMetrics(): PromRegistry {
  if (!processRegistry) {
    const registry = new PromRegistry();
    // 20 ms: 50 timer wake-ups a second for the lag histogram (prom-client's default is 10 ms).
    for (const name of DEFAULT_METRICS) {
      if (name === 'processResources' && typeof process.getActiveResourcesInfo !== 'function') continue;
      (require(`prom-client/lib/metrics/${name}`) as (r: PromRegistry, c: object) => void)(registry, { eventLoopMonitoringPrecision: 20 });
    }
    // CPU time since the process started, as prom-client's own process_cpu_* series are named.
    const cpu = (which: 'user' | 'system' | 'total') => {
      const used = process.cpuUsage();
      return (which === 'user' ? used.user : which === 'system' ? used.system : used.user + used.system) / 1e6;
    };
    for (const [name, help, which] of [
      ['process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'user'],
      ['process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'system'],
      ['process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'total'],
    ] as const) {
      new PromCounter({ name, help, registers: [registry], collect() {
        this.reset();
        this.inc(cpu(which));
      } });
    }
    processRegistry = registry;
  }
  return processRegistry;
}

/**
 * The API's Prometheus registry: prom-client's registry and exposition format, behind the small
 * `Metrics` interface plugins use (counters, gauges, and collectors asked at scrape time for a count
 * kept elsewhere: queue depths, signal, journal lag). With `process: true`, /metrics also carries
 * prom-client's default process metrics.
 *
 * @example
 * const metrics = new Registry();
 * metrics.counter('smsedge_webhook_attempts_total', 'Webhook delivery attempts', ['outcome']).inc({ outcome: 'ok' });
 * await metrics.render(); // '# HELP smsedge_webhook_attempts_total ...\nsmsedge_webhook_attempts_total{outcome="ok"} 1\n'
 */
export class Registry implements Metrics {
  readonly #prom = new PromRegistry();
  readonly #kinds = new Map<string, { type: 'counter' | 'gauge' | 'summary'; metric: unknown }>();
  readonly #process: boolean;
  /** Called when a collector throws; the scrape goes on without its values. */
  onCollectError: (name: string, error: unknown) => void = () => {};

  constructor(options: { process?: boolean } = {}) {
    this.#process = options.process ?? false;
    if (this.#process) processMetrics();
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    const counter = this.#metric(name, 'counter', () => new PromCounter({ name, help, labelNames, registers: [this.#prom] })) as PromCounter;
    const inc = (labels: Record<string, string>, by: number) => {
      known(name, labelNames, labels);
      if (!(by >= 0) || !Number.isFinite(by)) throw new MetricsError(`${name}: a counter only goes up (got ${by})`);
      guarded(name, () => counter.inc(labels, by));
    };
    return {
      inc: (labels = {}, by = 1) => inc(labels, by),
      labels: (labels) => {
        known(name, labelNames, labels);
        return { inc: (by = 1) => inc(labels, by) };
      },
    };
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    const gauge = this.#metric(name, 'gauge', () => new PromGauge({ name, help, labelNames, registers: [this.#prom] })) as PromGauge;
    return {
      set: (value, labels = {}) => {
        known(name, labelNames, labels);
        guarded(name, () => gauge.set(labels, value));
      },
    };
  }

  collect(name: string, help: string, type: 'gauge' | 'counter' | 'summary', collector: () => Sample[] | number | Promise<Sample[] | number>): () => void {
    if (this.#kinds.has(name)) throw new MetricsError(`${name}: already registered`);
    // A series computed at scrape time whose label names the collector decides: registered with
    // prom-client's registry as a custom metric (get() answers the samples).
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => {
        let samples: Sample[] = [];
        try {
          const got = await collector();
          samples = typeof got === 'number' ? [{ value: got }] : got;
        } catch (error) {
          this.onCollectError(name, error);
        }
        return {
          name, help, type, aggregator: 'sum' as const,
          // Only a summary's _sum and _count carry a suffix; elsewhere it would name another family.
          values: samples.map((s) => ({
            labels: s.labels ?? {},
            value: s.value,
            ...(type === 'summary' && (s.suffix === '_sum' || s.suffix === '_count') ? { metricName: `${name}${s.suffix}` } : {}),
          })),
        };
      },
      reset: () => {},
    };
    guarded(name, () => {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new MetricsError(`invalid metric name "${name}"`);
      this.#prom.registerMetric(metric as unknown as Metric);
    });
    this.#kinds.set(name, { type, metric });
    return () => {
      if (this.#kinds.get(name)?.metric !== metric) return;
      this.#kinds.delete(name);
      this.#prom.removeSingleMetric(name);
    };
  }

  async render(): Promise<string> {
    const parts = [await this.#prom.metrics()];
    if (this.#process) parts.push(await processMetrics().metrics());
    // prom-client writes NaN as "Nan"; the exposition format spells it NaN.
    return parts.filter((s) => s.trim()).map((s) => (s.endsWith('\n') ? s : `${s}\n`)).join('').replace(/ Nan$/gm, ' NaN');
  }

  /** The metric called `name`, made by `make` the first time; the same name with another type is an error. */
  #metric(name: string, type: 'counter' | 'gauge', make: () => unknown): unknown {
    const existing = this.#kinds.get(name);
    if (existing) {
      if (existing.type !== type) throw new MetricsError(`${name} is already registered as a ${existing.type}`);
      return existing.metric;
    }
    const metric = guarded(name, make);
    this.#kinds.set(name, { type, metric });
    return metric;
  }
}
