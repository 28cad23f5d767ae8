import type { Scenario } from './index.ts';

/** `count` SMS (default 20) arrive back to back, from a few senders, every `gapMs` (default 0). */
export const burst: Scenario<{ count?: number; gapMs?: number; from?: string[] }> = {
  name: 'burst',
  description: 'a burst of incoming SMS, back to back',
  async run(sim, opts = {}) {
    const senders = opts.from ?? ['+15550001001', '+15550001002', '+15550001003'];
    const count = opts.count ?? 20;
    for (let i = 0; i < count; i++) {
      if (i > 0 && opts.gapMs) await sim.clock.sleep(opts.gapMs);
      sim.receiveSms({ from: senders[i % senders.length]!, text: `Burst message ${i + 1} of ${count}` });
    }
  },
};
