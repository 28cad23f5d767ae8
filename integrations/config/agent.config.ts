// smsedge's configuration for an installed agent (/etc/smsedge/agent.config.ts with the Debian
// package). It imports only the installed package; secrets stay in the environment file beside it
// (/etc/smsedge/env: SMSEDGE_API_KEY=..., SMSEDGE_MODEM_PORT=...), read by systemd for the service;
// `sudo smsedge init` finds the modem and writes both files.
import { defineConfig } from 'smsedge';
import { api } from 'smsedge/plugins/api';
import { file } from 'smsedge/plugins/file';
import { modem } from 'smsedge/plugins/modem';
import { webhook } from 'smsedge/plugins/webhook';

const env = process.env;

export default defineConfig({
  // Where the database lives: the service's StateDirectory (/var/lib/smsedge) under systemd.
  dataDir: env.STATE_DIRECTORY ?? env.SMSEDGE_DATA_DIR ?? './data',
  plugins: [
    // The modem's device: prefer its /dev/serial/by-id/ name (stable across reboots and replugging).
    // 'simulator' runs the built-in simulated modem instead.
    modem({ port: env.SMSEDGE_MODEM_PORT ?? '/dev/ttyUSB2' }),
    // On a LAN address the API needs a key (SMSEDGE_API_KEY in the environment file).
    api({ host: env.SMSEDGE_HOST ?? '127.0.0.1', port: Number(env.SMSEDGE_PORT ?? 8080) }),
    webhook(),
    file({ path: 'events.jsonl', rotate: { daily: true, keep: 14 } }),
  ],
});
