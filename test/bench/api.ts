// API: POST /sms/send over loopback (auth, validation, a durable enqueue committed before the 202)
// against a bare h3 route that reads the body and answers the same JSON, each served by a child
// process, loaded by the same closed-loop client from this process. Interleaved rounds, medians.
// `npx node test/bench/api.ts` prints the section alone.
import { fileURLToPath } from 'node:url';
import { missing, prepareAgent, spawnAgent, waitOnline } from './agent.ts';
import { load, type LoadResult } from './load.ts';
import { freePort, spawnNode } from './proc.ts';
import { median, ratio } from './stats.ts';

export interface ApiBench {
  sendRequestsPerSec: number;
  baselineRequestsPerSec: number;
  ratio: number;
  concurrency: number;
  durationMs: number;
  rounds: number;
  /** Answers by status over all rounds (anything but 202 is counted and shown). */
  statuses: Record<string, number>;
  baselineStatuses: Record<string, number>;
}

const bareH3 = fileURLToPath(new URL('./bare-h3.ts', import.meta.url));

const sendBody = () => {
  let i = 0;
  return () => JSON.stringify({ to: '+15550100123', text: `Bench message ${++i}: your code is ${String(100000 + (i % 900000))}` });
};

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export async function benchApi(opts: { rounds?: number; durationMs?: number; concurrency?: number } = {}): Promise<ApiBench | { skipped: string }> {
  const reason = await missing('modem', 'api');
  if (reason) return { skipped: reason };
  const rounds = opts.rounds ?? 3;
  const durationMs = opts.durationMs ?? 2000;
  const concurrency = opts.concurrency ?? 8;
  const ours: number[] = [];
  const base: number[] = [];
  const statuses: Record<string, number> = {};
  const baselineStatuses: Record<string, number> = {};
  const run = (origin: string, headers: Record<string, string>): Promise<LoadResult> =>
    load(origin, { method: 'POST', path: '/sms/send', headers, body: sendBody() }, { concurrency, durationMs, warmupMs: 500 });
  for (let r = 0; r < rounds; r++) {
    const a = await prepareAgent({ plugins: [{ name: 'modem' }, { name: 'api' }] });
    const agent = spawnAgent(a);
    try {
      await waitOnline(a, agent);
      const result = await run(a.origin, { authorization: `Bearer ${a.apiKey}` });
      add(statuses, result.statuses);
      ours.push((result.statuses['202'] ?? 0) * (result.perSec / result.requests));
    } finally {
      await agent.stop();
      a.remove();
    }
    const port = await freePort();
    const bare = spawnNode(bareH3, [String(port)]);
    try {
      await bare.line(/listening \d+/);
      const result = await run(`http://127.0.0.1:${port}`, {});
      add(baselineStatuses, result.statuses);
      base.push((result.statuses['202'] ?? 0) * (result.perSec / result.requests));
    } finally {
      await bare.stop();
    }
  }
  const sendRequestsPerSec = median(ours);
  const baselineRequestsPerSec = median(base);
  return {
    sendRequestsPerSec: Math.round(sendRequestsPerSec),
    baselineRequestsPerSec: Math.round(baselineRequestsPerSec),
    ratio: ratio(sendRequestsPerSec, baselineRequestsPerSec),
    concurrency,
    durationMs,
    rounds,
    statuses,
    baselineStatuses,
  };
}

export function formatApiBench(r: ApiBench | { skipped: string }): string {
  if ('skipped' in r) return `api: skipped: ${r.skipped}`;
  const odd = Object.entries(r.statuses).filter(([s]) => s !== '202');
  return [
    `api (POST /sms/send over loopback, ${r.concurrency} keep-alive connections, ${r.durationMs} ms per round; median of ${r.rounds}; only 202 answers counted)`,
    `  smsedge ${r.sendRequestsPerSec} req/s   bare h3 route ${r.baselineRequestsPerSec} req/s   ${r.ratio}x`,
    ...(odd.length ? [`  non-202 answers: ${odd.map(([s, n]) => `${s}: ${n}`).join(', ')}`] : []),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(formatApiBench(await benchApi()));
