// `npm run bench`: every section, each measured against its baseline in the same run.
//   npm run bench                  readable tables
//   npm run bench -- --json        one JSON object on stdout (progress on stderr)
//   npm run bench -- --only codec,api   some sections
//   npm run bench -- --quick       fewer rounds (a smoke run, not figures to publish)
// Sections whose plugins have not landed print `skipped: <reason>`; nothing here is a fixed figure.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchApi, formatApiBench } from './api.ts';
import { benchCodec, formatCodecBench } from './codec.ts';
import { benchMemory, formatMemoryBench } from './memory.ts';
import { benchPeers, formatPeersBench } from './peers.ts';
import { benchPipeline, formatPipelineBench } from './pipeline.ts';
import { benchStartup, formatStartupBench } from './startup.ts';
import { benchStore } from './store.ts';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' }, quick: { type: 'boolean', default: false } },
  strict: true,
});
const quick = values.quick;

interface Section {
  name: string;
  run(): Promise<unknown>;
  format(result: any): string;
}

const formatStore = (r: ReturnType<typeof benchStore>) =>
  [
    'store (journal appends, one commit each)',
    `  synchronous FULL ${r.fullCommitsPerSec} commits/s   NORMAL ${r.normalCommitsPerSec} commits/s   FULL/NORMAL ${r.fullOverNormal}x`,
  ].join('\n');

const sections: Section[] = [
  { name: 'codec', run: () => benchCodec(quick ? { rounds: 3, ms: 100 } : {}), format: formatCodecBench },
  { name: 'pipeline', run: () => benchPipeline(quick ? { rounds: 1, backlog: 1000, latencySeconds: 3 } : {}), format: formatPipelineBench },
  { name: 'api', run: () => benchApi(quick ? { rounds: 1, durationMs: 1000 } : {}), format: formatApiBench },
  { name: 'memory', run: () => benchMemory(quick ? { rounds: 1, settleMs: 1000, backlog: 1000 } : {}), format: formatMemoryBench },
  { name: 'startup', run: () => benchStartup(quick ? { rounds: 2 } : {}), format: formatStartupBench },
  { name: 'store', run: async () => benchStore(), format: formatStore },
  {
    name: 'peers',
    run: () => benchPeers(quick ? { backlog: 10, live: 8, liveGapMs: [500, 1500], sends: 6, longSends: 2, networkMs: 1000, jitterMs: 300 } : {}),
    format: formatPeersBench,
  },
];

const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((n) => !sections.some((s) => s.name === n));
if (unknown?.length) {
  process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')} (${sections.map((s) => s.name).join(', ')})\n`);
  process.exit(2);
}

const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memTotalMb: Math.round(totalmem() / 2 ** 20),
  memFreeMb: Math.round(freemem() / 2 ** 20),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: Number(loadavg()[0]!.toFixed(2)),
};

const out: Record<string, unknown> = { machine, quick };
const started = performance.now();
const progress = values.json ? process.stderr : process.stdout;
if (!values.json) progress.write(`smsedge bench: ${machine.nproc} × ${machine.cpu}, ${machine.memTotalMb} MB, Node ${machine.node}, load ${machine.loadAverage}${quick ? ' (quick)' : ''}\n\n`);
for (const section of sections) {
  if (only && !only.includes(section.name)) continue;
  const t0 = performance.now();
  if (values.json) progress.write(`bench: ${section.name}...\n`);
  let result: unknown;
  try {
    result = await section.run();
  } catch (error) {
    // A section that breaks is reported as such, never as a number.
    result = { error: (error as Error).message };
  }
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  out[section.name] = result && typeof result === 'object' ? { ...result, seconds } : result;
  if (!values.json) {
    const text = result && typeof result === 'object' && 'error' in result ? `${section.name}: error: ${(result as { error: string }).error}` : section.format(result);
    progress.write(`${text}\n  (${seconds} s)\n\n`);
  }
}
out.totalSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
else progress.write(`total ${out.totalSeconds} s\n`);
