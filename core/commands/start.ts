import { existsSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { parseArgs } from 'node:util';
import { createAgent, AgentStartError } from '../agent.ts';
import { defineCommand } from '../command.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { startWatchdog } from '../watchdog.ts';
import { releaseHeapWhenQuiet } from '../heap.ts';
import { StoreError } from '../store.ts';
import { createLogger } from '../log.ts';
import { DependencyError } from '../order.ts';

export default defineCommand({
  name: 'start',
  summary: 'run the agent with agent.config.ts (or --config path) until SIGINT/SIGTERM',
  usage: 'start [--config path] [--env-file path]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'env-file': { type: 'string' } },
      strict: true,
    });
    const envFile = values['env-file'] ?? '.env';
    if (existsSync(envFile)) process.loadEnvFile(envFile);
    else if (values['env-file']) throw new ConfigError('--env-file', `file not found: ${envFile}`);

    const config = await loadConfig(values.config ?? 'agent.config.ts');
    const log = createLogger(config.log);
    let agent;
    try {
      agent = createAgent(config, { log });
    } catch (error) {
      if (error instanceof DependencyError) throw new ConfigError('plugins', error.message);
      throw error;
    }

    process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection (bug): the agent keeps running'));

    // Signals are handled from the first moment: one that arrives during start-up stops the agent
    // as soon as start() has settled. Plugins may hold no handle of their own, so stay up until then.
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopRequested: (signal: NodeJS.Signals) => void = () => {};
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      log.info({ signal }, 'stopping');
      stopRequested(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const cleanup = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };

    try {
      await agent.start();
    } catch (error) {
      cleanup();
      // A database that is empty, damaged or not writable: one message saying what to do, no stack.
      if (error instanceof AgentStartError || error instanceof StoreError) {
        io.stderr.write(`smsedge: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    // Node writes the compile cache at exit; an agent that is killed or loses power never exits,
    // and would strip its TypeScript again at every start (core/relaunch.ts). Everything is loaded now.
    flushCompileCache();
    // What start-up and each burst grew is given back once the agent is quiet (core/heap.ts).
    const heap = process.env.SMSEDGE_HEAP_RELEASE === '0' ? undefined : releaseHeapWhenQuiet({ log });
    // systemd restarts the agent if its event loop stops (WatchdogSec= in smsedge.service).
    const watchdog = startWatchdog({ log });
    await stopSignal;
    watchdog?.stop();
    heap?.stop();
    try {
      await agent.stop();
      return 0;
    } catch (error) {
      log.error({ err: error }, 'stop failed');
      return 1;
    } finally {
      cleanup();
    }
  },
});
