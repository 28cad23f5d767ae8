import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, defineCommand } from '../../core/command.ts';

export default defineCommand({
  name: 'simulate',
  summary: 'run the modem simulator speaking AT on stdin/stdout (put it behind socat for a pty)',
  usage:
    'simulate --stdio [--profile generic|sim800|sim7600|a7670|huawei|quectel|ec25] [--inbox file.json] [--pin PIN] [--scenario NAME] [--replay transcript.txt]\n' +
    '         [--timing on|off] [--baud N] [--network-ms N] [--jitter-ms N] [--seed N] [--report-delay-ms N]\n' +
    '         [--quirk line-ending=cr|lf] [--quirk status-reports=stored|routed|as-asked] [--quirk report-storage=SR|SM] [--quirk stall=MS[/EVERY_MS]]\n' +
    '         [--quirk wrong-length=-3] [--quirk cpms-test=malformed|garbled] [--quirk lte-only] [--quirk ussd-charset]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        stdio: { type: 'boolean' },
        profile: { type: 'string' },
        inbox: { type: 'string' },
        pin: { type: 'string' },
        scenario: { type: 'string' },
        replay: { type: 'string' },
        timing: { type: 'string' },
        baud: { type: 'string' },
        'network-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        seed: { type: 'string' },
        'report-delay-ms': { type: 'string' },
        quirk: { type: 'string', multiple: true },
      },
      strict: true,
    });
    if (!values.stdio) throw new UsageError('--stdio is required (the simulator speaks AT on stdin/stdout)');
    const sim = await import('../index.ts');
    if (values.replay) {
      const replay = sim.createReplay(readFileSync(values.replay, 'utf8'));
      replay.done.then(
        () => io.stderr.write('simulate: transcript replayed to the end\n'),
        (error: Error) => io.stderr.write(`simulate: replay failed: ${error.message}\n`),
      );
      await sim.serveStdio(replay, io.stdin, io.stdout);
      replay.close();
      return replay.error() ? 1 : 0;
    }
    const profile = values.profile ?? 'generic';
    if (!sim.isProfileName(profile)) throw new UsageError(`unknown profile "${profile}" (${Object.keys(sim.profiles).join(', ')})`);
    let inbox: { from: string; text: string }[] | undefined;
    if (values.inbox) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(values.inbox, 'utf8'));
      } catch (error) {
        throw new UsageError(`--inbox: ${(error as Error).message}`);
      }
      if (!Array.isArray(parsed) || !parsed.every((m) => m && typeof m.from === 'string' && typeof m.text === 'string')) {
        throw new UsageError('--inbox must be a JSON array of { "from": string, "text": string }');
      }
      inbox = parsed;
    }
    // The timing model is on unless asked off: real software behind the pty should meet a modem's pace.
    if (values.timing !== undefined && values.timing !== 'on' && values.timing !== 'off') throw new UsageError('--timing must be on or off');
    const timing = values.timing === 'off' ? false : {
      baud: numberOf(values.baud, '--baud'),
      networkMs: numberOf(values['network-ms'], '--network-ms'),
      jitterMs: numberOf(values['jitter-ms'], '--jitter-ms'),
      seed: numberOf(values.seed, '--seed'),
      reportDelayMs: numberOf(values['report-delay-ms'], '--report-delay-ms'),
    };
    let simulator: ReturnType<typeof sim.createSimulator>;
    try {
      simulator = sim.createSimulator({ profile, inbox, pin: values.pin ?? null, timing, quirks: quirksOf(values.quirk ?? []) });
    } catch (error) {
      if (error instanceof sim.SimulatorError) throw new UsageError(error.message);
      throw error;
    }
    if (values.scenario) {
      const scenario = (sim.scenarios as Record<string, { run(s: typeof simulator): Promise<void> }>)[values.scenario];
      if (!scenario) throw new UsageError(`unknown scenario "${values.scenario}" (${Object.keys(sim.scenarios).join(', ')})`);
      scenario.run(simulator).catch((error: Error) => io.stderr.write(`simulate: scenario failed: ${error.message}\n`));
    }
    await sim.serveStdio(simulator, io.stdin, io.stdout);
    simulator.close();
    return 0;
  },
});

function numberOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number of 0 or more`);
  return n;
}

/** `--quirk line-ending=cr`, `--quirk stall=30000/120000` → the simulator's quirks. */
function quirksOf(flags: string[]): Record<string, unknown> {
  const quirks: Record<string, unknown> = {};
  for (const flag of flags) {
    const [name, value = ''] = flag.split('=', 2) as [string, string?];
    if (name === 'line-ending') quirks.lineEnding = value;
    else if (name === 'status-reports') quirks.statusReports = value;
    else if (name === 'report-storage') quirks.reportStorage = value;
    else if (name === 'stall') {
      const [ms, everyMs] = value.split('/');
      quirks.stall = { ms: numberOf(ms, '--quirk stall'), everyMs: numberOf(everyMs, '--quirk stall (every)') };
    } else if (name === 'wrong-length') quirks.wrongLength = Number(value);
    else if (name === 'cpms-test') quirks.cpmsTest = value;
    else if (name === 'lte-only') quirks.lteOnly = value !== 'off';
    else if (name === 'ussd-charset') quirks.ussdCharset = value !== 'off';
    else throw new UsageError(`unknown quirk "${name}" (line-ending, status-reports, report-storage, stall, wrong-length, cpms-test, lte-only, ussd-charset)`);
  }
  return quirks;
}
