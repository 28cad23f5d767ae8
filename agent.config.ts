import { defineConfig, optional } from './core/index.ts';
import { api } from './plugins/api/index.ts';
import { exec } from './plugins/exec/index.ts';
import { file } from './plugins/file/index.ts';
import { httpsms } from './plugins/httpsms/index.ts';
import { kannel } from './plugins/kannel/index.ts';
import { modem } from './plugins/modem/index.ts';
import { mqtt } from './plugins/mqtt/index.ts';
import { smsgate } from './plugins/smsgate/index.ts';
import { twilio } from './plugins/twilio/index.ts';
import { webhook } from './plugins/webhook/index.ts';

/**
 * The deployment's whole configuration. As shipped it runs on the built-in modem simulator, so
 * `npm start` needs no hardware: set `port` to the modem's device (e.g. `/dev/ttyUSB2`) for a real
 * one. Secrets come from the environment (docs/configuration.md).
 */
const env = process.env;

export default defineConfig({
  agentId: env.SMSEDGE_AGENT_ID ?? 'smsedge',
  dataDir: env.SMSEDGE_DATA_DIR ?? './data',
  log: { level: (env.SMSEDGE_LOG_LEVEL as 'info' | undefined) ?? 'info' },
  plugins: [
    // On the simulator, with its timing model: the serial line, command latencies and the network's
    // seconds per send are those of a real modem (docs/simulator.md).
    modem({ port: env.SMSEDGE_MODEM_PORT ?? 'simulator', simulator: { profile: 'generic', timing: true } }),
    api({ host: env.SMSEDGE_HOST ?? '127.0.0.1', port: Number(env.SMSEDGE_PORT ?? 8080) }),
    webhook(),
    // Every event as a JSON line in <dataDir>/events.jsonl, rotated daily, two weeks kept.
    file({ path: 'events.jsonl', rotate: { daily: true, keep: 14 } }),
    // MQTT (and Home Assistant discovery) when a broker is configured; a broker that is down at start
    // does not stop the agent.
    ...(env.SMSEDGE_MQTT_URL ? [optional(mqtt({ url: env.SMSEDGE_MQTT_URL, homeAssistant: {} }))] : []),
    // Other gateways' send APIs on the same server, for tools that speak only theirs (docs/front-doors.md).
    ...(env.SMSEDGE_DOORS?.split(',').includes('smsgate') ? [smsgate()] : []),
    ...(env.SMSEDGE_DOORS?.split(',').includes('kannel') ? [kannel()] : []),
    ...(env.SMSEDGE_DOORS?.split(',').includes('httpsms') ? [httpsms()] : []),
    ...(env.SMSEDGE_TWILIO_ACCOUNT_SID ? [twilio({ accountSid: env.SMSEDGE_TWILIO_ACCOUNT_SID })] : []),
    // Run a program per received SMS, as Gammu's RunOnReceive does.
    ...(env.SMSEDGE_ON_SMS ? [exec({ command: env.SMSEDGE_ON_SMS, types: ['sms.received'] })] : []),
  ],
});
