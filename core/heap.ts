// A burst (a webhook backlog draining, a flood of SMS) grows the V8 heap, and Node 24's V8 keeps every
// page it used in a pool, released only under memory pressure: without this, the burst's peak stayed
// the agent's RSS for good (+166 MB after a 5,000-event backlog with V8's default heap sizing; a regular
// full GC gave back nothing, measured). V8's own memory reducer never asks for that. So once the agent
// is quiet again and has grown since the last time, it asks V8 for a "last resort" collection, the one
// V8 runs on memory pressure: after the same drain RSS was 100 MB instead of 262, 12 MB above idle
// (`npm run bench -- --only memory`). It costs one full collection (40-100 ms on a 2-core x86 server)
// at a quiet moment, at most once per growth.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './log.ts';

export interface HeapReleaseOptions {
  /** How often to look, in ms. */
  everyMs?: number;
  /** Growth of RSS since the last release that is worth a collection, in bytes. */
  growthBytes?: number;
  /** Event-loop utilization (0-1) over the last look below which the agent counts as quiet. */
  quietBelow?: number;
  log?: Logger;
  // Injected by tests.
  rss?: () => number;
  /** Event-loop utilization since the previous call. */
  utilization?: () => number;
  /** Runs the collection; undefined when this Node cannot (nothing is done then). */
  collect?: (() => void) | undefined;
}

export interface HeapRelease {
  /** One look: collects when quiet and grown. True when it collected. The timer calls it. */
  check(): boolean;
  /** How many collections ran. */
  readonly releases: number;
  stop(): void;
}

/**
 * V8's gc() with the "last-resort" flavour (what V8 does on memory pressure: repeated full collections
 * that also shrink the young generation and free pooled pages), taken from a context of its own so the
 * agent's global scope gets no `gc`. Undefined when this V8 refuses.
 */
export function lastResortCollector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as ((options: object) => void) | undefined;
    setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return undefined;
    return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    return undefined;
  }
}

function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

const MB = 2 ** 20;

/**
 * Gives a burst's memory back to the system once the agent is quiet: every `everyMs`, when the event
 * loop was less than `quietBelow` busy and RSS is `growthBytes` above what the last release left (or
 * none ran yet: the first quiet moment after start-up also gives back what starting took), it runs
 * lastResortCollector(). A release that frees nothing (RSS held by something else) is not repeated,
 * since the next one needs new growth.
 */
export function releaseHeapWhenQuiet(options: HeapReleaseOptions = {}): HeapRelease {
  const everyMs = options.everyMs ?? 500;
  const growth = options.growthBytes ?? 16 * MB;
  const quietBelow = options.quietBelow ?? 0.2;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const utilization = options.utilization ?? loopUtilization();
  const collect = 'collect' in options ? options.collect : lastResortCollector();
  let after: number | undefined;
  let releases = 0;
  const check = () => {
    const busy = utilization();
    if (!collect || busy >= quietBelow) return false;
    const before = rss();
    if (after !== undefined && before < after + growth) return false;
    const t0 = performance.now();
    collect();
    after = rss();
    releases++;
    options.log?.debug({ rssBeforeMb: Math.round(before / MB), rssAfterMb: Math.round(after / MB), heapMb: Math.round(getHeapStatistics().used_heap_size / MB), ms: Math.round(performance.now() - t0) }, 'heap released');
    // The collection itself kept the loop busy: not a sign of traffic.
    utilization();
    return true;
  };
  const timer = collect ? setInterval(check, everyMs) : undefined;
  timer?.unref();
  return {
    check,
    get releases() {
      return releases;
    },
    stop: () => clearInterval(timer),
  };
}
