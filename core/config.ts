import { existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as v from 'valibot';
import type { LogLevel } from './log.ts';
import type { ConfiguredPlugin, PluginDefinition } from './plugin.ts';

export interface AgentConfig {
  /** Names this agent in events, MQTT topics and health. Default: the host name. */
  agentId?: string;
  /** Where the database and other state live. Default `./data`. */
  dataDir?: string;
  log?: { level?: LogLevel; pretty?: boolean };
  store?: {
    /** Database file; default `<dataDir>/smsedge.db`. */
    path?: string;
    synchronous?: 'FULL' | 'NORMAL';
    /** How long acknowledged events stay in the journal (webhook replay reads them). Default 168. */
    retentionHours?: number;
  };
  /** How long stop() waits for plugins to drain before giving up. Default 10000. */
  shutdownTimeoutMs?: number;
  plugins: ConfiguredPlugin[];
}

export interface ResolvedPlugin {
  /** Instance name: the plugin's name, or `name#id` when its instance key is set. */
  name: string;
  definition: PluginDefinition;
  options: unknown;
  optional: boolean;
}

export interface ResolvedConfig {
  agentId: string;
  dataDir: string;
  log: { level: LogLevel; pretty?: boolean };
  store: { path: string; synchronous: 'FULL' | 'NORMAL'; retentionHours: number };
  shutdownTimeoutMs: number;
  plugins: ResolvedPlugin[];
}

/** A configuration problem; `key` is the dotted path of the offending setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'config_error';
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.key = key;
  }
}

/**
 * Types agent.config.ts; returns its argument.
 *
 * @example
 * export default defineConfig({ agentId: 'pi-1', plugins: [modem({ port: '/dev/ttyUSB2' }), api()] });
 */
export function defineConfig(config: AgentConfig): AgentConfig {
  return config;
}

const topLevel = v.strictObject({
  agentId: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (max 64)'))),
  dataDir: v.optional(v.pipe(v.string(), v.minLength(1))),
  log: v.optional(
    v.strictObject({
      level: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
      pretty: v.optional(v.boolean()),
    }),
  ),
  store: v.optional(
    v.strictObject({
      path: v.optional(v.pipe(v.string(), v.minLength(1))),
      synchronous: v.optional(v.picklist(['FULL', 'NORMAL'])),
      retentionHours: v.optional(v.pipe(v.number(), v.minValue(0))),
    }),
  ),
  shutdownTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  plugins: v.array(v.any()),
});

function issueMessage(prefix: string, issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): ConfigError {
  const issue = issues[0];
  const path = v.getDotPath(issue);
  return new ConfigError(path ? `${prefix}${prefix ? '.' : ''}${path}` : prefix || '(root)', issue.message);
}

/** Validates a config and every plugin's options. Throws one ConfigError naming the plugin and key. */
export function resolveConfig(config: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (!config || typeof config !== 'object') throw new ConfigError('(root)', 'the config must export an object (use defineConfig)');
  const parsed = v.safeParse(topLevel, config);
  if (!parsed.success) throw issueMessage('', parsed.issues);
  const c = parsed.output;
  const dataDir = resolve(c.dataDir ?? env.SMSEDGE_DATA_DIR ?? './data');
  const plugins: ResolvedPlugin[] = [];
  const names = new Set<string>();
  c.plugins.forEach((entry: unknown, index: number) => {
    const where = `plugins[${index}]`;
    // A factory listed without calling it (`plugins: [api]`) means its defaults.
    const p = (typeof entry === 'function' && 'definition' in entry ? (entry as unknown as () => ConfiguredPlugin)() : entry) as
      | Partial<ConfiguredPlugin>
      | undefined;
    if (!p || typeof p !== 'object' || !p.definition || typeof p.definition.setup !== 'function')
      throw new ConfigError(where, 'not a plugin: call the plugin factory, e.g. api({ port: 8080 })');
    const def = p.definition;
    let options: unknown = p.options ?? {};
    if (def.options) {
      const result = v.safeParse(def.options, options);
      if (!result.success) throw issueMessage(`${where} (${def.name})`, result.issues);
      options = result.output;
    }
    const instanceId = def.instanceKey ? (options as Record<string, unknown>)[def.instanceKey] : undefined;
    const name = instanceId !== undefined && instanceId !== def.name && instanceId !== 'default' ? `${def.name}#${String(instanceId)}` : def.name;
    if (names.has(name))
      throw new ConfigError(`${where} (${def.name})`, `plugin "${name}" is listed twice${def.instanceKey ? ` (give each a distinct "${def.instanceKey}")` : ''}`);
    names.add(name);
    plugins.push({ name, definition: def, options, optional: p.optional ?? false });
  });
  return {
    agentId: c.agentId ?? env.SMSEDGE_AGENT_ID ?? hostname(),
    dataDir,
    log: { level: c.log?.level ?? (env.SMSEDGE_LOG_LEVEL as LogLevel | undefined) ?? 'info', pretty: c.log?.pretty },
    store: {
      path: resolve(dataDir, c.store?.path ?? 'smsedge.db'),
      synchronous: c.store?.synchronous ?? 'FULL',
      retentionHours: c.store?.retentionHours ?? 168,
    },
    shutdownTimeoutMs: c.shutdownTimeoutMs ?? 10_000,
    plugins,
  };
}

function hostname(): string {
  const h = (osHostname() || 'smsedge').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return /^[A-Za-z0-9]/.test(h) ? h : `smsedge-${h}`;
}

/** Imports a config file (TypeScript or JavaScript) and resolves it. */
export async function loadConfig(path = 'agent.config.ts', env: NodeJS.ProcessEnv = process.env): Promise<ResolvedConfig> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError('--config', `file not found: ${file}`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('--config', `could not load ${file}: ${(error as Error).message}`);
  }
  if (mod.default === undefined) throw new ConfigError('--config', `${file} has no default export (export default defineConfig({...}))`);
  return resolveConfig(mod.default, env);
}
