// Quirk: a malformed `AT+CPMS=?` answer (27.005 3.2.2 wants `+CPMS: ("SM","ME","SR"),(...),(...)`).
// Firmwares have been seen with mismatched quotes; `garbled` is an answer with no storage name in it at
// all, so that a driver must fall back to the storages `AT+CPMS?` reports.
import { defineBehavior, type Behavior } from '../behavior.ts';

export function cpmsMalformed(kind: 'quotes' | 'garbled' = 'quotes'): Behavior {
  return defineBehavior({
    name: 'cpms-malformed',
    match: (cmd) => cmd.name === '+CPMS' && cmd.kind === 'test',
    handle(ctx) {
      const names = [...ctx.modem.storages.keys()];
      const stores = names.filter((n) => n !== 'SR');
      // `("SM,"ME","SR")`: one closing quote missing, the quoting of everything after it turned round.
      const broken = (l: string[]) => `("${l.join('","').replace('","', ',"')})`;
      ctx.info(kind === 'quotes' ? `+CPMS: ${broken(names)},${broken(stores)},("${stores.join('","')})` : '+CPMS: (",,"),(),("');
      return true;
    },
  });
}
