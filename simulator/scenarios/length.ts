import { wrongLength } from '../behaviors/length.ts';
import type { Scenario } from './index.ts';

/** Stored messages are listed and read with a wrong <length> (`by` octets, default 3 fewer than the TPDU). */
export const wrongLengthScenario: Scenario<{ by?: number }> = {
  name: 'wrong-length',
  description: '+CMGR/+CMGL print a <length> that does not match the PDU (a firmware bug)',
  async run(sim, opts = {}) {
    sim.useBehavior(wrongLength(opts.by ?? -3));
  },
};
