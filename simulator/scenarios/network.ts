import type { Scenario } from './index.ts';

/** No network at first (searching, +CREG: 0,2); registers after `afterMs` on the simulator's clock. */
export const noNetwork: Scenario<{ afterMs?: number }> = {
  name: 'no-network',
  description: 'not registered (searching), then registered after a while',
  async run(sim, opts = {}) {
    sim.deregister();
    await sim.clock.sleep(opts.afterMs ?? 10_000);
    sim.register();
  },
};
