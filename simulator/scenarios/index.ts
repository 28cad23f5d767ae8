// Scripted situations, each a named function over a running simulator. Run one with
// `scenarios.burst.run(sim, { count: 20 })` or `simulate --stdio --scenario burst`.
import type { Simulator } from '../simulator.ts';
import { burst } from './burst.ts';
import { drafts } from './drafts.ts';
import { hang } from './hang.ts';
import { wrongLengthScenario } from './length.ts';
import { lockedSim } from './locked.ts';
import { multipartOutOfOrder } from './multipart.ts';
import { noNetwork } from './network.ts';
import { rebootInPlace } from './reboot.ts';
import { cpmsMalformedScenario, lteOnlyScenario, ussdCharsetScenario } from './quirks.ts';
import { usbUnplug } from './unplug.ts';
import { weakSignal } from './signal.ts';

export interface Scenario<O = Record<string, unknown>> {
  name: string;
  description: string;
  /** Starts the scenario; resolves when its script has run (timed steps use the simulator's clock). */
  run(sim: Simulator, opts?: O): Promise<void>;
}

export function defineScenario<O>(scenario: Scenario<O>): Scenario<O> {
  return scenario;
}

export const scenarios = {
  'locked-sim': lockedSim,
  'no-network': noNetwork,
  'weak-signal': weakSignal,
  burst,
  'multipart-out-of-order': multipartOutOfOrder,
  'usb-unplug': usbUnplug,
  hang,
  'wrong-length': wrongLengthScenario,
  drafts,
  'lte-only': lteOnlyScenario,
  'cpms-malformed': cpmsMalformedScenario,
  'ussd-charset': ussdCharsetScenario,
  'reboot-in-place': rebootInPlace,
} satisfies Record<string, Scenario<never>>;

export type ScenarioName = keyof typeof scenarios;
