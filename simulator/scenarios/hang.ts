import type { Scenario } from './index.ts';

/**
 * The modem stops answering (a hung Huawei stick): commands get no reply until the host reopens the
 * port, or for `ms` when given.
 */
export const hang: Scenario<{ ms?: number }> = {
  name: 'hang',
  description: 'the modem stops answering until the port is reopened',
  async run(sim, opts = {}) {
    sim.fault('hang', { ms: opts.ms });
  },
};
