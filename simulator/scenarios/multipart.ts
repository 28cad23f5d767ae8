import type { Scenario } from './index.ts';

/** A 3-part message arrives in the order 3, 1, 2 (optionally with a part missing, or 16-bit references). */
export const multipartOutOfOrder: Scenario<{ parts?: number; dropPart?: number; ref16?: boolean; from?: string; text?: string }> = {
  name: 'multipart-out-of-order',
  description: 'a concatenated SMS whose parts arrive out of order (optionally one missing)',
  async run(sim, opts = {}) {
    const parts = opts.parts ?? 3;
    const order = [parts, ...Array.from({ length: parts - 1 }, (_, i) => i + 1)];
    sim.receiveSms({
      from: opts.from ?? '+15550002000', text: opts.text ?? 'This long message comes in several parts.',
      parts, order, dropPart: opts.dropPart, ref16: opts.ref16,
    });
  },
};
