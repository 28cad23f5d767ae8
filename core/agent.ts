import { systemClock, type Clock } from './clock.ts';
import type { ResolvedConfig, ResolvedPlugin } from './config.ts';
import type { AnyEvent } from './events.ts';
import { Journal, type SinkSubscription } from './journal.ts';
import { createLogger, type Logger } from './log.ts';
import { matches, startOrder } from './order.ts';
import type { AgentHealth, PluginContext, PluginEvents, PluginHealth, PluginInstance, ServiceName, Services } from './plugin.ts';
import { openStore, type Store } from './store.ts';
import { version } from './version.ts';
import { isoWithOffset } from './ids.ts';

/** How often a full disk is tried again. */
const STORAGE_PROBE_MS = 5_000;

export interface AgentDeps {
  log?: Logger;
  clock?: Clock;
  /** An already open store (tests); otherwise the config's database is opened on start. */
  store?: Store;
}

type PluginState = 'idle' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

interface Slot {
  plugin: ResolvedPlugin;
  state: PluginState;
  error?: string;
  instance?: PluginInstance;
  abort: AbortController;
  unlisten: (() => void)[];
  sinks: SinkSubscription[];
}

export class AgentStartError extends Error {
  override name = 'AgentStartError';
  readonly code = 'start_failed';
  readonly plugin: string;
  constructor(plugin: string, cause: unknown) {
    super(`plugin "${plugin}" failed to start: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.plugin = plugin;
  }
}

export interface Agent {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** Available after start(). */
  readonly store: Store;
  readonly journal: Journal;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<AgentHealth>;
  /** A service a plugin provided (for tests and the CLI). */
  use<K extends ServiceName>(name: K): Services[K];
  tryUse<K extends ServiceName>(name: K): Services[K] | undefined;
}

/**
 * Builds an agent from a resolved config. start() brings plugins up in dependency order (a required
 * plugin's failure stops what was started and throws; an optional one's is logged and shown in
 * health); stop() takes them down in reverse, removing every listener and sink they added.
 *
 * @example
 * const agent = createAgent(resolveConfig(config));
 * await agent.start();
 * process.once('SIGTERM', () => agent.stop());
 */
export function createAgent(config: ResolvedConfig, deps: AgentDeps = {}): Agent {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger(config.log);
  const ordered = startOrder(
    config.plugins.map((p) => ({ ...p, dependsOn: p.definition.dependsOn ?? [], after: p.definition.after ?? [] })),
  );
  const slots: Slot[] = ordered.map((plugin) => ({ plugin, state: 'idle', abort: new AbortController(), unlisten: [], sinks: [] }));
  const services = new Map<string, unknown>();
  let store: Store | undefined = deps.store;
  let journal: Journal | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let unwatchStorage: (() => void) | undefined;

  /**
   * A full disk is logged, and tried again every STORAGE_PROBE_MS (Store.probe) until writes work,
   * so the agent recovers by itself also when nothing else writes.
   */
  function watchStorage(s: Store): void {
    unwatchStorage?.();
    let probing: AbortController | undefined;
    const off = s.onStorage((state) => {
      if (state.status === 'pass') {
        probing?.abort();
        probing = undefined;
        log.info({ path: s.path }, 'the disk has room again: writes work');
        return;
      }
      log.error({ reason: state.reason, path: s.path }, `${state.message}: free space on that disk; the agent goes on by itself once writes work again`);
      const watch = (probing = new AbortController());
      void (async () => {
        while (!watch.signal.aborted) {
          await clock.sleep(STORAGE_PROBE_MS, watch.signal).catch(() => {});
          if (!watch.signal.aborted && !s.closed) s.probe();
        }
      })();
    });
    unwatchStorage = () => {
      off();
      probing?.abort();
      unwatchStorage = undefined;
    };
  }
  const startedAt = clock.now();
  let running = false;

  const use = <K extends ServiceName>(name: K): Services[K] => {
    if (!services.has(name)) throw new Error(`service "${name}" is not provided by any running plugin`);
    return services.get(name) as Services[K];
  };
  const tryUse = <K extends ServiceName>(name: K) => services.get(name) as Services[K] | undefined;

  function contextFor(slot: Slot): PluginContext {
    const j = journal!;
    const name = slot.plugin.name;
    const events: PluginEvents = {
      emit: (type, data, options) => j.append(type, data, options),
      on: (type, listener) => {
        const off = j.listen((event: AnyEvent) => {
          if (type === '*' || event.type === type) listener(event as never);
        });
        slot.unlisten.push(off);
        return off;
      },
      subscribe: (sink, handler, options) => {
        const sub = j.subscribe(sink, handler, options);
        slot.sinks.push(sub);
        return sub;
      },
    };
    return {
      name,
      options: slot.plugin.options,
      agentId: config.agentId,
      dataDir: config.dataDir,
      events,
      journal: j,
      log: log.child({ plugin: name }),
      signal: slot.abort.signal,
      store: store!,
      clock,
      provide: (service, value) => {
        if (services.has(service)) throw new Error(`service "${service}" is already provided`);
        services.set(service, value);
      },
      use,
      tryUse,
      health: () => agent.health(),
    };
  }

  async function startSlot(slot: Slot): Promise<void> {
    const failedDep = slots.find(
      (s) => s.state === 'failed' && (slot.plugin.definition.dependsOn ?? []).some((d) => matches(d, s.plugin.name)),
    );
    if (failedDep) throw new Error(`its dependency "${failedDep.plugin.name}" failed to start`);
    slot.state = 'starting';
    const instance = (await slot.plugin.definition.setup(contextFor(slot) as never)) ?? {};
    slot.instance = instance;
    await instance.start?.();
    slot.state = 'running';
  }

  async function stopSlot(slot: Slot, timeoutMs: number): Promise<void> {
    const wasRunning = slot.state === 'running' || slot.state === 'starting';
    slot.state = 'stopping';
    slot.abort.abort(new Error('agent stopping'));
    try {
      if (wasRunning && slot.instance?.stop) await withTimeout(Promise.resolve(slot.instance.stop()), timeoutMs, slot.plugin.name);
    } catch (error) {
      log.error({ err: error, plugin: slot.plugin.name }, 'plugin did not stop cleanly');
    }
    for (const off of slot.unlisten.splice(0)) off();
    await Promise.all(slot.sinks.splice(0).map((s) => withTimeout(s.stop(), timeoutMs, `${slot.plugin.name} sink ${s.name}`).catch(() => {})));
    slot.state = 'stopped';
  }

  const agent: Agent = {
    config,
    log,
    get store() {
      if (!store) throw new Error('agent not started');
      return store;
    },
    get journal() {
      if (!journal) throw new Error('agent not started');
      return journal;
    },
    use,
    tryUse,
    async start() {
      if (running) return;
      store ??= openStore({ path: config.store.path, synchronous: config.store.synchronous, now: () => clock.now() });
      watchStorage(store);
      journal = new Journal(store, { clock, log: log.child({ plugin: 'journal' }), retentionMs: config.store.retentionHours * 3600_000 });
      running = true;
      for (const slot of slots) {
        try {
          await startSlot(slot);
          log.debug({ plugin: slot.plugin.name }, 'plugin started');
        } catch (error) {
          slot.state = 'failed';
          slot.error = (error as Error)?.message ?? String(error);
          if (slot.plugin.optional) {
            log.error({ err: error, plugin: slot.plugin.name }, 'optional plugin failed to start; continuing without it');
            await stopSlot(slot, config.shutdownTimeoutMs);
            slot.state = 'failed';
            continue;
          }
          log.fatal({ err: error, plugin: slot.plugin.name }, 'required plugin failed to start');
          await stopSlot(slot, config.shutdownTimeoutMs);
          slot.state = 'failed';
          await agent.stop();
          throw new AgentStartError(slot.plugin.name, error);
        }
      }
      journal.prune();
      pruneTimer = setInterval(() => {
        try {
          journal?.prune();
        } catch (error) {
          log.error({ err: error }, 'journal prune failed');
        }
      }, 3600_000);
      pruneTimer.unref();
      log.info({ agentId: config.agentId, plugins: slots.map((s) => `${s.plugin.name}:${s.state}`) }, 'agent started');
    },
    async stop() {
      if (!running) return;
      running = false;
      clearInterval(pruneTimer);
      unwatchStorage?.();
      for (const slot of [...slots].reverse()) {
        if (slot.state === 'running' || slot.state === 'starting') await stopSlot(slot, config.shutdownTimeoutMs);
      }
      services.clear();
      if (!deps.store) {
        store?.close();
        store = undefined; // a later start() opens it again
      }
      for (const slot of slots) {
        slot.abort = new AbortController();
        slot.state = 'idle';
        slot.error = undefined;
        slot.instance = undefined;
      }
      log.info('agent stopped');
    },
    async health() {
      const plugins: Record<string, PluginHealth> = {};
      for (const slot of slots) {
        if (slot.state === 'failed') plugins[slot.plugin.name] = { status: 'fail', state: 'failed', error: slot.error };
        else if (slot.state !== 'running') plugins[slot.plugin.name] = { status: 'fail', state: slot.state };
        else {
          try {
            plugins[slot.plugin.name] = (await slot.instance?.health?.()) ?? { status: 'pass' };
          } catch (error) {
            plugins[slot.plugin.name] = { status: 'fail', error: (error as Error).message };
          }
        }
      }
      const statuses = Object.entries(plugins).map(([name, h]) => {
        const optional = slots.find((s) => s.plugin.name === name)?.plugin.optional;
        return h.status === 'fail' && optional ? 'warn' : h.status;
      });
      // A store that cannot write fails the agent whatever the plugins say: nothing new is kept.
      const storage = store && !store.closed ? store.storage() : ({ status: 'pass' } as const);
      if (storage.status === 'fail') statuses.push('fail');
      const status = statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';
      return {
        status,
        agentId: config.agentId,
        version,
        uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
        plugins,
        store: storage.status === 'pass' ? { status: 'pass' } : { status: 'fail', reason: storage.reason, message: storage.message, since: isoWithOffset(storage.since) },
        journal: journal && !store?.closed ? { head: journal.head(), lag: journal.lags(), errors: journal.sinkErrors() } : { head: 0, lag: {}, errors: {} },
      };
    },
  };
  return agent;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
