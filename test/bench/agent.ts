// The agent as the bench and the reliability tests run it: a real `smsedge start` child process with
// a generated agent.config.ts in a temp dir, on the built-in simulator (or a socat pseudo-terminal),
// with whichever plugins have landed. Nothing here fakes a plugin: a missing one is reported.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, httpGet, spawnNode, until, type Child } from './proc.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));
/**
 * SMSEDGE_BENCH_PACKAGE=<an installed smsedge package's folder> measures the published JavaScript
 * (its dist/) instead of this checkout's TypeScript: the agent users run from npm or the .deb.
 */
export const packageDir = process.env.SMSEDGE_BENCH_PACKAGE || undefined;
/** The agent's module `rel` (e.g. `core/index`, `plugins/api/index`) in what is measured. */
export const moduleFile = (rel: string) => (packageDir ? join(packageDir, 'dist', `${rel}.js`) : join(root, `${rel}.ts`));
export const cli = moduleFile('core/cli');

export type PluginName = 'modem' | 'api' | 'webhook' | 'file' | 'exec' | 'mqtt';

/** Whether plugins/<name>/index.ts exists and exports its factory; the reason when not. */
export async function pluginMissing(name: PluginName): Promise<string | undefined> {
  const file = moduleFile(`plugins/${name}/index`);
  if (!existsSync(file)) return `${file} has not landed`;
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    if (typeof mod[name] !== 'function' && typeof mod.default !== 'function') return `plugins/${name}/index.ts exports no "${name}" factory`;
  } catch (error) {
    return `plugins/${name}/index.ts does not load: ${(error as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** The first missing plugin's reason among `names`, or undefined when all are there. */
export async function missing(...names: PluginName[]): Promise<string | undefined> {
  for (const n of names) {
    const reason = await pluginMissing(n);
    if (reason) return reason;
  }
  return undefined;
}

export interface AgentSpec {
  /** Plugins and their options, in config order. */
  plugins: { name: PluginName; options?: Record<string, unknown>; optional?: boolean }[];
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  synchronous?: 'FULL' | 'NORMAL';
  /** Extra environment for the child (secrets). */
  env?: Record<string, string>;
  /** Reuse this directory (a restart); a fresh temp dir otherwise. */
  dir?: string;
}

export interface AgentDir {
  dir: string;
  dataDir: string;
  dbPath: string;
  configPath: string;
  port: number;
  apiKey: string;
  env: Record<string, string>;
  origin: string;
  remove(): void;
}

export const BENCH_API_KEY = 'bench-api-key-3f9a1c77e2d54b0c9a8e';

/**
 * Writes the agent's config into a temp dir. The API plugin (when listed) gets a free port chosen
 * now, so the parent knows where to poll.
 */
export async function prepareAgent(spec: AgentSpec): Promise<AgentDir> {
  const dir = spec.dir ?? mkdtempSync(join(tmpdir(), 'smsedge-bench-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const imports = [`import { defineConfig } from ${JSON.stringify(pathToFileURL(moduleFile('core/index')).href)};`];
  const seen = new Set<string>();
  const entries = spec.plugins.map((p) => {
    if (!seen.has(p.name)) {
      seen.add(p.name);
      imports.push(`import { ${p.name} } from ${JSON.stringify(pathToFileURL(moduleFile(`plugins/${p.name}/index`)).href)};`);
    }
    // The modem's port is required (no silent simulator): the benches run on the simulator unless told.
    const options = p.name === 'api' ? { port, ...p.options } : p.name === 'modem' ? { port: 'simulator', ...p.options } : (p.options ?? {});
    return `${p.name}(${JSON.stringify(options)})`;
  });
  const configPath = join(dir, 'agent.config.ts');
  writeFileSync(
    configPath,
    `${imports.join('\n')}\n\nexport default defineConfig(${JSON.stringify(
      { agentId: 'bench', dataDir, log: { level: spec.logLevel ?? 'info' }, store: { synchronous: spec.synchronous ?? 'FULL' }, plugins: '@@PLUGINS@@' },
      null,
      2,
    ).replace('"@@PLUGINS@@"', `[\n    ${entries.join(',\n    ')},\n  ]`)});\n`,
  );
  const apiKey = BENCH_API_KEY;
  return {
    dir,
    dataDir,
    dbPath: join(dataDir, 'smsedge.db'),
    configPath,
    port,
    apiKey,
    env: { SMSEDGE_API_KEY: apiKey, ...spec.env },
    origin: `http://127.0.0.1:${port}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts `smsedge start --config <dir>/agent.config.ts` as a child process. */
export function spawnAgent(a: AgentDir, options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Child {
  return spawnNode(cli, ['start', '--config', a.configPath], {
    cwd: a.dir,
    nodeArgs: options.nodeArgs,
    env: { NODE_NO_WARNINGS: '1', ...a.env, ...options.env },
  });
}

export interface HealthBody {
  status: string;
  plugins?: Record<string, { status: string; state?: string; [k: string]: unknown }>;
  journal?: { head: number; lag: Record<string, number> };
  [k: string]: unknown;
}

/** GET /health with the key; undefined while not answering. */
export async function health(a: AgentDir): Promise<HealthBody | undefined> {
  const r = await httpGet(`${a.origin}/health`, { authorization: `Bearer ${a.apiKey}` }, 1000).catch(() => undefined);
  if (!r || (r.status !== 200 && r.status !== 503)) return undefined;
  return JSON.parse(r.body) as HealthBody;
}

/** Whether a health body says every modem instance is online. */
export function modemOnline(h: HealthBody | undefined): boolean {
  if (!h?.plugins) return false;
  const modems = Object.entries(h.plugins).filter(([name]) => name === 'modem' || name.startsWith('modem#'));
  return modems.length > 0 && modems.every(([, p]) => p.state === 'online');
}

/** Polls /health until the modem is online (the agent is ready to receive and send). */
export async function waitOnline(a: AgentDir, child?: Child, timeoutMs = 30_000): Promise<HealthBody> {
  return until(
    async () => {
      if (child && child.proc.exitCode !== null) throw new Error(`agent exited (${child.proc.exitCode}): ${child.stderr().slice(-1500)}${child.stdout().slice(-1500)}`);
      const h = await health(a);
      return modemOnline(h) ? h : undefined;
    },
    'the agent to answer /health with the modem online',
    { timeoutMs, everyMs: 2 },
  ).catch((error) => {
    if (child) throw new Error(`${(error as Error).message}\n--- agent output ---\n${child.stdout().slice(-3000)}\n${child.stderr().slice(-3000)}`);
    throw error;
  });
}

export const EXEC_COMMAND = '/bin/cat';

/**
 * The deployment the memory and startup sections measure: every plugin that has landed, on the
 * built-in simulator, with defaults. exec listens to `call.missed` only (a program per SMS would make
 * the backlog measure process spawning); mqtt is included when its plugin and a broker URL are given.
 */
export async function fullAgentSpec(options: { webhookOptions?: Record<string, unknown>; mqttUrl?: string } = {}): Promise<{ spec: AgentSpec; plugins: PluginName[]; left: string[] }> {
  const plugins: AgentSpec['plugins'] = [];
  const left: string[] = [];
  const add = async (name: PluginName, opts?: Record<string, unknown>) => {
    const reason = await pluginMissing(name);
    if (reason) left.push(`${name}: ${reason}`);
    else plugins.push({ name, options: opts });
  };
  await add('modem');
  await add('api');
  await add('webhook', options.webhookOptions);
  await add('file');
  await add('exec', { command: EXEC_COMMAND, types: ['call.missed'] });
  if (options.mqttUrl) await add('mqtt', { url: options.mqttUrl });
  else left.push('mqtt: mosquitto is not installed (no broker for the bench)');
  return { spec: { plugins }, plugins: plugins.map((p) => p.name), left };
}
