// Memory: RSS (VmRSS from /proc) of the agent with every plugin that has landed, idle on the built-in
// simulator, against a bare Node 24 HTTP server, each in its own child process, measured the same way
// after the same settling time; then the agent's RSS after draining a 5,000-event backlog (every sink caught
// up, then the same settling time; median of the same number of rounds).
// `npx node test/bench/memory.ts` prints the section alone.
import { fileURLToPath } from 'node:url';
import { startBroker } from './broker.ts';
import { fullAgentSpec, missing, prepareAgent, spawnAgent, waitOnline } from './agent.ts';
import { drainBacklog } from './pipeline.ts';
import { spawnBare } from './bare-http.ts';
import { rssMb } from './proc.ts';
import { startReceiver } from './receiver.ts';
import { median, ratio, round } from './stats.ts';

export interface MemoryBench {
  idleRssMb: number;
  /**
   * The same agent started again with the same config file, as every restart of a deployment: its
   * TypeScript then comes from the compile cache (core/relaunch.ts), while idleRssMb's config is new.
   */
  idleRestartRssMb: number | null;
  /** A bare node:http server in plain JavaScript. */
  baselineRssMb: number;
  ratio: number;
  /** The same server as a .ts file: what Node's type stripping alone adds (the agent pays it too). */
  baselineTsRssMb: number;
  afterBacklogRssMb: number | null;
  growthMb: number | null;
  /** V8 heap in use when idle, after a full GC. */
  idleHeapMb: number | null;
  /** V8 heap in use after the backlog and a full GC: what is retained, as opposed to RSS the allocator keeps. */
  afterBacklogHeapMb: number | null;
  backlog: number;
  settleMs: number;
  rounds: number;
  plugins: string[];
  notIncluded: string[];
  afterBacklogSkipped?: string;
}

const probeScript = fileURLToPath(new URL('./probe.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchMemory(opts: { rounds?: number; settleMs?: number; backlog?: number } = {}): Promise<MemoryBench | { skipped: string }> {
  const reason = await missing('modem', 'api');
  if (reason) return { skipped: reason };
  const rounds = opts.rounds ?? 3;
  const settleMs = opts.settleMs ?? 2000;
  const n = opts.backlog ?? 5000;
  const broker = await startBroker();
  const { spec, plugins, left } = await fullAgentSpec({ mqttUrl: broker?.url });
  try {
    const idle: number[] = [];
    const base: number[] = [];
    const baseTs: number[] = [];
    const idleHeap: number[] = [];
    const restart: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await prepareAgent(spec);
      // The same probe as after the backlog (RSS is read before it does anything).
      const child = spawnAgent(a, { nodeArgs: ['--expose-gc', '--import', probeScript], env: { SMSEDGE_PROBE_MS: '3600000' } });
      try {
        await waitOnline(a, child);
        await sleep(settleMs);
        idle.push(rssMb(child.pid));
        child.proc.kill('SIGUSR2');
        const probe = await child.stderrLine(/^PROBE (.+"gc":true.*)$/m, 5000).catch(() => undefined);
        if (probe) idleHeap.push((JSON.parse(probe[1]!) as { heapMb: number }).heapMb);
      } finally {
        await child.stop();
      }
      try {
        // The same node flags as above: the compile cache is kept per set of V8 flags.
        const again = spawnAgent(a, { nodeArgs: ['--expose-gc', '--import', probeScript], env: { SMSEDGE_PROBE_MS: '3600000' } });
        try {
          await waitOnline(a, again);
          await sleep(settleMs);
          restart.push(rssMb(again.pid));
        } finally {
          await again.stop();
        }
      } finally {
        a.remove();
      }
      for (const [kind, into] of [['js', base], ['ts', baseTs]] as const) {
        const bare = spawnBare(0, kind);
        try {
          await bare.line(/listening \d+/);
          await sleep(settleMs);
          into.push(rssMb(bare.pid));
        } finally {
          await bare.stop();
        }
      }
    }
    const idleRssMb = median(idle);
    const baselineRssMb = median(base);
    let afterBacklogRssMb: number | null = null;
    let afterBacklogHeapMb: number | null = null;
    let afterBacklogSkipped: string | undefined;
    const noWebhook = await missing('webhook');
    if (noWebhook) afterBacklogSkipped = noWebhook;
    else {
      // Medians of as many rounds as idle: one drain's RSS varies by several MB from run to run.
      const after: number[] = [];
      const afterHeap: number[] = [];
      const receiver = await startReceiver();
      try {
        for (let r = 0; r < rounds; r++) {
          const a = await prepareAgent(spec);
          try {
            const drained = await drainBacklog(a, receiver, n, { settleMs, allSinks: true });
            after.push(drained.rssAfterMb);
            if (drained.heapAfterMb !== null) afterHeap.push(drained.heapAfterMb);
          } finally {
            a.remove();
          }
        }
      } finally {
        await receiver.close();
      }
      afterBacklogRssMb = median(after);
      afterBacklogHeapMb = afterHeap.length ? median(afterHeap) : null;
    }
    return {
      idleRssMb: round(idleRssMb),
      idleRestartRssMb: restart.length ? round(median(restart)) : null,
      baselineRssMb: round(baselineRssMb),
      ratio: ratio(idleRssMb, baselineRssMb),
      baselineTsRssMb: round(median(baseTs)),
      afterBacklogRssMb: afterBacklogRssMb === null ? null : round(afterBacklogRssMb),
      growthMb: afterBacklogRssMb === null ? null : round(afterBacklogRssMb - idleRssMb),
      idleHeapMb: idleHeap.length ? round(median(idleHeap)) : null,
      afterBacklogHeapMb: afterBacklogHeapMb === null ? null : round(afterBacklogHeapMb),
      backlog: n,
      settleMs,
      rounds,
      plugins,
      notIncluded: left,
      ...(afterBacklogSkipped ? { afterBacklogSkipped } : {}),
    };
  } finally {
    await broker?.stop();
  }
}

export function formatMemoryBench(r: MemoryBench | { skipped: string }): string {
  if ('skipped' in r) return `memory: skipped: ${r.skipped}`;
  return [
    `memory (RSS in MB, child processes, after ${r.settleMs} ms idle; median of ${r.rounds})`,
    `  idle       smsedge ${r.idleRssMb} MB   bare node:http ${r.baselineRssMb} MB   ${r.ratio}x   target <= 1.6x   (bare server as .ts: ${r.baselineTsRssMb} MB)`,
    `             restarted with the same config: ${r.idleRestartRssMb} MB (${r.idleRestartRssMb === null ? '-' : ratio(r.idleRestartRssMb, r.baselineRssMb)}x)`,
    r.afterBacklogRssMb === null
      ? `  backlog    skipped: ${r.afterBacklogSkipped}`
      : `  backlog    after draining ${r.backlog} events (median of ${r.rounds}): ${r.afterBacklogRssMb} MB (growth ${r.growthMb} MB)   target growth < 20 MB`,
    `             V8 heap after a full GC: idle ${r.idleHeapMb} MB, after the backlog ${r.afterBacklogHeapMb} MB (RSS growth beyond that is heap the allocator keeps, not retained objects)`,
    `  plugins: ${r.plugins.join(', ')}${r.notIncluded.length ? `; not included: ${r.notIncluded.join('; ')}` : ''}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(formatMemoryBench(await benchMemory()));
