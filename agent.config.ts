import { defineConfig } from './core/index.ts';
import { api } from './plugins/api/index.ts';
import { modem } from './plugins/modem/index.ts';
import { webhook } from './plugins/webhook/index.ts';

/**
 * The deployment's whole configuration. As shipped it runs on the built-in modem simulator, so
 * `npm start` needs no hardware: set `port` to the modem's device (e.g. `/dev/ttyUSB2`) for a real
 * one. Secrets come from the environment (see README).
 */
export default defineConfig({
  agentId: process.env.SMSEDGE_AGENT_ID ?? 'smsedge',
  dataDir: process.env.SMSEDGE_DATA_DIR ?? './data',
  log: { level: (process.env.SMSEDGE_LOG_LEVEL as 'info' | undefined) ?? 'info' },
  plugins: [
    modem({ port: 'simulator', simulator: { profile: 'generic' } }),
    api({ host: process.env.SMSEDGE_HOST ?? '127.0.0.1', port: Number(process.env.SMSEDGE_PORT ?? 8080) }),
    webhook(),
  ],
});
