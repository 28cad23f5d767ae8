/**
 * smsedge's public API: what agent.config.ts, plugins and external configs import (`from 'smsedge'`).
 */
export { createAgent, AgentStartError, type Agent, type AgentDeps } from './agent.ts';
export { defineConfig, loadConfig, resolveConfig, ConfigError, type AgentConfig, type ResolvedConfig } from './config.ts';
export {
  definePlugin,
  optional,
  type PluginContext,
  type PluginDefinition,
  type PluginInstance,
  type PluginHealth,
  type PluginEvents,
  type AgentHealth,
  type Services,
  type ConfiguredPlugin,
} from './plugin.ts';
export * from './events.ts';
export { Journal, type SinkHandler, type SinkOptions, type SinkSubscription } from './journal.ts';
export { Store, openStore, StoreError, type Migration } from './store.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { maskPhone, redactUrl, registerSecret } from './redact.ts';
export { systemClock, ManualClock, type Clock } from './clock.ts';
export { newId, isoWithOffset } from './ids.ts';
export { defineCommand, UsageError, type CommandDefinition, type CommandIO } from './command.ts';
export { DependencyError } from './order.ts';
export { version } from './version.ts';
export type * from './services.ts';
/** valibot, for a plugin's `options` schema: `import { definePlugin, v } from 'smsedge'` needs nothing else installed. */
export * as v from 'valibot';
