// Preloaded into the agent for the soak and the memory bench (`node --import probe.ts core/cli.ts
// start`): every SMSEDGE_PROBE_MS it writes one line `PROBE {json}` to stderr with the process's RSS,
// heap and event-loop delay since the last line, so the real agent process can be watched from
// outside. On SIGUSR2 it collects garbage first (when run with --expose-gc) and writes a line with
// `gc: true`: the heap then is what the agent really retains (and with SMSEDGE_PROBE_SNAPSHOTS=<dir>
// writes a heap snapshot there, to compare two moments of a soak).
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { readFileSync } from 'node:fs';

const every = Number(process.env.SMSEDGE_PROBE_MS ?? 5000);
const resolution = 5;
const h = monitorEventLoopDelay({ resolution });
h.enable();
// The histogram records each timer tick's lateness plus the sampling interval itself: take that out.
const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - resolution);
const mb = (bytes: number) => Math.round(bytes / 2 ** 17) / 8;

function sample(extra: Record<string, unknown> = {}): void {
  const m = process.memoryUsage();
  process.stderr.write(
    `PROBE ${JSON.stringify({
      rssMb: mb(m.rss),
      heapMb: mb(m.heapUsed),
      externalMb: mb(m.external),
      eldP50Ms: ms(h.percentile(50)),
      eldP99Ms: ms(h.percentile(99)),
      eldMaxMs: ms(h.max),
      ...(process.env.SMSEDGE_PROBE_DETAIL ? detail() : {}),
      ...extra,
    })}\n`,
  );
  h.reset();
}

/** SMSEDGE_PROBE_DETAIL=1: where the RSS is (V8 heap reserved vs used, malloc, file-backed pages). */
function detail(): Record<string, unknown> {
  const m = process.memoryUsage();
  const v = getHeapStatistics();
  const smaps: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
      const f = /^(Rss|Anonymous|Shared_Clean|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
      if (f) smaps[f[1]!] = Math.round(Number(f[2]) / 102.4) / 10;
    }
  } catch {
    // not Linux
  }
  return {
    heapTotalMb: mb(m.heapTotal),
    arrayBuffersMb: mb(m.arrayBuffers),
    v8PhysicalMb: mb(v.total_physical_size),
    v8MallocMb: mb(v.malloced_memory),
    v8PeakMallocMb: mb(v.peak_malloced_memory),
    smapsMb: smaps,
  };
}

setInterval(sample, every).unref();
let snapshots = 0;
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  // SMSEDGE_PROBE_SNAPSHOTS=<dir>: also a heap snapshot each time, to compare what grows.
  const dir = process.env.SMSEDGE_PROBE_SNAPSHOTS;
  const snapshot = dir ? writeHeapSnapshot(join(dir, `agent-${++snapshots}.heapsnapshot`)) : undefined;
  sample({ gc: !!gc, ...(snapshot ? { snapshot } : {}) });
});
