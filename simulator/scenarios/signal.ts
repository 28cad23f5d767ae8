import type { Scenario } from './index.ts';

/** The signal fades to `rssi` (default 3, about -107 dBm) and flickers to 99 (unknown) now and then. */
export const weakSignal: Scenario<{ rssi?: number; flickers?: number; everyMs?: number }> = {
  name: 'weak-signal',
  description: 'signal fades to a weak level, with moments of no signal at all',
  async run(sim, opts = {}) {
    const weak = opts.rssi ?? 3;
    sim.setSignal(weak);
    for (let i = 0; i < (opts.flickers ?? 0); i++) {
      await sim.clock.sleep(opts.everyMs ?? 5000);
      sim.setSignal(99);
      await sim.clock.sleep(opts.everyMs ?? 5000);
      sim.setSignal(weak);
    }
  },
};
