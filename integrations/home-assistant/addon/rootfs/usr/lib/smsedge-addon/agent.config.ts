// The add-on's agent.config.ts: everything comes from the add-on's options (/data/options.json) and
// what the Supervisor says (its MQTT broker, the add-on's slug), translated by ./options.ts; secrets
// go into this process's environment, where the plugins read them, and into no file. The run script starts
// `smsedge start --config` on this file. SMSEDGE_ADDON_OPTIONS and SMSEDGE_ADDON_SUPERVISOR move the
// two inputs elsewhere, SMSEDGE_ADDON_DATA and SMSEDGE_ADDON_PORT the data folder (/data) and the
// ingress port (8099): for tests that run this file outside the image.
import { ConfigError, defineConfig } from 'smsedge';
import { api } from 'smsedge/plugins/api';
import { modem } from 'smsedge/plugins/modem';
import { mqtt } from 'smsedge/plugins/mqtt';
import { AddonOptionError, askSupervisor, readOptions, translateOptions, type AddonConfig } from './options.ts';

const env = process.env;
const say = (line: string) => process.stderr.write(`smsedge add-on: ${line}\n`);

const supervisor = await askSupervisor({ base: env.SMSEDGE_ADDON_SUPERVISOR });

let addon: AddonConfig;
try {
  addon = translateOptions(await readOptions(env.SMSEDGE_ADDON_OPTIONS), supervisor, undefined, env.SMSEDGE_ADDON_DATA || undefined);
} catch (error) {
  if (error instanceof AddonOptionError) throw new ConfigError(`add-on option ${error.option}`, error.detail);
  throw error;
}
Object.assign(env, addon.env);
for (const note of addon.notes) say(note);
// The broker's host only: a URL may carry a login.
if (addon.mqtt) say(`MQTT broker at ${new URL(String(addon.mqtt.url)).host}`);

if (env.SMSEDGE_ADDON_PORT) addon.api.port = Number(env.SMSEDGE_ADDON_PORT);

export default defineConfig({
  dataDir: addon.dataDir,
  log: addon.log,
  plugins: [
    modem(addon.modem as Parameters<typeof modem>[0]),
    api(addon.api as Parameters<typeof api>[0]),
    ...(addon.mqtt ? [mqtt(addon.mqtt as Parameters<typeof mqtt>[0])] : []),
  ],
});
