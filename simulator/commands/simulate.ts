import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, defineCommand } from '../../core/command.ts';

export default defineCommand({
  name: 'simulate',
  summary: 'run the modem simulator speaking AT on stdin/stdout (put it behind socat for a pty)',
  usage:
    'simulate --stdio [--profile generic|sim800|huawei|quectel] [--inbox file.json] [--pin PIN] [--scenario NAME] [--replay transcript.txt]',
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
    const simulator = sim.createSimulator({ profile, inbox, pin: values.pin ?? null });
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
