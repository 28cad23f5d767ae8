import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Metrics, Sample } from './service.ts';

/** The event-loop delay quantiles reported at each scrape. */
export const delayQuantiles = [0.5, 0.9, 0.99] as const;

/** What is used of perf_hooks' IntervalHistogram (values in ns). */
export interface DelayHistogram {
  enable(): unknown;
  disable(): unknown;
  reset(): void;
  percentile(percentile: number): number;
  readonly count: number;
  readonly mean: number;
}

export interface ProcessMetricsOptions {
  /** How often the event-loop delay is sampled, in ms. Default 20 (50 timer wake-ups a second). */
  resolutionMs?: number;
  /** Tests pass readings of their own; default: this process. */
  read?: () => { rssBytes: number; heapUsedBytes: number; cpuMicros: number; startTimeMs: number };
  /** Tests pass a histogram they fill; default: monitorEventLoopDelay(). */
  histogram?: (resolutionMs: number) => DelayHistogram;
}

const readProcess = () => {
  const cpu = process.cpuUsage();
  return {
    rssBytes: process.memoryUsage.rss(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    cpuMicros: cpu.user + cpu.system,
    // When this process (image) started: a relaunch (core/relaunch.ts) counts from the second start.
    startTimeMs: performance.timeOrigin,
  };
};

/**
 * The process's own series, named as Prometheus client libraries name them so existing dashboards
 * work: resident memory, V8 heap in use, CPU seconds, start time, and the event-loop delay as a
 * summary. Its quantiles cover the time since the previous scrape (the histogram is reset at each
 * one: with two scrapers each sees only part of it), `_sum` and `_count` add up over the process's
 * life. Delay sampling starts at the first scrape, so an agent nobody scrapes pays no timer for it;
 * that first scrape reports no samples (NaN quantiles). Returns a function that removes the series
 * and stops the sampling.
 *
 * @example
 * const off = collectProcessMetrics(api.metrics);
 * // GET /metrics: process_resident_memory_bytes 1.2e8, nodejs_eventloop_delay_seconds{quantile="0.99"} 0.004, ...
 */
export function collectProcessMetrics(metrics: Metrics, options: ProcessMetricsOptions = {}): () => void {
  const resolutionMs = options.resolutionMs ?? 20;
  const read = options.read ?? readProcess;
  let histogram: DelayHistogram | undefined;
  let delaySum = 0;
  let delayCount = 0;

  // monitorEventLoopDelay records the interval between its timer's runs: the resolution plus how late
  // the loop was. Only the lateness is the delay.
  const seconds = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs) / 1000;
  const delaySamples = (): Sample[] => {
    if (!histogram) {
      histogram = (options.histogram ?? ((resolution) => monitorEventLoopDelay({ resolution })))(resolutionMs);
      histogram.enable();
    }
    const h = histogram;
    const n = h.count;
    const quantiles = delayQuantiles.map((q) => ({ labels: { quantile: String(q) }, value: n ? seconds(h.percentile(q * 100)) : Number.NaN }));
    if (n) {
      delaySum += seconds(h.mean) * n;
      delayCount += n;
    }
    h.reset();
    return [...quantiles, { suffix: '_sum', value: delaySum }, { suffix: '_count', value: delayCount }];
  };

  const offs = [
    metrics.collect('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge', () => read().rssBytes),
    metrics.collect('process_cpu_seconds_total', 'User and system CPU time spent in seconds', 'counter', () => read().cpuMicros / 1e6),
    metrics.collect('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds', 'gauge', () => Math.round(read().startTimeMs) / 1000),
    metrics.collect('nodejs_heap_used_bytes', 'V8 heap in use in bytes (live objects and garbage not yet collected)', 'gauge', () => read().heapUsedBytes),
    metrics.collect('nodejs_eventloop_delay_seconds', 'How late the event loop ran timers, in seconds; quantiles since the previous scrape', 'summary', delaySamples),
  ];
  return () => {
    for (const off of offs) off();
    histogram?.disable();
    histogram = undefined;
  };
}
