// Webhook drain benchmark: a backlog of N events into one standard subscriber at the default
// concurrency, against a bare ofetch loop POSTing the same bodies at the same concurrency.
// Run: npx node test/webhook/bench.ts [N] [rounds]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ofetch } from 'ofetch';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { version } from '../../core/version.ts';
import { webhook } from '../../plugins/webhook/index.ts';

const N = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 3);
let received = 0;
let onReceived: (() => void) | undefined;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200);
    res.end();
    onReceived?.();
  });
});
let connections = 0;
server.on('connection', () => connections++);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
const data = (i: number) => ({ messageId: `m${i}`, from: '+15550100100', text: `message number ${i}`, encoding: 'gsm7' as const, parts: 1,
  receivedAt: new Date().toISOString(), smsc: null, modem: 'modem', class: null });
// A full collection before each timed drain: the garbage the previous side left (5,000 prebuilt
// bodies, an agent's store) is not collected inside the other side's timing.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const waitReceived = (n: number) => new Promise<void>((resolve) => {
  onReceived = () => received >= n && resolve();
  if (received >= n) resolve();
});

async function ours(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-'));
  const agent = createAgent(resolveConfig({ agentId: 'bench', dataDir: dir, plugins: [webhook({ defaultSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })] }), { log: silentLogger() });
  await agent.start();
  agent.use('webhook').create({ url });
  await agent.stop();
  // The backlog: committed while the agent is down, drained when it starts.
  const again = createAgent(resolveConfig({ agentId: 'bench', dataDir: dir, plugins: [webhook({ defaultSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })] }), { log: silentLogger() });
  const { openStore } = await import('../../core/store.ts');
  const { Journal } = await import('../../core/journal.ts');
  const { systemClock } = await import('../../core/clock.ts');
  const store = openStore({ path: join(dir, 'smsedge.db') });
  const journal = new Journal(store, { clock: systemClock, log: silentLogger() });
  store.transaction(() => {
    for (let i = 0; i < N; i++) journal.append('sms.received', data(i));
  });
  store.close();
  received = 0;
  connections = 0;
  collect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const e0 = performance.eventLoopUtilization();
  // For windowing a --cpu-prof profile to the drain (both use the monotonic clock).
  if (process.env.BENCH_MARK) console.error('drain-start', process.hrtime.bigint() / 1000n);
  await again.start();
  startMs.push(performance.now() - t0);
  const svc = again.use('webhook');
  // Progress only when asked: a counts() query every 100 ms is work the bare loop does not do.
  const poll = process.env.BENCH_DEBUG
    ? setInterval(() => console.error(Math.round(performance.now() - t0), JSON.stringify(svc.counts()), received), 100)
    : undefined;
  await waitReceived(N);
  if (process.env.BENCH_MARK) console.error('drain-end', process.hrtime.bigint() / 1000n);
  clearInterval(poll);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  cpuOurs.push((cpu.user + cpu.system) / N);
  eluOurs.push(performance.eventLoopUtilization(e0).utilization);
  connOurs.push(connections);
  await again.stop();
  rmSync(dir, { recursive: true, force: true });
  return (N / ms) * 1000;
}

// Like for like on the wire: the bare loop sends the same request smsedge sends (the same body
// shape, `id` included, and the same five headers, with a signature of the same length computed
// beforehand), without the work of producing it: journal, schedule, signing, policies, outcome log.
const baselineHeaders = (i: number) => ({
  'user-agent': `smsedge/${version}`,
  'content-type': 'application/json',
  'webhook-id': `019a${String(i).padStart(32, '0')}`,
  'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'webhook-signature': `v1,${createHash('sha256').update(String(i)).digest('base64')}`,
});

async function baseline(): Promise<number> {
  const bodies = Array.from({ length: N }, (_, i) =>
    JSON.stringify({ type: 'sms.received', timestamp: new Date().toISOString(), data: data(i), id: `019a${String(i).padStart(32, '1')}` }));
  const headers = Array.from({ length: N }, (_, i) => baselineHeaders(i));
  received = 0;
  connections = 0;
  let next = 0;
  collect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const e0 = performance.eventLoopUtilization();
  if (process.env.BENCH_MARK) console.error('drain-start', process.hrtime.bigint() / 1000n);
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < N) {
      const i = next++;
      await ofetch.raw(url, { method: 'POST', body: bodies[i]!, headers: headers[i]!, retry: 0, responseType: 'text' });
    }
  }));
  if (process.env.BENCH_MARK) console.error('drain-end', process.hrtime.bigint() / 1000n);
  const cpu = process.cpuUsage(c0);
  cpuBase.push((cpu.user + cpu.system) / N);
  eluBase.push(performance.eventLoopUtilization(e0).utilization);
  connBase.push(connections);
  return (N / (performance.now() - t0)) * 1000;
}
const cpuOurs: number[] = [];
const startMs: number[] = [];
// Event-loop utilization (busy share of the main thread) during each drain.
const eluOurs: number[] = [];
const eluBase: number[] = [];
const cpuBase: number[] = [];
const connOurs: number[] = [];
const connBase: number[] = [];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a: number[] = [];
const b: number[] = [];
// The order alternates round by round, so neither side always runs first (warm-up) or always pays
// for the other's garbage; and each timed drain starts after a full GC (see collect).
for (let i = 0; i < rounds; i++) {
  const runBase = async () => { if (process.env.BENCH_ONLY !== 'ours') b.push(await baseline()); };
  const runOurs = async () => { if (process.env.BENCH_ONLY !== 'baseline') a.push(await ours()); };
  if (i % 2) {
    await runOurs();
    await runBase();
  } else {
    await runBase();
    await runOurs();
  }
}
const result = { events: N, eventsPerSec: a.length ? Math.round(median(a)) : null, baselineEventsPerSec: Math.round(median(b)), ratio: +(median(a) / median(b)).toFixed(2),
  cpuUsPerEvent: Math.round(median(cpuOurs)), baselineCpuUsPerEvent: Math.round(median(cpuBase)),
  connections: median(connOurs), baselineConnections: connBase.length ? median(connBase) : null,
  elu: eluOurs.length ? +median(eluOurs).toFixed(2) : null, baselineElu: eluBase.length ? +median(eluBase).toFixed(2) : null,
  startMs: startMs.length ? Math.round(median(startMs)) : null };
console.log(JSON.stringify(result));
if (process.env.BENCH_DEBUG) console.error(JSON.stringify({ ours: a.map(Math.round), baseline: b.map(Math.round), cpuOurs: cpuOurs.map(Math.round), cpuBase: cpuBase.map(Math.round) }));
server.close();
