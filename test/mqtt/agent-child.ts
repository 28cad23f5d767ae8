/**
 * An agent with the MQTT plugin, run as a child process so a test can SIGKILL it and watch the
 * broker publish its last will. argv: <broker url> <agentId> <dataDir>.
 */
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';

const [url, agentId, dataDir] = process.argv.slice(2);
const agent = createAgent(resolveConfig({ agentId, dataDir, plugins: [mqtt({ url: url!, reconnectPeriodMs: 100 })] }), { log: silentLogger() });
await agent.start();
setInterval(() => {}, 1 << 30);
process.stdout.write('ready\n');
