import type { Scenario } from './index.ts';

/** The USB modem is pulled out (the open port sees a disconnect) and plugged back in after `awayMs`. */
export const usbUnplug: Scenario<{ awayMs?: number }> = {
  name: 'usb-unplug',
  description: 'USB unplugged, then plugged back in',
  async run(sim, opts = {}) {
    sim.unplug();
    await sim.clock.sleep(opts.awayMs ?? 5000);
    sim.replug();
  },
};
