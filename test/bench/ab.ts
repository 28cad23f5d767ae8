// `npm run bench:ab -- [--rounds N] [--backlog N] [--json] '<env>' '<env>' ...`: the pipeline bench's
// drain (the agent as `smsedge start` on the simulator, a backlog of sms.received into one `standard`
// subscription on a loopback receiver, timed first receipt to last) under each environment in turn,
// round by round, e.g. `'{}' '{"SMSEDGE_V8_FLAGS":"--no-turbofan"}'` or glibc's MALLOC_* settings
// (the agent keeps what the environment sets). For judging a setting: one drain's rate moves ±5 % with
// the machine, and a 5-round set once showed +5 % for a setting that ten paired rounds put at +0.6 %.
// So besides each variant's medians it prints its figures over the first variant's in the same
// round (`paired`), whose median moves less.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareAgent } from './agent.ts';
import { drainBacklog } from './pipeline.ts';
import { startReceiver } from './receiver.ts';
import { median, paired, round } from './stats.ts';

export interface AbVariant {
  env: Record<string, string>;
  /** Per round, in order. */
  eventsPerSec: number[];
  cpuUsPerEvent: number[];
  firstTenthMs: number[];
  lastTenthMs: number[];
  /** Medians of the rounds. */
  medianEventsPerSec: number;
  medianCpuUsPerEvent: number;
  /** Round by round over the first variant (1 for the first): events/s and CPU per event; medians. */
  pairedEventsPerSec: number;
  pairedCpuUsPerEvent: number;
}

export interface AbReport {
  backlog: number;
  rounds: number;
  variants: AbVariant[];
}

export async function benchAb(options: { variants: Record<string, string>[]; rounds?: number; backlog?: number; onDrain?: (line: string) => void }): Promise<AbReport> {
  const rounds = options.rounds ?? 6;
  const backlog = options.backlog ?? 5000;
  if (!options.variants.length) throw new Error('no variant given: pass at least one environment as JSON, e.g. \'{}\'');
  const runs = options.variants.map(() => ({ eps: [] as number[], cpu: [] as number[], first: [] as number[], last: [] as number[] }));
  const receiver = await startReceiver();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [i, env] of options.variants.entries()) {
        const a = await prepareAgent({ plugins: [{ name: 'modem' }, { name: 'api' }, { name: 'webhook' }] });
        try {
          const d = await drainBacklog(a, receiver, backlog, { settleMs: 0, env });
          const run = runs[i]!;
          run.eps.push(d.eventsPerSec);
          run.cpu.push(d.cpuUsPerEvent);
          run.first.push(d.tenthsMs[0] ?? Number.NaN);
          run.last.push(d.tenthsMs[9] ?? Number.NaN);
          options.onDrain?.(`round ${r + 1}/${rounds} ${JSON.stringify(env)}: ${Math.round(d.eventsPerSec)} events/s, ${Math.round(d.cpuUsPerEvent)} µs per event`);
        } finally {
          a.remove();
        }
      }
    }
  } finally {
    await receiver.close();
  }
  const ref = runs[0]!;
  return {
    backlog,
    rounds,
    variants: options.variants.map((env, i) => {
      const run = runs[i]!;
      return {
        env,
        eventsPerSec: run.eps.map((x) => Math.round(x)),
        cpuUsPerEvent: run.cpu.map((x) => round(x)),
        firstTenthMs: run.first.map((x) => round(x)),
        lastTenthMs: run.last.map((x) => round(x)),
        medianEventsPerSec: Math.round(median(run.eps)),
        medianCpuUsPerEvent: round(median(run.cpu)),
        pairedEventsPerSec: round(median(paired(ref.eps, run.eps)), 3),
        pairedCpuUsPerEvent: round(median(paired(ref.cpu, run.cpu)), 3),
      };
    }),
  };
}

export function formatAb(r: AbReport): string {
  const pct = (x: number) => `${x >= 1 ? '+' : '−'}${Math.abs(round((x - 1) * 100, 1))} %`;
  return [
    `drains of a ${r.backlog}-event backlog, ${r.rounds} rounds, variants alternating; medians, and paired: each round over the first variant's`,
    ...r.variants.map((v, i) => [
      `  ${JSON.stringify(v.env)}`,
      `    ${v.medianEventsPerSec} events/s, ${v.medianCpuUsPerEvent} µs per event; first tenth ${median(v.firstTenthMs)} ms, last ${median(v.lastTenthMs)} ms`,
      ...(i === 0 ? [] : [`    paired: events/s ${pct(v.pairedEventsPerSec)} (${paired(r.variants[0]!.eventsPerSec, v.eventsPerSec).map((x) => x.toFixed(2)).join(' ')}), CPU per event ${pct(v.pairedCpuUsPerEvent)}`]),
    ].join('\n')),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' }, backlog: { type: 'string' }, json: { type: 'boolean' } } });
  let variants: Record<string, string>[];
  try {
    variants = positionals.map((p) => JSON.parse(p) as Record<string, string>);
  } catch (error) {
    process.stderr.write(`bench:ab: each variant is an environment as JSON, e.g. '{}' '{"SMSEDGE_V8_FLAGS":"--no-turbofan"}': ${(error as Error).message}\n`);
    process.exit(2);
  }
  const report = await benchAb({
    variants: variants.length ? variants : [{}],
    rounds: values.rounds ? Number(values.rounds) : undefined,
    backlog: values.backlog ? Number(values.backlog) : undefined,
    onDrain: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatAb(report)}\n`);
  process.exit(0);
}
