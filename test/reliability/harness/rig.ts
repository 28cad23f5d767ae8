// The real agent (modem plugin on the built-in simulator) in this process on a manual clock: time
// only moves when the test advances it, so faults with timeouts and backoffs take no real seconds.
// The modem tests' rig, with the plugin's own retry defaults and a longer simulated-time budget.
import type { Test } from 'tap';
import { startRig as startModemRig, type Rig as ModemRig } from '../../modem/helpers.ts';

export type Rig = ModemRig;

export function startRig(t: Test, modemOptions: Record<string, unknown> = {}, options: { dir?: string; waitOnline?: boolean } = {}): Promise<Rig> {
  return startModemRig(t, { retry: {}, ...modemOptions }, { ...options, agentId: 'reliability', maxWaitMs: 300_000 });
}
