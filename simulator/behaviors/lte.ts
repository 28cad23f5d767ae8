// Quirk: a modem on an LTE-only network (2G/3G switched off, or an LTE-only SIM plan). Circuit-switched
// (+CREG, 27.007 7.2) and GPRS (+CGREG, 10.1.20) registration stay "not registered" while EPS (+CEREG,
// 10.1.22) is home or roaming; SMS still works (SMS over SGs / IMS).
import { defineBehavior } from '../behavior.ts';
import type { Modem } from '../modem.ts';

/** The <n> the host set per command, kept away from modem.settings so no +CREG: 1 indication is ever sent. */
const asked = new WeakMap<Modem, Record<string, number>>();

export const lteOnly = defineBehavior({
  name: 'lte-only',
  match: (cmd) => cmd.name === '+CREG' || cmd.name === '+CGREG',
  handle(ctx) {
    const { cmd, modem } = ctx;
    const n = asked.get(modem) ?? {};
    asked.set(modem, n);
    if (cmd.kind === 'test') ctx.info(`${cmd.name}: (0-2)`);
    else if (cmd.kind === 'read') ctx.info(`${cmd.name}: ${n[cmd.name] ?? 0},0`);
    else if (cmd.kind === 'set') {
      const value = Number(cmd.params[0] ?? '0');
      if (![0, 1, 2].includes(value)) ctx.cme(50);
      else n[cmd.name] = value;
    } else ctx.error();
    return true;
  },
});
