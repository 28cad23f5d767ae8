// Preloaded into the agent for the soak (`node --import probe.ts core/cli.ts start`): every
// SMSEDGE_PROBE_MS it writes one line `PROBE {json}` to stderr with the process's RSS, heap and
// event-loop delay since the last line, so the soak can watch the real agent process from outside.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const every = Number(process.env.SMSEDGE_PROBE_MS ?? 5000);
const resolution = 5;
const h = monitorEventLoopDelay({ resolution });
h.enable();
// The histogram records each timer tick's lateness plus the sampling interval itself: take that out.
const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - resolution);
setInterval(() => {
  const m = process.memoryUsage();
  process.stderr.write(
    `PROBE ${JSON.stringify({
      rssMb: Math.round(m.rss / 2 ** 17) / 8,
      heapMb: Math.round(m.heapUsed / 2 ** 17) / 8,
      externalMb: Math.round(m.external / 2 ** 17) / 8,
      eldP50Ms: ms(h.percentile(50)),
      eldP99Ms: ms(h.percentile(99)),
      eldMaxMs: ms(h.max),
    })}\n`,
  );
  h.reset();
}, every).unref();
