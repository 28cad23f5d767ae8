// `npm run bench:steady [-- --backlog N --rounds N --json]`: the webhook drain once warm, in main-thread
// CPU per delivery, the agent against the bare ofetch loop. `npm run bench` times a 5,000-event drain
// from its first receipt, so V8's warm-up and the intake of the backlog weigh on it, and its figure
// moves with the machine; this one repeated to ±3 % on a quiet 2-vCPU VM, enough to judge a change
// of a few per cent (on 2026-12-06 it found what the whole-drain figure could not tell apart).
//
// Each round drains a fresh backlog three ways, every process reading its own main thread's CPU
// (`process.threadCpuUsage()`) from the 20 % mark to the last delivery:
// - agent: the real agent (drainer.ts: modem, api, webhook, the real store and journal) POSTing to a
//   receiver on loopback;
// - own: the same agent with a transport that answers at once: its own work alone;
// - bare: the bare ofetch loop (blast.ts) over the bodies the agent sent, at the same concurrency.
// Medians of the rounds; `ratio` is bare / agent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_API_KEY } from './agent.ts';
import { defaultConcurrency } from './pipeline.ts';
import { runToEnd } from './proc.ts';
import { startReceiver } from './receiver.ts';
import { median, ratio, round } from './stats.ts';

const drainer = fileURLToPath(new URL('./drainer.ts', import.meta.url));
const blast = fileURLToPath(new URL('./blast.ts', import.meta.url));

export interface SteadyReport {
  backlog: number;
  /** Deliveries before the measured stretch (warm-up left out). */
  from: number;
  rounds: number;
  /** Main-thread CPU per delivery, µs: medians of the rounds. */
  agentUs: number;
  ownUs: number;
  bareUs: number;
  /** bare / agent. */
  ratio: number;
  /** Each round's figures, in order. */
  perRound: { agentUs: number; ownUs: number; bareUs: number }[];
}

/** The `CPU <µs>` line drainer.ts and blast.ts print with SMSEDGE_BENCH_CPU_FROM. */
export function cpuLine(stderr: string): number {
  const m = /^CPU ([\d.]+)$/m.exec(stderr);
  if (!m) throw new Error(`no CPU line in the child's output:\n${stderr.slice(-1500)}`);
  return Number(m[1]);
}

/** A child to its end, with the bench's API key; its stderr. */
const runChild = (args: string[], env: Record<string, string> = {}) => runToEnd(args, { SMSEDGE_API_KEY: BENCH_API_KEY, NODE_NO_WARNINGS: '1', ...env });
const cpuOf = async (args: string[], from: number) => cpuLine(await runChild(args, { SMSEDGE_BENCH_CPU_FROM: String(from) }));

/** Writes an agent's data dir with a `standard` subscription to `target` (a URL, or `-`) and a backlog. */
async function prepare(n: number, target: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-steady-'));
  await runChild([process.execPath, drainer, 'prep', dir, String(n), target]);
  return dir;
}

export async function benchSteady(options: { backlog?: number; rounds?: number } = {}): Promise<SteadyReport> {
  const n = options.backlog ?? 10_000;
  const rounds = options.rounds ?? 3;
  const from = Math.max(1, Math.floor(n / 5));
  const concurrency = String(await defaultConcurrency());
  const receiver = await startReceiver();
  const perRound: SteadyReport['perRound'] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const dirs: string[] = [];
      try {
        const agentDir = await prepare(n, receiver.url);
        const ownDir = await prepare(n, '-');
        dirs.push(agentDir, ownDir);
        receiver.clear();
        const agentUs = await cpuOf([process.execPath, drainer, 'drain', agentDir, String(n), receiver.url], from);
        const bodies = join(agentDir, 'bodies.json');
        writeFileSync(bodies, JSON.stringify(receiver.accepted.map((x) => x.body)));
        receiver.clear();
        const bareUs = await cpuOf([process.execPath, blast, bodies, receiver.url, concurrency], from);
        const ownUs = await cpuOf([process.execPath, drainer, 'drain', ownDir, String(n), '-'], from);
        perRound.push({ agentUs, ownUs, bareUs });
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    }
  } finally {
    await receiver.close();
  }
  const agentUs = median(perRound.map((x) => x.agentUs));
  const bareUs = median(perRound.map((x) => x.bareUs));
  return {
    backlog: n,
    from,
    rounds,
    agentUs: round(agentUs),
    ownUs: round(median(perRound.map((x) => x.ownUs))),
    bareUs: round(bareUs),
    ratio: ratio(bareUs, agentUs),
    perRound,
  };
}

export function formatSteady(r: SteadyReport): string {
  const each = (k: 'agentUs' | 'ownUs' | 'bareUs') => r.perRound.map((x) => x[k]).join(', ');
  return [
    `webhook drain once warm (backlog of ${r.backlog}, from delivery ${r.from} on; main-thread CPU per delivery, median of ${r.rounds})`,
    `  agent                      ${r.agentUs} µs   (${each('agentUs')})`,
    `  agent, own work (no HTTP)  ${r.ownUs} µs   (${each('ownUs')})`,
    `  bare ofetch loop           ${r.bareUs} µs   (${each('bareUs')})`,
    `  ratio (bare / agent)       ${r.ratio}x`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { backlog: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' } } });
  const report = await benchSteady({ backlog: values.backlog ? Number(values.backlog) : undefined, rounds: values.rounds ? Number(values.rounds) : undefined });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatSteady(report)}\n`);
  process.exit(0);
}
