// Preloaded into the agent for the soak and the memory bench (`node --import probe.ts core/cli.ts
// start`): every SMSEDGE_PROBE_MS it writes one line `PROBE {json}` to stderr with the process's RSS,
// heap and event-loop delay since the last line, so the real agent process can be watched from
// outside. On SIGUSR2 it collects garbage first (when run with --expose-gc) and writes a line with
// `gc: true`: the heap then is what the agent really retains.
import { monitorEventLoopDelay } from 'node:perf_hooks';

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
      ...extra,
    })}\n`,
  );
  h.reset();
}

setInterval(sample, every).unref();
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  sample({ gc: !!gc });
});
