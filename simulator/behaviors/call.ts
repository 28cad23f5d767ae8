// Voice calls as an SMS gateway sees them: 27.007 7.6 +CLIP presentation, V.250 6.3.5 ATH / 27.007
// 6.5 +CHUP hang up, ATA answer, ATD dial (no voice path here: the far end never answers).
import { defineBehavior, is } from '../behavior.ts';

export const clip = defineBehavior({
  name: 'clip',
  match: is('+CLIP'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CLIP: ${modem.settings.clip ? 1 : 0},1`);
    else if (cmd.kind === 'test') ctx.info('+CLIP: (0,1)');
    else {
      const n = Number(cmd.params[0] ?? '0');
      if (n !== 0 && n !== 1) ctx.cme(50);
      else modem.settings.clip = n === 1;
    }
    return true;
  },
});

export const hangup = defineBehavior({
  name: 'hangup',
  // 27.007 6.5: AT+CHUP=? answers OK (an action command without parameters); Gammu probes it.
  match: (cmd) => cmd.name === 'H' || (cmd.name === '+CHUP' && (cmd.kind === 'exec' || cmd.kind === 'test')),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') return true;
    ctx.modem.call = null;
    return true;
  },
});

export const answer = defineBehavior({
  name: 'answer',
  match: (cmd) => cmd.name === 'A',
  handle(ctx) {
    const call = ctx.modem.call;
    if (!call || call.state !== 'ringing') ctx.final('NO CARRIER');
    else call.state = 'active';
    return true;
  },
});

export const dial = defineBehavior({
  name: 'dial',
  match: (cmd) => cmd.name === 'D',
  handle(ctx) {
    if (!ctx.modem.registered) ctx.final('NO CARRIER');
    else ctx.final('NO ANSWER');
    return true;
  },
});

/** 27.007 6.? +CLCC: the current call, if any. */
export const clcc = defineBehavior({
  name: 'clcc',
  match: is('+CLCC'),
  handle(ctx) {
    const call = ctx.modem.call;
    if (call && ctx.cmd.kind === 'exec') {
      // <id>,<dir> 1 MT,<stat> 0 active / 4 incoming,<mode> 0 voice,<mpty>,<number>,<type>
      ctx.info(`+CLCC: 1,1,${call.state === 'active' ? 0 : 4},0,0,"${call.from}",${call.from.startsWith('+') ? 145 : 129}`);
    }
    return true;
  },
});
