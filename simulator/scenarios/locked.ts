import type { Scenario } from './index.ts';

/**
 * The SIM is locked: it asks for its PIN (and, with `puk: true`, has already used up its three
 * attempts and wants the PUK). Nothing registers and no SMS arrives until it is unlocked.
 */
export const lockedSim: Scenario<{ pin?: string; puk?: boolean }> = {
  name: 'locked-sim',
  description: 'the SIM wants its PIN (or PUK); no network until it is given',
  async run(sim, opts = {}) {
    const s = sim.modem.sim;
    s.pin = opts.pin ?? s.pin ?? '1234';
    s.status = opts.puk ? 'SIM PUK' : 'SIM PIN';
    if (opts.puk) s.pinAttempts = 0;
    sim.modem.networkChanged();
  },
};
