// Startup: from spawning the process to GET /health answering with the modem online on the built-in
// simulator, against a bare Node process answering HTTP, both polled the same way, interleaved.
// `npx node test/bench/startup.ts` prints the section alone.
import { fileURLToPath } from 'node:url';
import { startBroker } from './broker.ts';
import { fullAgentSpec, health, missing, modemOnline, prepareAgent, spawnAgent, type AgentDir } from './agent.ts';
import { spawnBare } from './bare-http.ts';
import { freePort, httpGet, until } from './proc.ts';
import { median, ratio, round } from './stats.ts';

export interface StartupBench {
  /** Median over restarts of an installed agent (data dir exists). */
  readyMs: number;
  baselineMs: number;
  ratio: number;
  /** The very first start on an empty data dir (migrations run). */
  firstBootMs: number;
  rounds: number;
  plugins: string[];
  notIncluded: string[];
}


async function agentReadyMs(a: AgentDir): Promise<number> {
  const t0 = performance.now();
  const child = spawnAgent(a);
  try {
    await until(
      async () => {
        if (child.proc.exitCode !== null) throw new Error(`agent exited: ${child.stderr().slice(-1000)}`);
        return modemOnline(await health(a));
      },
      'agent ready',
      { timeoutMs: 30_000, everyMs: 2 },
    );
    return performance.now() - t0;
  } finally {
    await child.stop();
  }
}

async function baselineReadyMs(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnBare(port);
  try {
    await until(async () => (await httpGet(`http://127.0.0.1:${port}/health`, {}, 1000)).status === 200, 'bare server', { timeoutMs: 10_000, everyMs: 2 });
    return performance.now() - t0;
  } finally {
    await child.stop();
  }
}

export async function benchStartup(opts: { rounds?: number } = {}): Promise<StartupBench | { skipped: string }> {
  const reason = await missing('modem', 'api');
  if (reason) return { skipped: reason };
  const rounds = opts.rounds ?? 5;
  const broker = await startBroker();
  const { spec, plugins, left } = await fullAgentSpec({ mqttUrl: broker?.url });
  const a = await prepareAgent({ ...spec, logLevel: 'info' });
  try {
    const firstBootMs = await agentReadyMs(a);
    await baselineReadyMs(); // warm the file cache for node itself too
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await agentReadyMs(a));
      base.push(await baselineReadyMs());
    }
    const readyMs = median(ours);
    const baselineMs = median(base);
    return { readyMs: round(readyMs), baselineMs: round(baselineMs), ratio: ratio(readyMs, baselineMs), firstBootMs: round(firstBootMs), rounds, plugins, notIncluded: left };
  } finally {
    a.remove();
    await broker?.stop();
  }
}

export function formatStartupBench(r: StartupBench | { skipped: string }): string {
  if ('skipped' in r) return `startup: skipped: ${r.skipped}`;
  return [
    `startup (ms from spawn to answering HTTP; agent: /health with the modem online; median of ${r.rounds})`,
    `  agent ${r.readyMs} ms (first boot on an empty data dir ${r.firstBootMs} ms)   bare node:http (plain JS) ${r.baselineMs} ms   ${r.ratio}x   target ready <= 1000 ms`,
    `  plugins: ${r.plugins.join(', ')}${r.notIncluded.length ? `; not included: ${r.notIncluded.join('; ')}` : ''}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(formatStartupBench(await benchStartup()));
