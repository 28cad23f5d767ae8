#!/usr/bin/env node
import { readdirSync, realpathSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import { UsageError, type CommandDefinition, type CommandIO } from './command.ts';
import { ConfigError } from './config.ts';
import { RemoteError } from './remote.ts';
import { configFileOf, enableCompileCacheHere, relaunch } from './relaunch.ts';
import { simulatorCommands } from './simulator.ts';
import { version } from './version.ts';

// A config outside the project (e.g. /etc/smsedge/agent.config.ts) can `import ... from 'smsedge'`
// and 'smsedge/plugins/<name>': resolve those to this copy of smsedge, the .ts sources in a checkout,
// the built .js files in the installed package (dist/), so config and CLI share one set of modules.
const root = new URL('../', import.meta.url);
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'smsedge') return { url: new URL(`core/index${ext}`, root).href, shortCircuit: true };
    if (specifier.startsWith('smsedge/plugins/'))
      return { url: new URL(`plugins/${specifier.slice('smsedge/plugins/'.length)}/index${ext}`, root).href, shortCircuit: true };
    if (specifier === 'smsedge/simulator') return { url: new URL(`simulator/index${ext}`, root).href, shortCircuit: true };
    return next(specifier, context);
  },
});

const commandsDir = new URL('./commands/', import.meta.url);

/**
 * Every file in core/commands/ is a subcommand; with `simulator`, the simulator's commands too (when it
 * is installed): they are loaded only when asked for, so `start` never loads the simulator's code.
 */
export async function loadCommands(options: { simulator?: boolean } = {}): Promise<Map<string, CommandDefinition>> {
  const commands = new Map<string, CommandDefinition>();
  for (const file of readdirSync(commandsDir).filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts')).sort()) {
    const mod = (await import(new URL(file, commandsDir).href)) as { default?: CommandDefinition };
    if (mod.default?.name) commands.set(mod.default.name, mod.default);
  }
  if (options.simulator) for (const command of await simulatorCommands()) commands.set(command.name, command);
  return commands;
}

function usage(commands: Map<string, CommandDefinition>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length), 4);
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `smsedge ${version}: an SMS gateway agent for a GSM/LTE modem\n\nUsage: smsedge <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nOptions:\n  --help     show help (also after a command)\n  --version  print the version\n`;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  let commands = await loadCommands();
  if (!name || !commands.has(name)) commands = await loadCommands({ simulator: true });
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(commands));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    io.stderr.write(`smsedge: unknown command "${name}"\n\n${usage(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`Usage: smsedge ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return (await command.run(rest, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`smsedge ${name}: ${(error as Error).message}\nUsage: smsedge ${command.usage}\n`);
      return 2;
    }
    if (error instanceof RemoteError) {
      io.stderr.write(`smsedge ${name}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`smsedge: config error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  // The agent runs for months: start it again with the compile cache and its V8 flags (core/relaunch.ts).
  if (process.argv[2] === 'start') {
    await relaunch({
      file: configFileOf(process.argv.slice(3)),
      // The commands too: the relaunched process loads them before the config.
      load: async (url) => Promise.all([loadCommands(), import(url)]),
    });
  } else enableCompileCacheHere();
  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  process.exitCode = code;
}
