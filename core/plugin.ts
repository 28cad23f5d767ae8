import type { GenericSchema, InferOutput } from 'valibot';
import type { Clock } from './clock.ts';
import type { AgentEvent, AnyEvent, EventMap, EventType } from './events.ts';
import type { Journal, SinkHandler, SinkOptions, SinkSubscription } from './journal.ts';
import type { Logger } from './log.ts';
import type { Store } from './store.ts';

/**
 * Services plugins offer each other, by name. Plugins add theirs by augmenting this interface:
 *
 * @example
 * declare module '../../core/plugin.ts' {
 *   interface Services { sms: SmsService }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Services {}

export type ServiceName = keyof Services & string;

/** What health() reports for one plugin. */
export interface PluginHealth {
  status: 'pass' | 'warn' | 'fail';
  [detail: string]: unknown;
}

export interface PluginInstance {
  start?(): Promise<void> | void;
  /** Must undo start(): close ports, clear timers. Listeners added through ctx are removed for you. */
  stop?(): Promise<void> | void;
  health?(): PluginHealth | Promise<PluginHealth>;
}

/** The typed event bus a plugin sees. */
export interface PluginEvents {
  /** Records an event durably (committed before anyone hears of it) and returns it. */
  emit<T extends EventType>(type: T, data: EventMap[T], options?: { id?: string; timestamp?: string }): AgentEvent<T>;
  /** In-process, non-durable notification of committed events; removed on stop. Returns an unsubscribe. */
  on<T extends EventType>(type: T | '*', listener: (event: AgentEvent<T>) => void): () => void;
  /** Durable, at-least-once consumption (see Journal.subscribe); stopped with the plugin. */
  subscribe(sink: string, handler: SinkHandler, options?: SinkOptions): SinkSubscription;
}

export interface PluginContext<O = unknown> {
  /** The instance name (`modem`, or `modem#2` for a second instance with id 2). */
  name: string;
  options: O;
  agentId: string;
  dataDir: string;
  events: PluginEvents;
  journal: Journal;
  log: Logger;
  /** Aborted when the agent stops this plugin. */
  signal: AbortSignal;
  store: Store;
  clock: Clock;
  provide<K extends ServiceName>(name: K, value: Services[K]): void;
  /** A service another plugin provided; throws naming it when absent (declare it in dependsOn). */
  use<K extends ServiceName>(name: K): Services[K];
  tryUse<K extends ServiceName>(name: K): Services[K] | undefined;
  /** Health of every plugin, for plugins (API, MQTT) that publish it. */
  health(): Promise<AgentHealth>;
}

export interface AgentHealth {
  status: 'pass' | 'warn' | 'fail';
  agentId: string;
  version: string;
  uptimeSeconds: number;
  plugins: Record<string, PluginHealth>;
  /** Whether the store can write: `fail` with reason `storage_full` (since when) while the disk is full. */
  store: { status: 'pass' } | { status: 'fail'; reason: string; message: string; since: string };
  /** Per running sink: events not yet acknowledged, and the handler's last failure (scrubbed). */
  journal: { head: number; lag: Record<string, number>; errors?: Record<string, { message: string; at: string; failing: boolean }> };
}

export interface PluginDefinition<S extends GenericSchema = GenericSchema> {
  /** Unique, kebab-case. */
  name: string;
  /** Names of plugins that must start before this one. */
  dependsOn?: string[];
  /** Soft dependencies: started before this one when present, fine when absent. */
  after?: string[];
  /** When true, a failure to start is logged and shown in health instead of aborting start-up. */
  optional?: boolean;
  /** valibot schema of the options; validated before anything starts. */
  options?: S;
  /** Options key whose value tells several instances apart (e.g. `id` for modems). */
  instanceKey?: string;
  setup(ctx: PluginContext<InferOutput<S>>): PluginInstance | void | Promise<PluginInstance | void>;
}

/** A plugin with its (not yet validated) options, as listed in agent.config.ts. */
export interface ConfiguredPlugin {
  definition: PluginDefinition;
  options: unknown;
  optional: boolean;
}

export type PluginFactory<S extends GenericSchema> = ((options?: InferOutput<S> | Record<string, unknown>) => ConfiguredPlugin) & {
  definition: PluginDefinition<S>;
};

/**
 * Makes a plugin factory. The factory is what agent.config.ts calls with the deployment's options.
 *
 * @example
 * export const hello = definePlugin({
 *   name: 'hello',
 *   options: v.object({ greeting: v.optional(v.string(), 'hi') }),
 *   setup(ctx) {
 *     return { start: () => ctx.log.info(ctx.options.greeting) };
 *   },
 * });
 * // agent.config.ts: plugins: [hello({ greeting: 'hey' })]
 */
export function definePlugin<S extends GenericSchema>(definition: PluginDefinition<S>): PluginFactory<S> {
  const factory = ((options?: unknown) => ({
    definition: definition as unknown as PluginDefinition,
    options: options ?? {},
    optional: definition.optional ?? false,
  })) as PluginFactory<S>;
  factory.definition = definition;
  return factory;
}

/** Marks a configured plugin optional: if it fails to start, the agent logs it and goes on. */
export function optional(plugin: ConfiguredPlugin): ConfiguredPlugin {
  return { ...plugin, optional: true };
}

export type { AnyEvent };
