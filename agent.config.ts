import { defineConfig } from './core/index.ts';

/**
 * The deployment's whole configuration. As shipped it runs on the built-in modem simulator, so
 * `npm start` needs no hardware. Secrets come from the environment (see README).
 */
export default defineConfig({
  agentId: process.env.SMSEDGE_AGENT_ID ?? 'smsedge',
  dataDir: process.env.SMSEDGE_DATA_DIR ?? './data',
  log: { level: (process.env.SMSEDGE_LOG_LEVEL as 'info' | undefined) ?? 'info' },
  plugins: [],
});
