// The Home Assistant add-on's translation: what the user chose on the add-on's Configuration tab
// (/data/options.json, already checked by the Supervisor against config.yaml's schema) and the MQTT
// broker the Supervisor offers (GET http://supervisor/services/mqtt) become the agent's plugin
// options and the environment its secrets are read from. Pure, so tests can check every case; the
// file and network reads are the small functions at the end. Imports nothing of smsedge: it runs
// before the agent's modules are loaded, and with any version of them.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The add-on's options as config.yaml's schema declares them (snake_case, as Home Assistant's UI shows them). */
export interface AddonOptions {
  /** The modem's serial device, picked from the host's tty devices. */
  port?: string;
  /** Run on the built-in simulated modem instead (to try the add-on without a modem). */
  simulator?: boolean;
  pin?: string;
  contacts?: { name: string; number: string }[];
  balance_ussd?: string;
  balance_pattern?: string;
  balance_every_hours?: number;
  balance_low?: number;
  api_key?: string;
  log_level?: string;
  /** A broker of the user's own, instead of the one the Supervisor offers. */
  mqtt_url?: string;
  mqtt_username?: string;
  mqtt_password?: string;
}

/** The Supervisor's MQTT service (`GET /services/mqtt`'s `data`), as the Mosquitto add-on provides it. */
export interface MqttService {
  host: string;
  port: number | string;
  ssl?: boolean;
  username?: string;
  password?: string;
  /** `3.1` or `3.1.1`. */
  protocol?: string;
}

/** What the agent runs with in the add-on. */
export interface AddonConfig {
  dataDir: string;
  log: { level: LogLevel };
  /** Options of the modem, api and (when there is a broker) mqtt plugins. */
  modem: Record<string, unknown>;
  api: Record<string, unknown>;
  mqtt?: Record<string, unknown>;
  /** Secrets, set in the agent's environment (never in a file or a log). */
  env: Record<string, string>;
  /** Things the user should know, logged at start. */
  notes: string[];
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** A bad option: `option` is its name as the Configuration tab shows it (`contacts[1].number`). */
export class AddonOptionError extends Error {
  override name = 'AddonOptionError';
  readonly code = 'invalid_option';
  readonly option: string;
  /** The message without the option's name. */
  readonly detail: string;
  constructor(option: string, message: string) {
    super(`add-on option ${option}: ${message}`);
    this.option = option;
    this.detail = message;
  }
}

/** Where Home Assistant's Supervisor reaches the add-on through Ingress (docs: "App presentation"). */
export const SUPERVISOR_INGRESS_ADDRESS = '172.30.32.2';
/** config.yaml's ingress_port: the API and the operator page listen here. */
export const INGRESS_PORT = 8099;
/** Where the Supervisor keeps the add-on's persistent data. */
export const DATA_DIR = '/data';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
// The agent's own recipient rule (core/send.ts): E.164, national digits or a short code; nothing guessed.
const PHONE = /^(?:\+[1-9]\d{6,14}|\d{3,15})$/;
// Names of Home Assistant notify entities (notify.<agent>_<name>): lower-case, digits and _.
const CONTACT = /^[a-z][a-z0-9_]{0,31}$/;
const USSD = /^[*#0-9]{2,32}$/;
const MIN_KEY = 16;

const text = (options: Record<string, unknown>, key: string): string | undefined => {
  const value = options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AddonOptionError(key, `must be text, not ${typeof value}`);
  return value.trim() || undefined;
};

const number = (options: Record<string, unknown>, key: string, min: number, max: number): number | undefined => {
  const value = options[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AddonOptionError(key, 'must be a number');
  if (value < min || value > max) throw new AddonOptionError(key, `must be between ${min} and ${max}`);
  return value;
};

function contacts(options: Record<string, unknown>): Record<string, string> | undefined {
  const list = options.contacts;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new AddonOptionError('contacts', 'must be a list of { name, number }');
  const out: Record<string, string> = {};
  list.forEach((entry: unknown, i) => {
    const at = `contacts[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new AddonOptionError(at, 'must have a name and a number');
    const { name, number: to } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !CONTACT.test(name.trim()))
      throw new AddonOptionError(`${at}.name`, 'must be a short name in lower-case letters, digits and _ (e.g. alice), starting with a letter');
    if (typeof to !== 'string' || !PHONE.test(to.trim()))
      throw new AddonOptionError(`${at}.number`, 'must be a phone number: digits with an optional leading + (international, e.g. +4915123456789)');
    if (out[name.trim()] !== undefined) throw new AddonOptionError(`${at}.name`, `"${name.trim()}" is used twice`);
    out[name.trim()] = to.trim();
  });
  return Object.keys(out).length ? out : undefined;
}

function balance(options: Record<string, unknown>): Record<string, unknown> | undefined {
  const ussd = text(options, 'balance_ussd');
  const pattern = text(options, 'balance_pattern');
  const everyHours = number(options, 'balance_every_hours', 0, 24 * 31);
  const low = number(options, 'balance_low', 0, 1e9);
  if (!ussd) {
    const stray = pattern !== undefined ? 'balance_pattern' : everyHours !== undefined ? 'balance_every_hours' : low !== undefined ? 'balance_low' : undefined;
    if (stray) throw new AddonOptionError('balance_ussd', `is needed for ${stray}: the USSD code that asks for the balance (e.g. *100#)`);
    return undefined;
  }
  if (!USSD.test(ussd)) throw new AddonOptionError('balance_ussd', 'must be a USSD code of digits, * and # (e.g. *100#)');
  if (pattern !== undefined) {
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new AddonOptionError('balance_pattern', `is not a regular expression: ${(error as Error).message}`);
    }
    if (!pattern.includes('(?<amount>')) throw new AddonOptionError('balance_pattern', 'needs a named group (?<amount>...) around the amount, e.g. (?<amount>[0-9.,]+) EUR');
  }
  return { ussd, ...(pattern && { pattern }), ...(everyHours !== undefined && { everyHours }), ...(low !== undefined && { low }) };
}

/** The broker: the user's own (`mqtt_url`) first, else the Supervisor's service, else none. */
function broker(options: Record<string, unknown>, service: MqttService | undefined): { mqtt?: Record<string, unknown>; env: Record<string, string>; note?: string } {
  const url = text(options, 'mqtt_url');
  if (url) {
    if (!/^(mqtts?|wss?):\/\/[^\s/]+/.test(url)) throw new AddonOptionError('mqtt_url', 'must be an mqtt://, mqtts://, ws:// or wss:// URL (e.g. mqtt://192.168.1.5:1883)');
    const username = text(options, 'mqtt_username');
    const password = text(options, 'mqtt_password');
    return { mqtt: { url, ...(username && { username }) }, env: password ? { SMSEDGE_MQTT_PASSWORD: password } : {} };
  }
  for (const key of ['mqtt_username', 'mqtt_password'])
    if (text(options, key)) throw new AddonOptionError(key, 'is used only with mqtt_url (the broker the Supervisor offers brings its own login)');
  if (!service) return { env: {}, note: 'no MQTT broker: install the Mosquitto broker add-on (or set mqtt_url) for the Home Assistant entities; the operator page works without one' };
  const host = service.host.includes(':') ? `[${service.host}]` : service.host;
  return {
    mqtt: {
      url: `${service.ssl ? 'mqtts' : 'mqtt'}://${host}:${Number(service.port)}`,
      ...(service.username && { username: service.username }),
      // The service speaks 3.1.1 (MQTT protocol level 4); it says so in `protocol`.
      protocolVersion: 4,
    },
    env: service.password ? { SMSEDGE_MQTT_PASSWORD: service.password } : {},
  };
}

/**
 * Turns the add-on's options and what the Supervisor said (its MQTT service, the add-on's slug) into
 * the agent's configuration, with its data in `dataDir` (the add-on's /data).
 * Throws AddonOptionError naming the option for anything the agent could not run with. `newKey` makes
 * the API key used when the user set none (the API then answers only through Ingress in practice).
 *
 * @example
 * translateOptions({ port: '/dev/ttyUSB2', contacts: [{ name: 'alice', number: '+4915123456789' }] }, { mqtt: { host: 'core-mosquitto', port: 1883, username: 'addons', password: 'p' } })
 * // → { modem: { port: '/dev/ttyUSB2' }, api: { host: '0.0.0.0', port: 8099, ingress: {...} }, mqtt: { url: 'mqtt://core-mosquitto:1883', ... }, env: {...} }
 */
export function translateOptions(
  input: unknown,
  supervisor: Supervisor = {},
  newKey: () => string = () => randomBytes(24).toString('hex'),
  dataDir: string = DATA_DIR,
): AddonConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AddonOptionError('options', 'the options are not an object (check /data/options.json)');
  const options = input as Record<string, unknown>;
  const env: Record<string, string> = {};
  const notes: string[] = [];

  const simulator = options.simulator === true;
  const port = text(options, 'port');
  if (!simulator && !port) throw new AddonOptionError('port', "is not set: choose the modem's serial device (or turn on simulator to try the add-on without a modem)");
  if (port && !port.startsWith('/dev/')) throw new AddonOptionError('port', `must be a device under /dev/, not "${port.slice(0, 64)}"`);
  const pin = text(options, 'pin');
  if (pin !== undefined) {
    if (!/^\d{4,8}$/.test(pin)) throw new AddonOptionError('pin', 'must be the SIM PIN: 4 to 8 digits');
    env.SMSEDGE_SIM_PIN = pin;
  }
  const modem: Record<string, unknown> = { port: simulator ? 'simulator' : port };
  if (simulator) {
    modem.simulator = { timing: true, storageFile: `${dataDir}/simulator.json` };
    notes.push('running on the built-in simulated modem (option simulator): no SMS leaves this machine');
  }
  const sim = balance(options);
  if (sim) modem.balance = sim;

  const apiKey = text(options, 'api_key');
  if (apiKey !== undefined && ([...apiKey].length < MIN_KEY || new Set(apiKey).size < 8))
    throw new AddonOptionError('api_key', `must be at least ${MIN_KEY} random characters (e.g. from \`openssl rand -hex 24\`), or empty for Ingress only`);
  env.SMSEDGE_API_KEY = apiKey ?? newKey();
  const api = { host: '0.0.0.0', port: INGRESS_PORT, ingress: { trustedProxy: SUPERVISOR_INGRESS_ADDRESS } };

  const { mqtt, env: mqttEnv, note } = broker(options, supervisor.mqtt);
  if (supervisor.problem) notes.push(`${supervisor.problem}: starting without its broker`);
  Object.assign(env, mqttEnv);
  if (note) notes.push(note);
  if (mqtt) {
    const named = contacts(options);
    // The devices' "Visit" link in Home Assistant opens the add-on's page (the frontend's Ingress route).
    const configurationUrl = supervisor.slug ? `homeassistant://hassio/ingress/${supervisor.slug}` : undefined;
    mqtt.homeAssistant = { ...(named && { contacts: named }), ...(configurationUrl && { configurationUrl }) };
  } else if (contacts(options)) notes.push('contacts are notify entities in Home Assistant, which needs an MQTT broker');

  const level = text(options, 'log_level') ?? 'info';
  if (!LEVELS.includes(level as LogLevel)) throw new AddonOptionError('log_level', `must be one of ${LEVELS.join(', ')}`);

  return { dataDir, log: { level: level as LogLevel }, modem, api, ...(mqtt && { mqtt }), env, notes };
}

/** Reads the options file the Supervisor writes; a missing or broken file is an AddonOptionError too. */
export async function readOptions(path = `${DATA_DIR}/options.json`): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    throw new AddonOptionError('options', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new AddonOptionError('options', `${path} is not JSON: ${(error as Error).message}`);
  }
}

/** What the add-on learns from the Supervisor. */
export interface Supervisor {
  /** The MQTT broker it offers (what `bashio::services mqtt` reads); none without a broker add-on. */
  mqtt?: MqttService;
  /** The add-on's slug (`<repository hash>_smsedge`), for a link to its page in Home Assistant. */
  slug?: string;
  /** Why it could not be asked, in plain words. */
  problem?: string;
}

/**
 * Asks the Supervisor's API (http://supervisor, with SUPERVISOR_TOKEN) for the MQTT service and the
 * add-on's own slug. Never throws: outside Home Assistant (no token), without a broker add-on (the
 * Supervisor answers that with an error), or when it cannot be reached, the answer simply lacks it.
 */
export async function askSupervisor(options: { token?: string; base?: string; fetch?: typeof fetch } = {}): Promise<Supervisor> {
  const { token = process.env.SUPERVISOR_TOKEN, base = 'http://supervisor' } = options;
  if (!token) return {};
  const get = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const res = await (options.fetch ?? fetch)(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => undefined)) as { result?: string; data?: Record<string, unknown> } | undefined;
    return res.ok && body?.result === 'ok' && typeof body.data === 'object' && body.data !== null ? body.data : undefined;
  };
  try {
    const [mqtt, self] = await Promise.all([get('/services/mqtt'), get('/addons/self/info')]);
    const out: Supervisor = {};
    if (mqtt && typeof mqtt.host === 'string' && mqtt.host && Number(mqtt.port) > 0) out.mqtt = mqtt as unknown as MqttService;
    if (self && typeof self.slug === 'string' && /^[A-Za-z0-9_.-]+$/.test(self.slug) && self.ingress !== false) out.slug = self.slug;
    return out;
  } catch (error) {
    return { problem: `cannot ask the Supervisor (${(error as Error).message})` };
  }
}
