import { spawnSync } from 'node:child_process';
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

/** A valibot schema as far as finding an object's keys needs it (optional wraps, pipes keep entries). */
interface SchemaShape {
  entries?: Record<string, SchemaShape>;
  wrapped?: SchemaShape;
  item?: SchemaShape;
}

/** The object keys `schema` allows at `path` (for "did you mean"), [] when unknown (a union, say). */
function keysAt(schema: SchemaShape | undefined, path: readonly v.IssuePathItem[]): string[] {
  let s = schema;
  const unwrap = () => {
    while (s?.wrapped) s = s.wrapped;
  };
  for (const item of path) {
    unwrap();
    s = item.type === 'array' ? s?.item : typeof item.key === 'string' ? s?.entries?.[item.key] : undefined;
  }
  unwrap();
  return Object.keys(s?.entries ?? {});
}

/** Edit distance (a swap of two neighbours counts 1), for "did you mean": case differences count 0. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The closest allowed key to a mistyped one, if any is close enough to be what was meant. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of allowed) {
    const d = distance(key, k);
    if (d <= Math.max(1, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

/**
 * One ConfigError in plain words for valibot's first issue: `plugins[0] (modem).baudrate: unknown
 * key (did you mean "baudRate"?)`, `plugins[2] (mqtt): missing required key "url"`, else the
 * dotted path and valibot's message.
 */
function issueMessage(prefix: string, issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], schema?: unknown): ConfigError {
  const issue = issues[0];
  const path = issue.path ?? [];
  const last = path.at(-1) as (v.IssuePathItem & { origin?: string }) | undefined;
  const where = (items: readonly v.IssuePathItem[]) => {
    const dotted = items.map((p) => (p.type === 'array' ? `[${String(p.key)}]` : `.${String(p.key)}`)).join('').replace(/^\./, '');
    if (!prefix) return dotted || '(root)';
    return dotted ? `${prefix}${dotted.startsWith('[') ? '' : '.'}${dotted}` : prefix;
  };
  if (last?.origin === 'key' && typeof last.key === 'string') {
    if (issue.expected === 'never') {
      const meant = closestKey(last.key, keysAt(schema as SchemaShape, path.slice(0, -1)));
      return new ConfigError(where(path), `unknown key${meant ? ` (did you mean "${meant}"?)` : ''}`);
    }
    if (issue.received === 'undefined') return new ConfigError(where(path.slice(0, -1)), `missing required key "${last.key}"`);
  }
  if (issue.received === 'undefined' && last && typeof last.key === 'string' && !(last.input && typeof last.input === 'object' && last.key in last.input))
    return new ConfigError(where(path.slice(0, -1)), `missing required key "${last.key}"`);
  return new ConfigError(where(path), issue.message);
}

/** Validates a config and every plugin's options. Throws one ConfigError naming the plugin and key. */
export function resolveConfig(config: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (!config || typeof config !== 'object') throw new ConfigError('(root)', 'the config must export an object (use defineConfig)');
  const parsed = v.safeParse(topLevel, config);
  if (!parsed.success) throw issueMessage('', parsed.issues, topLevel);
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
      if (!result.success) throw issueMessage(`${where} (${def.name})`, result.issues, def.options);
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
    throw syntaxError(error, file) ?? new ConfigError('--config', `could not load ${file}: ${(error as Error).message}`);
  }
  if (mod.default === undefined) throw new ConfigError('--config', `${file} has no default export (export default defineConfig({...}))`);
  return resolveConfig(mod.default, env);
}

/**
 * A syntax error in the config (or a file it imports) as `<file>:<line>:<column>: syntax error: ...`.
 * Node puts `<file>:<line>`, the source line and a caret under the column at the top of the stack
 * for TypeScript it cannot strip.
 */
function syntaxError(error: unknown, file: string): ConfigError | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  let lines = String(error.stack ?? '').split('\n');
  // A JavaScript module's syntax error keeps its place out of the stack: `node --check` prints it.
  if (!/:\d+$/.test(lines[0] ?? '')) lines = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 5000 }).stderr?.split('\n') ?? [];
  const at = /^(?:file:\/\/)?(\/.*|[A-Za-z]:\\.*):(\d+)$/.exec(lines[0] ?? '');
  if (!at) return undefined;
  const caret = lines.findIndex((l, i) => i > 0 && /^\s*\^+\s*$/.test(l));
  const column = caret > 0 ? `:${lines[caret]!.indexOf('^') + 1}` : '';
  return new ConfigError(`${decodeURI(at[1]!)}:${at[2]}${column}`, `syntax error: ${error.message}`);
}
