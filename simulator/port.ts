import { readFileSync } from 'node:fs';
import type { BindingInterface } from '../plugins/modem/port.ts';
import { registerPort } from '../plugins/modem/port.ts';
import { createSimulator, type Simulator } from './simulator.ts';

declare module '../core/plugin.ts' {
  interface Services {
    /** The first in-process simulated modem (`port: 'simulator'`); the API's /simulator routes drive it. */
    simulator: Simulator;
    /** Every simulated modem of the agent, by modem id. */
    simulators: Map<string, Simulator>;
  }
}

const watchers = new Set<(sim: Simulator, modemId: string) => void>();

/**
 * Calls `watch` with each simulator a modem instance makes, before the modem opens it: a test adds
 * behaviours there, or keeps the simulator to look at later. Returns the function that stops it.
 *
 * @example
 * const stop = onSimulator((sim) => sim.useBehavior(lockedSim));
 */
export function onSimulator(watch: (sim: Simulator, modemId: string) => void): () => void {
  watchers.add(watch);
  return () => void watchers.delete(watch);
}

// `port: 'simulator'`: the modem plugin asks for the binding; the simulator made here answers on it.
registerPort('simulator', (ctx) => {
  const o = ctx.options.simulator;
  const inbox = typeof o.inbox === 'string'
    ? (JSON.parse(readFileSync(o.inbox, 'utf8')) as { from: string; text: string }[])
    : o.inbox;
  const sim = createSimulator({ profile: o.profile, clock: ctx.clock, inbox, pin: o.pin ?? null, storageFile: o.storageFile, timing: o.timing, quirks: o.quirks });
  for (const watch of watchers) watch(sim, ctx.options.id);
  if (!ctx.tryUse('simulator')) ctx.provide('simulator', sim);
  const all = ctx.tryUse('simulators') ?? new Map<string, Simulator>();
  if (!ctx.tryUse('simulators')) ctx.provide('simulators', all);
  all.set(ctx.options.id, sim);
  return { binding: sim.binding as unknown as BindingInterface, path: sim.path, simulated: true, close: () => sim.close() };
});
