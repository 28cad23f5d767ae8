import type { Scenario } from './index.ts';

/**
 * The modem reboots in place (a brown-out on a Pi's UART, a watchdog reset): no USB re-enumeration, the
 * port stays open. It is deaf for `downMs` (default 1500), then prints its boot lines (the profile's, or
 * `lines`) with every setting back to its default and the SIM asking for its PIN again if it has one.
 */
export const rebootInPlace: Scenario<{ downMs?: number; lines?: string[] }> = {
  name: 'reboot-in-place',
  description: 'the modem restarts without leaving the port: boot lines, settings reset, PIN asked again',
  async run(sim, opts = {}) {
    const modem = sim.modem;
    const downMs = opts.downMs ?? 1500;
    if (downMs > 0) sim.fault('hang', { ms: downMs });
    modem.powerOn();
    const status = modem.sim.status === 'READY' ? 'READY' : modem.sim.status;
    const profileLines = modem.profile.boot(modem);
    const lines = opts.lines ?? (profileLines.length ? profileLines : ['RDY', '+CFUN: 1', `+CPIN: ${status}`, ...(status === 'READY' ? ['SMS Ready'] : [])]);
    await new Promise<void>((resolve) => modem.later(downMs, () => {
      modem.urc(...lines);
      modem.networkChanged();
      resolve();
    }));
  },
};
