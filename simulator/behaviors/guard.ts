// Shared preconditions: commands that need the SIM answer with the SIM's state as an error.
import type { Context } from '../behavior.ts';

/**
 * True when the SIM is usable; otherwise answers the error and returns false.
 * 27.007 9.2.1 (+CME: 10 not inserted, 11 PIN, 12 PUK, 13 failure) / 27.005 3.2.5 (+CMS: 310, 311, 316, 313).
 */
export function simReady(ctx: Context, family: 'cme' | 'cms'): boolean {
  const status = ctx.modem.sim.status;
  if (status === 'READY') return true;
  const codes = {
    'NOT INSERTED': [10, 310], 'SIM PIN': [11, 311], 'SIM PUK': [12, 316], BLOCKED: [13, 313],
  }[status];
  if (family === 'cme') ctx.cme(codes[0]!);
  else ctx.cms(codes[1]!);
  return false;
}
