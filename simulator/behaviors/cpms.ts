// 27.005 3.2.2 +CPMS: which storage is read/deleted (mem1), written (mem2) and receives (mem3).
import { defineBehavior, is } from '../behavior.ts';
import type { StorageName } from '../storage.ts';
import { simReady } from './guard.ts';

export const cpms = defineBehavior({
  name: 'cpms',
  match: is('+CPMS'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    const names = [...modem.storages.keys()];
    const messageStores: StorageName[] = names.filter((n) => n !== 'SR');
    const list = (l: string[]) => `(${l.map((n) => `"${n}"`).join(',')})`;
    if (cmd.kind === 'test') {
      ctx.info(`+CPMS: ${list(names)},${list(messageStores)},${list(messageStores)}`);
      return true;
    }
    if (!simReady(ctx, 'cms')) return true;
    if (cmd.kind === 'read') {
      ctx.info(`+CPMS: ${modem.mem.map((n) => `"${n}",${modem.storage(n).used},${modem.storage(n).capacity}`).join(',')}`);
      return true;
    }
    if (cmd.kind !== 'set' || !cmd.params[0]) {
      ctx.cms(302);
      return true;
    }
    const wanted = cmd.params.slice(0, 3).map((p) => p.toUpperCase());
    for (let i = 0; i < wanted.length; i++) {
      const ok = i === 0 ? names.includes(wanted[i] as StorageName) : messageStores.includes(wanted[i] as StorageName);
      if (!ok) {
        ctx.cms(302);
        return true;
      }
    }
    for (let i = 0; i < wanted.length; i++) modem.mem[i] = wanted[i] as StorageName;
    ctx.info(`+CPMS: ${modem.mem.map((n) => `${modem.storage(n).used},${modem.storage(n).capacity}`).join(',')}`);
    return true;
  },
});
