// 27.007 5.1-5.4, 5.6 identification (answers without a prefix, as the spec shows them) and +CCID.
import { defineBehavior, type Behavior } from '../behavior.ts';
import type { Modem } from '../modem.ts';
import { simReady } from './guard.ts';

function ident(name: string, names: string[], value: (m: Modem) => string, needsSim = false): Behavior {
  return defineBehavior({
    name,
    match: (cmd) => names.includes(cmd.name) && (cmd.kind === 'exec' || cmd.kind === 'test'),
    handle(ctx) {
      if (ctx.cmd.kind === 'test') return true;
      if (needsSim && !simReady(ctx, 'cme')) return true;
      ctx.info(value(ctx.modem));
      return true;
    },
  });
}

export const manufacturer = ident('manufacturer', ['+CGMI', '+GMI'], (m) => m.profile.manufacturer);
export const model = ident('model', ['+CGMM', '+GMM'], (m) => m.profile.model);
export const revision = ident('revision', ['+CGMR', '+GMR'], (m) => m.profile.revision);
export const imei = ident('imei', ['+CGSN', '+GSN'], (m) => m.identity.imei);
export const imsi = ident('imsi', ['+CIMI'], (m) => m.identity.imsi, true);
/** AT+CCID: `+CCID: <iccid>` (not in 27.007, but what most modules answer). */
export const ccid = ident('ccid', ['+CCID'], (m) => `+CCID: ${m.identity.iccid}`, true);
