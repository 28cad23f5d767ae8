/**
 * A whole agent with one sink plugin, run as a child process so a test can SIGKILL it mid-stream.
 * argv: <plugin: file|exec> <dataDir> <options JSON>. Prints `ready` once started; SIGTERM stops it.
 */
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { exec } from '../../plugins/exec/index.ts';
import { file } from '../../plugins/file/index.ts';

const [kind, dataDir, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}');
const plugin = kind === 'exec' ? exec(options) : file(options);
const agent = createAgent(resolveConfig({ agentId: 'crash', dataDir, plugins: [plugin] }), { log: silentLogger() });
await agent.start();
const keepAlive = setInterval(() => {}, 1 << 30);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void agent.stop().then(() => clearInterval(keepAlive));
});
