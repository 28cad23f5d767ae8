import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAgent } from '../../core/agent.ts';
import { systemClock } from '../../core/clock.ts';
import { defineCommand, UsageError } from '../../core/command.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger, silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';

export default defineCommand({
  name: 'replay',
  summary: "run the modem plugin against a recorded transcript; a host write that differs is an error naming the line",
  usage: 'replay <transcript.txt> [--timeout seconds] [--verbose]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { timeout: { type: 'string' }, verbose: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const file = positionals[0];
    if (!file) throw new UsageError('a transcript file is required');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const timeoutMs = Number(values.timeout ?? '30') * 1000;
    if (!(timeoutMs > 0)) throw new UsageError('--timeout must be a positive number of seconds');
    const { createReplay } = await import('../replay.ts');
    const { modem, registerPort } = await import('../../plugins/modem/index.ts');
    const replay = createReplay(text);
    // A capture has its PIN redacted to the `***` wildcard: any PIN matches, so give the plugin one.
    if (/^> AT\+CPIN="?\*\*\*/m.test(text)) process.env.SMSEDGE_REPLAY_PIN ??= '0000';
    const remove = registerPort(replay.path, () => ({ binding: replay.binding as never, path: replay.path }));
    const store = openStore({ path: ':memory:' });
    const agent = createAgent(
      resolveConfig({ agentId: 'replay', dataDir: '.', plugins: [modem({ port: replay.path, pinEnv: 'SMSEDGE_REPLAY_PIN', healthIntervalSeconds: 3600, reconnectMaxSeconds: 3600 })] }),
      { store, clock: systemClock, log: values.verbose ? createLogger({ level: 'debug', destination: process.stderr as never }) : silentLogger() },
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await agent.start();
      await Promise.race([
        replay.done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`transcript not finished after ${timeoutMs / 1000} s (the host stopped writing)`)), timeoutMs);
        }),
      ]);
      io.stdout.write(`replay: ${file}: every host write matched the transcript\n`);
      return 0;
    } catch (error) {
      io.stderr.write(`replay: ${file}: ${(error as Error).message}\n`);
      return 1;
    } finally {
      clearTimeout(timer);
      await agent.stop();
      replay.close();
      remove();
      store.close();
    }
  },
});
