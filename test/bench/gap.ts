// `npm run bench:gap [-- --backlog N --top N --json]`: where the pipeline drain's main-thread time
// goes, per event, in the agent against the bare ofetch loop over the same bodies. Both run once
// under `--cpu-prof`; only the samples between the receiver's first and last receipt count. Another
// drain of the same backlog times each of the agent's SQLite statements (sqltime.ts). A profiled run
// is slower than a plain one: read the shares and the gaps, not the totals (those are
// `npm run bench -- --only pipeline`).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareAgent, root, spawnAgent } from './agent.ts';
import { backlogFor, defaultConcurrency } from './pipeline.ts';
import { spawnNode, until } from './proc.ts';
import { round } from './stats.ts';
import { compare, component, functionKey, readProfile, selfTime, type CpuProfile, type GapRow } from './profile.ts';
import { atFirstAndLast, startReceiver, type Receiver } from './receiver.ts';

export interface GapReport {
  events: number;
  concurrency: number;
  drainMs: { ours: number; baseline: number };
  /** Sampled main-thread µs per event, idle left out. */
  sampledUsPerEvent: { ours: number; baseline: number };
  components: GapRow[];
  functions: GapRow[];
  /**
   * Deliveries whose outcome was written while the SQL was timed (one attempt row each): the events
   * the SQL figures are per. Signals open and close that window, and outcomes are written in batches,
   * so it is most of the backlog rather than all of it.
   */
  sqlEvents: number;
  /** The agent's SQL in that window, most expensive first: µs per event, calls, µs per call. */
  sql: { sql: string; usPerEvent: number; calls: number; usEach: number }[];
}

const blastScript = fileURLToPath(new URL('./blast.ts', import.meta.url));
const sqltimeScript = fileURLToPath(new URL('./sqltime.ts', import.meta.url));
const rootUrl = pathToFileURL(root).href;
/** Sampling interval (µs): V8's default of 1,000 leaves too few samples in a drain of a few seconds. */
const INTERVAL_US = '100';

/** hrtime (µs, the profile's clock) at the first and the `n`th receipt; `onEdge` is called at both. */
function window(receiver: Receiver, n: number, onEdge: () => void = () => {}): () => [number, number] {
  const edges = { first: Number.NaN, last: Number.NaN };
  atFirstAndLast(receiver, n, (edge) => {
    edges[edge] = Number(process.hrtime.bigint() / 1000n);
    onEdge();
  });
  return () => [edges.first, edges.last];
}

/** A SQLite database with its WAL (if any) copied over `to`'s. */
function copyDatabase(from: string, to: string): void {
  copyFileSync(from, to);
  for (const extra of ['-wal', '-shm']) {
    rmSync(to + extra, { force: true });
    if (extra === '-wal' && existsSync(from + extra)) copyFileSync(from + extra, to + extra);
  }
}

/**
 * The main thread's profile in `dir` that covers [fromUs, toUs]. Node names them
 * CPU.<date>.<time>.<pid>.<thread id>.<n>, the main thread 0; other threads (a loader hooks thread,
 * under a test runner) write their own, and `smsedge start` may leave one of its first start too
 * (it starts itself again with execve: core/relaunch.ts).
 */
function mainProfile(dir: string, fromUs: number, toUs: number): CpuProfile {
  const names = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  for (const name of names) {
    const profile = readProfile(join(dir, name));
    const end = profile.timeDeltas.reduce((sum, d) => sum + d, profile.startTime);
    if (profile.startTime <= fromUs && end >= toUs) return profile;
  }
  throw new Error(`no main-thread CPU profile in ${dir} covers the drain (${names.length} found)`);
}

export async function gapReport(options: { backlog?: number; top?: number; dir: string }): Promise<GapReport> {
  const n = options.backlog ?? 5000;
  const top = options.top ?? 30;
  const concurrency = await defaultConcurrency();
  const oursDir = join(options.dir, 'agent');
  const baseDir = join(options.dir, 'bare');
  mkdirSync(oursDir, { recursive: true });
  mkdirSync(baseDir, { recursive: true });
  const sqlFile = join(options.dir, 'sql.json');
  const profArgs = (dir: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', INTERVAL_US];
  const receiver = await startReceiver();
  const a = await prepareAgent({ plugins: [{ name: 'modem' }, { name: 'api' }, { name: 'webhook' }] });
  try {
    // Two drains of the same backlog: one profiled, one with its SQL timed (timing wrappers would
    // show in a profile). Each starts from a fresh copy of the database as it was after the backlog.
    await backlogFor(a, receiver, n);
    const snapshot = join(options.dir, 'backlog.db');
    copyDatabase(a.dbPath, snapshot);
    const drain = async (kind: 'profiled' | 'sql-timed') => {
      copyDatabase(snapshot, a.dbPath);
      receiver.clear();
      const agent = kind === 'profiled'
        ? spawnAgent(a, { nodeArgs: profArgs(oursDir) })
        : spawnAgent(a, { nodeArgs: ['--import', sqltimeScript], env: { SMSEDGE_SQLTIME_FILE: sqlFile } });
      try {
        // SQL timing: SIGUSR1 at the first and the last receipt, the stretch the profile is read over.
        const w = window(receiver, n, kind === 'sql-timed' ? () => agent.proc.kill('SIGUSR1') : undefined);
        await receiver.waitAccepted(n, 120_000);
        if (kind === 'sql-timed') await until(() => existsSync(sqlFile), 'the agent to write its SQL timings', { timeoutMs: 10_000 });
        return w;
      } finally {
        // A clean stop: a profile is written at exit.
        await agent.stop();
      }
    };
    await drain('sql-timed');
    const oursWindow = await drain('profiled');
    const bodies = receiver.accepted.map((r) => r.body);
    const bodiesFile = join(options.dir, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    receiver.clear();
    const bare = spawnNode(blastScript, [bodiesFile, receiver.url, String(concurrency)], { nodeArgs: profArgs(baseDir) });
    const baseWindow = window(receiver, n);
    await bare.line(/done (\d+) failed (\d+)/, 120_000);
    await bare.exited;

    const [of, ot] = oursWindow();
    const [bf, bt] = baseWindow();
    const ours = mainProfile(oursDir, of, ot);
    const base = mainProfile(baseDir, bf, bt);
    const byComponent = (f: Parameters<typeof component>[0]) => component(f, rootUrl);
    const byFunction = (f: Parameters<typeof component>[0]) => functionKey(f, rootUrl);
    const components = compare(selfTime(ours, of, ot, byComponent), selfTime(base, bf, bt, byComponent), n);
    const sum = (rows: GapRow[], side: 'ours' | 'baseline') => Math.round(rows.reduce((s, r) => s + r[side], 0));
    const timed = JSON.parse(readFileSync(sqlFile, 'utf8')) as Record<string, { n: number; us: number }>;
    const sqlEvents = Object.entries(timed).find(([sql]) => sql.startsWith('INSERT INTO webhook_attempts'))?.[1].n ?? 0;
    if (!sqlEvents) throw new Error('no delivery outcome was written while the SQL was timed');
    return {
      events: n,
      concurrency,
      drainMs: { ours: Math.round((ot - of) / 1000), baseline: Math.round((bt - bf) / 1000) },
      sampledUsPerEvent: { ours: sum(components, 'ours'), baseline: sum(components, 'baseline') },
      components: components.slice(0, top),
      functions: compare(selfTime(ours, of, ot, byFunction), selfTime(base, bf, bt, byFunction), n).slice(0, top),
      sqlEvents,
      sql: Object.entries(timed)
        .map(([sql, s]) => ({ sql, usPerEvent: round(s.us / sqlEvents), calls: s.n, usEach: round(s.us / s.n) }))
        .sort((x, y) => y.usPerEvent - x.usPerEvent)
        .slice(0, top),
    };
  } finally {
    a.remove();
    await receiver.close();
  }
}

export function formatGapReport(r: GapReport): string {
  const num = (x: number) => x.toFixed(1).padStart(8);
  const table = (rows: GapRow[]) => rows.map((row) => `${num(row.ours)}${num(row.baseline)}${num(row.gap)}  ${row.key}`);
  return [
    `where the drain's main-thread time goes (backlog of ${r.events}, ${r.concurrency} in flight; one profiled run each, µs per event)`,
    `  drain: smsedge ${r.drainMs.ours} ms, bare ofetch loop ${r.drainMs.baseline} ms (profiled: slower than a plain run)`,
    `  sampled, idle left out: smsedge ${r.sampledUsPerEvent.ours} µs, bare loop ${r.sampledUsPerEvent.baseline} µs`,
    '',
    ' smsedge    bare     gap  component',
    ...table(r.components),
    '',
    ' smsedge    bare     gap  function',
    ...table(r.functions),
    '',
    `SQL in the agent (timed around each call, over ${r.sqlEvents} deliveries: µs per delivery, calls, µs per call)`,
    ...r.sql.map((s) => `${num(s.usPerEvent)} ${String(s.calls).padStart(7)} ×${num(s.usEach)}  ${s.sql.length > 120 ? `${s.sql.slice(0, 117)}...` : s.sql}`),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { backlog: { type: 'string', default: '5000' }, top: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const count = (name: string, value: string) => {
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${name} must be a whole number above 0 (got "${value}")`);
    return Number(value);
  };
  const backlog = count('backlog', values.backlog);
  const top = count('top', values.top);
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-gap-'));
  try {
    const report = await gapReport({ backlog, top, dir });
    console.log(values.json ? JSON.stringify(report) : formatGapReport(report));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
