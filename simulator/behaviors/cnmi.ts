// 27.005 3.4.1 +CNMI: how new messages and status reports are indicated; 3.4.4 +CNMA acknowledges
// a routed +CMT/+CDS.
import { defineBehavior, is } from '../behavior.ts';
import { acknowledge, flushBuffered } from '../network.ts';

export const cnmi = defineBehavior({
  name: 'cnmi',
  match: is('+CNMI'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    // SIMCom routes status reports only: its +CNMI=? offers <ds> 0 and 1.
    const allowed = modem.quirks.statusReports === 'routed' ? modem.profile.cnmiAllowed.map((set, i) => (i === 3 ? set.filter((v) => v < 2) : set)) : modem.profile.cnmiAllowed;
    if (cmd.kind === 'read') ctx.info(`+CNMI: ${modem.settings.cnmi.join(',')}`);
    else if (cmd.kind === 'test') ctx.info(`+CNMI: ${allowed.map((set) => `(${modem.profile.listStyle(set)})`).join(',')}`);
    else if (cmd.kind === 'set') {
      const next = [...modem.settings.cnmi] as typeof modem.settings.cnmi;
      for (let i = 0; i < 5 && i < cmd.params.length; i++) {
        if (cmd.params[i] === '') continue;
        const v = Number(cmd.params[i]);
        if (!allowed[i]!.includes(v)) {
          ctx.cms(303);
          return true;
        }
        next[i] = v;
      }
      modem.settings.cnmi = next;
      if (next[0] !== 0) ctx.after(() => flushBuffered(modem));
    } else ctx.error();
    return true;
  },
});

export const cnma = defineBehavior({
  name: 'cnma',
  match: is('+CNMA'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') {
      ctx.info('+CNMA: (0-2)');
      return true;
    }
    // 340: no +CNMA acknowledgement expected.
    const modem = ctx.modem;
    if (!modem.pendingAck) ctx.cms(340);
    else ctx.after(() => acknowledge(modem)); // held messages follow the OK

    return true;
  },
});
