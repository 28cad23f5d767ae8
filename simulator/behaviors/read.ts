// Reading and deleting stored messages: 27.005 3.4.3 +CMGR, 3.4.2 +CMGL, 3.5.4 +CMGD. Reading a
// received unread message marks it read.
import { defineBehavior, is } from '../behavior.ts';
import { drainNetwork } from '../network.ts';
import { formatStored } from './format.ts';
import { simReady } from './guard.ts';

const TEXT_STAT: Record<string, number> = { 'REC UNREAD': 0, 'REC READ': 1, 'STO UNSENT': 2, 'STO SENT': 3, ALL: 4 };

export const cmgr = defineBehavior({
  name: 'cmgr',
  match: is('+CMGR'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') return true;
    if (!simReady(ctx, 'cms')) return true;
    const storage = modem.storage(modem.mem[0]);
    const index = Number(cmd.params[0]);
    if (cmd.kind !== 'set' || !storage.valid(index)) {
      ctx.cms(321); // invalid memory index
      return true;
    }
    const msg = storage.get(index);
    if (!msg) {
      if (modem.profile.emptyRead === 'error') ctx.cms(321);
      return true;
    }
    ctx.info(...formatStored(modem, msg));
    if (msg.stat === 0) {
      msg.stat = 1;
      storage.changed();
    }
    return true;
  },
});

export const cmgl = defineBehavior({
  name: 'cmgl',
  match: is('+CMGL'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    const pdu = modem.settings.cmgf === 0;
    if (cmd.kind === 'test') {
      ctx.info(pdu ? '+CMGL: (0-4)' : '+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")');
      return true;
    }
    if (!simReady(ctx, 'cms')) return true;
    const arg = cmd.params[0] ?? (pdu ? '0' : 'REC UNREAD');
    const stat = pdu ? (/^[0-4]$/.test(arg) ? Number(arg) : undefined) : TEXT_STAT[arg.toUpperCase()];
    if (stat === undefined || (cmd.kind !== 'set' && cmd.kind !== 'exec')) {
      ctx.cms(302);
      return true;
    }
    const storage = modem.storage(modem.mem[0]);
    for (const msg of storage.list(stat)) {
      ctx.info(...formatStored(modem, msg, msg.index));
      if (msg.stat === 0) {
        msg.stat = 1;
        storage.changed();
      }
    }
    return true;
  },
});

export const cmgd = defineBehavior({
  name: 'cmgd',
  match: is('+CMGD'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    const storage = modem.storage(modem.mem[0]);
    if (cmd.kind === 'test') {
      ctx.info(`+CMGD: (${storage.list().map((m) => m.index).join(',')}),(0-4)`);
      return true;
    }
    if (!simReady(ctx, 'cms')) return true;
    const index = Number(cmd.params[0] ?? '');
    const flag = Number(cmd.params[1] || '0');
    if (cmd.kind !== 'set' || !Number.isInteger(flag) || flag < 0 || flag > 4) {
      ctx.cms(302);
      return true;
    }
    if (flag === 0) {
      if (!storage.valid(index)) {
        ctx.cms(321);
        return true;
      }
      storage.delete(index);
    } else {
      // <delflag> 1: all read; 2: read and sent; 3: read, sent and unsent; 4: all.
      const stats = [[], [1], [1, 3], [1, 2, 3], [0, 1, 2, 3]][flag]!;
      for (const msg of storage.list()) if (stats.includes(msg.stat)) storage.delete(msg.index);
    }
    ctx.after(() => drainNetwork(modem)); // the SC's held messages now fit
    return true;
  },
});
