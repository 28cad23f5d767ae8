// `npm run bench:instructions [-- --small N --large N --json]`: the pipeline drain counted in CPU
// instructions instead of seconds, so that a change can be judged on a machine whose speed moves
// (on the 2-vCPU VMs here the same drain's time moved by ±10 % from run to run, which hides a change
// of a few per cent however many rounds are run).
//
// Each side runs under valgrind's callgrind with `node --predictable` (no concurrent compiler or GC
// threads: their work is counted on the main thread, and runs repeat to about 1 %). A process's
// start-up and the drain cannot be told apart from outside, so each side drains two backlogs, `small`
// and `large`, and the difference of the main thread's instructions, divided by the difference of
// events, is what one event costs:
// - own: the agent's own work per event (drainer.ts with a transport that answers at once);
// - agent: the same with the real ofetch transport to a receiver on loopback;
// - bare: the bare ofetch loop (blast.ts) over the agent's very bodies;
// and `ratio` is bare / agent, the drain ratio's counterpart. Instructions are not time (cache misses,
// the kernel and SHA extensions, which valgrind does not emulate, count differently), so read the
// ratio and changes, not absolute figures. Needs valgrind (`apt-get install valgrind`). A machine's
// load does not change the counts, so it may run beside other work.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_API_KEY } from './agent.ts';
import { defaultConcurrency } from './pipeline.ts';
import { runToEnd } from './proc.ts';
import { startReceiver } from './receiver.ts';
import { ratio } from './stats.ts';

const drainer = fileURLToPath(new URL('./drainer.ts', import.meta.url));
const blast = fileURLToPath(new URL('./blast.ts', import.meta.url));

export interface InstructionsReport {
  small: number;
  large: number;
  /** Main-thread instructions per event. */
  ownPerEvent: number;
  agentPerEvent: number;
  barePerEvent: number;
  /** bare / agent. */
  ratio: number;
}

/** The `summary:` total of a callgrind output file. */
export function callgrindTotal(text: string): number {
  const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
  if (!m) throw new Error('no summary line in the callgrind output');
  return Number(m[1]);
}

/** A child to its end, with the bench's API key (the agent's drains need one). */
const run = (args: string[]) => runToEnd(args, { SMSEDGE_API_KEY: BENCH_API_KEY });

/** Main-thread instructions of `node --predictable <script> <args>` under callgrind. */
async function instructions(script: string, args: string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cg-'));
  try {
    await run(['valgrind', '--tool=callgrind', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'cg')}`, process.execPath, '--predictable', script, ...args]);
    // With --separate-threads the main thread's file ends in -01.
    const main = readdirSync(dir).find((f) => f.endsWith('-01'));
    if (!main) throw new Error('callgrind wrote no file for the main thread');
    return callgrindTotal(readFileSync(join(dir, main), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions of one agent drain of `n` (prepared outside valgrind, so only the drain is counted). */
async function agentDrain(n: number, target: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cg-agent-'));
  try {
    await run([process.execPath, drainer, 'prep', dir, String(n), target]);
    return await instructions(drainer, ['drain', dir, String(n), target]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchInstructions(options: { small?: number; large?: number } = {}): Promise<InstructionsReport> {
  // Smaller backlogs leave more of V8's tiering-up in the difference (1,000 and 3,000 counted 18 %
  // more per event for the agent, 16 % for the bare loop); these take about ten minutes.
  const small = options.small ?? 2000;
  const large = options.large ?? 6000;
  await run(['valgrind', '--version']).catch(() => {
    throw new Error('valgrind is not installed (apt-get install valgrind)');
  });
  const receiver = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-cg-bare-'));
  try {
    const perEvent = (a: number, b: number) => Math.round((b - a) / (large - small));
    // Two at a time: each is single-threaded under valgrind, and there are two cores.
    const [ownSmall, ownLarge] = await Promise.all([agentDrain(small, '-'), agentDrain(large, '-')]);
    receiver.clear();
    const agentLarge = await agentDrain(large, receiver.url);
    const bodies = receiver.accepted.map((r) => r.body);
    const agentSmall = await agentDrain(small, receiver.url);
    const concurrency = String(await defaultConcurrency());
    const file = (k: number) => {
      const f = join(dir, `bodies-${k}.json`);
      writeFileSync(f, JSON.stringify(bodies.slice(0, k)));
      return f;
    };
    const [bareSmall, bareLarge] = await Promise.all([
      instructions(blast, [file(small), receiver.url, concurrency]),
      instructions(blast, [file(large), receiver.url, concurrency]),
    ]);
    const agentPerEvent = perEvent(agentSmall, agentLarge);
    const barePerEvent = perEvent(bareSmall, bareLarge);
    return { small, large, ownPerEvent: perEvent(ownSmall, ownLarge), agentPerEvent, barePerEvent, ratio: ratio(barePerEvent, agentPerEvent) };
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatInstructions(r: InstructionsReport): string {
  const k = (x: number) => `${Math.round(x / 1000)}k`;
  return [
    `pipeline drain in instructions (main thread, node --predictable under callgrind; backlogs of ${r.small} and ${r.large}, per event)`,
    `  agent, own work (no HTTP)  ${k(r.ownPerEvent)}`,
    `  agent                      ${k(r.agentPerEvent)}`,
    `  bare ofetch loop           ${k(r.barePerEvent)}`,
    `  ratio (bare / agent)       ${r.ratio}x`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { small: { type: 'string' }, large: { type: 'string' }, json: { type: 'boolean' } } });
  const report = await benchInstructions({ small: values.small ? Number(values.small) : undefined, large: values.large ? Number(values.large) : undefined });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatInstructions(report)}\n`);
  process.exit(0);
}
