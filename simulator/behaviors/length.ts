// Quirk: firmwares that print a wrong <length> in +CMGR/+CMGL (27.005 3.4.2-3.4.3: TPDU octets without
// the SMSC field) beside a PDU that is whole. Seen in captures as the SMSC field not subtracted, or a
// few octets short; a driver that trusts it cuts the text.
import { defineBehavior, type Behavior, type Context } from '../behavior.ts';
import { cmgl, cmgr } from './read.ts';

/**
 * +CMGR/+CMGL in PDU mode with every <length> off by `by` octets (negative: smaller than the PDU).
 *
 * @example sim.useBehavior(wrongLength(-3)) // `+CMGR: 0,,20` before a 23-octet TPDU
 */
export function wrongLength(by: number): Behavior {
  return defineBehavior({
    name: 'wrong-length',
    match: (cmd, modem) => (cmd.name === '+CMGR' || cmd.name === '+CMGL') && modem.settings.cmgf === 0,
    handle(ctx) {
      const rewritten: Context = {
        ...ctx,
        info: (...lines) => ctx.info(...lines.map((l) => (/^\+CMG[RL]:/.test(l) ? l.replace(/,(\d+)$/, (_, n: string) => `,${Math.max(0, Number(n) + by)}`) : l))),
      };
      return (ctx.cmd.name === '+CMGR' ? cmgr : cmgl).handle(rewritten);
    },
  });
}
