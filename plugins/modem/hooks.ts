// Hooks for tests that must reach inside a running modem plugin; never set in production.
import type { Simulator } from '../../simulator/index.ts';
import type { DriverDeps } from './context.ts';

/**
 * Set before the agent starts; read once by each modem instance as it is set up (index.ts).
 * Re-exported from the plugin's index, where tests import it.
 *
 * @example
 * testHooks.beforeStore = () => hang(); // the crash test pauses between reading and storing
 * testHooks.simulator = (sim) => sim.useBehavior(lockedSim);
 */
export const testHooks: {
  /** Runs after a PDU is read from the modem and before it is stored. */
  beforeStore?: DriverDeps['beforeStore'];
  /** Runs after a PDU is durable and before it is deleted from the modem. */
  afterStore?: DriverDeps['afterStore'];
  /** Gets each in-process simulator as it is made, before the modem opens it. */
  simulator?: (sim: Simulator) => void;
} = {};
