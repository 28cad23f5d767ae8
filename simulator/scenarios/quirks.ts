// Scenarios that switch on one real-firmware quirk each (the behaviours live in ../behaviors/).
import { cpmsMalformed } from '../behaviors/cpmslist.ts';
import { lteOnly } from '../behaviors/lte.ts';
import { ussdCharset } from '../behaviors/ussdcharset.ts';
import { SimulatorError } from '../simulator.ts';
import type { Scenario } from './index.ts';

/** Registered on LTE only: +CREG and +CGREG say "not registered", +CEREG home (an LTE profile: generic, quectel, ...). */
export const lteOnlyScenario: Scenario = {
  name: 'lte-only',
  description: '2G/3G off: +CREG/+CGREG not registered, +CEREG registered; SMS works',
  async run(sim) {
    if (!sim.modem.profile.lte) throw new SimulatorError('invalid_argument', `profile ${sim.modem.profile.name} has no LTE (+CEREG)`);
    sim.modem.settings.creg = 0;
    sim.modem.settings.cgreg = 0;
    sim.useBehavior(lteOnly);
  },
};

/** `AT+CPMS=?` answered with mismatched quotes (`quotes`), or with no storage name at all (`garbled`). */
export const cpmsMalformedScenario: Scenario<{ kind?: 'quotes' | 'garbled' }> = {
  name: 'cpms-malformed',
  description: 'a malformed AT+CPMS=? answer (mismatched quotes, or nothing sensible)',
  async run(sim, opts = {}) {
    sim.useBehavior(cpmsMalformed(opts.kind));
  },
};

/** USSD answers printed in the +CSCS character set: GSM 7-bit codes under "GSM" (`w{hlen`), hex codes under "HEX". */
export const ussdCharsetScenario: Scenario = {
  name: 'ussd-charset',
  description: 'USSD answers printed in the TE character set (GSM 7-bit codes under +CSCS="GSM")',
  async run(sim) {
    sim.useBehavior(ussdCharset);
  },
};
