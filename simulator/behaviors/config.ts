// 27.005 3.2 SMS settings: +CMGF (PDU/text), +CSCS (TE character set, 27.007 5.5), +CSMS (service),
// +CSCA (service centre), +CSMP (text-mode submit parameters).
import { defineBehavior, is } from '../behavior.ts';

export const cmgf = defineBehavior({
  name: 'cmgf',
  match: is('+CMGF'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CMGF: ${modem.settings.cmgf}`);
    else if (cmd.kind === 'test') ctx.info('+CMGF: (0,1)');
    else {
      const n = Number(cmd.params[0] ?? '0');
      if (n !== 0 && n !== 1) ctx.cms(304);
      else modem.settings.cmgf = n;
    }
    return true;
  },
});

export const CHARSETS = ['GSM', 'IRA', 'UCS2', 'HEX'];

export const cscs = defineBehavior({
  name: 'cscs',
  match: is('+CSCS'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CSCS: "${modem.settings.cscs}"`);
    else if (cmd.kind === 'test') ctx.info(`+CSCS: (${CHARSETS.map((c) => `"${c}"`).join(',')})`);
    else {
      const cs = (cmd.params[0] ?? '').toUpperCase();
      if (!CHARSETS.includes(cs)) ctx.cme(50);
      else modem.settings.cscs = cs;
    }
    return true;
  },
});

export const csms = defineBehavior({
  name: 'csms',
  match: is('+CSMS'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CSMS: ${modem.settings.csms},1,1,1`);
    else if (cmd.kind === 'test') ctx.info('+CSMS: (0,1)');
    else {
      const n = Number(cmd.params[0]);
      if (n !== 0 && n !== 1) ctx.cms(303);
      else {
        modem.settings.csms = n;
        ctx.info('+CSMS: 1,1,1');
      }
    }
    return true;
  },
});

export const csca = defineBehavior({
  name: 'csca',
  match: is('+CSCA'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CSCA: "${modem.smsc}",${modem.smsc.startsWith('+') ? 145 : 129}`);
    else if (cmd.kind === 'set') {
      const number = cmd.params[0] ?? '';
      if (!/^\+?\d{1,20}$/.test(number)) ctx.cms(304);
      else modem.smsc = number;
    }
    return true;
  },
});

export const csmp = defineBehavior({
  name: 'csmp',
  match: is('+CSMP'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CSMP: ${modem.csmp.join(',')}`);
    else if (cmd.kind === 'set') {
      const values = cmd.params.map((p, i) => (p === '' ? modem.csmp[i]! : Number(p)));
      if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) ctx.cms(304);
      else for (let i = 0; i < Math.min(4, values.length); i++) modem.csmp[i] = values[i]!;
    }
    return true;
  },
});
