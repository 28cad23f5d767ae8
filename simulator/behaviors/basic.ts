// V.250 basic commands and 27.007 error reporting: ATZ, AT&F, ATE, ATV, ATI, AT+CMEE, and the
// settings a host sends at start-up that change nothing in a simulation (ATQ0, AT&C1, ATS0=0, ...).
import { defineBehavior, is } from '../behavior.ts';

/** ATZ / AT&F: back to the profile's defaults (V.250 6.1.1, 6.1.2). */
export const reset = defineBehavior({
  name: 'reset',
  match: (cmd) => cmd.name === 'Z' || cmd.name === '&F',
  handle(ctx) {
    ctx.modem.resetSettings();
    ctx.ok();
    return true;
  },
});

/** ATE0 / ATE1: command echo (V.250 6.2.4). */
export const echo = defineBehavior({
  name: 'echo',
  match: (cmd) => cmd.name === 'E',
  handle(ctx) {
    const v = ctx.cmd.args || '0';
    if (v !== '0' && v !== '1') return ctx.error(), true;
    ctx.modem.settings.echo = v === '1';
    ctx.ok();
    return true;
  },
});

/** ATV0 / ATV1: numeric or verbose result codes (V.250 6.2.6). */
export const verbose = defineBehavior({
  name: 'verbose',
  match: (cmd) => cmd.name === 'V',
  handle(ctx) {
    const v = ctx.cmd.args || '0';
    if (v !== '0' && v !== '1') return ctx.error(), true;
    ctx.modem.settings.verbose = v === '1';
    ctx.ok();
    return true;
  },
});

/** ATI: product identification (V.250 6.1.3). */
export const ati = defineBehavior({
  name: 'ati',
  match: (cmd) => cmd.name === 'I',
  handle(ctx) {
    ctx.info(...ctx.modem.profile.ati(ctx.modem));
    return true;
  },
});

/** AT+CMEE: how errors are reported (27.007 9.1). */
export const cmee = defineBehavior({
  name: 'cmee',
  match: is('+CMEE'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CMEE: ${modem.settings.cmee}`);
    else if (cmd.kind === 'test') ctx.info('+CMEE: (0-2)');
    else {
      const n = Number(cmd.params[0] ?? '0');
      if (![0, 1, 2].includes(n)) return ctx.cme(50), true;
      modem.settings.cmee = n;
    }
    return true;
  },
});

/** Settings with no effect here, accepted as a modem accepts them. */
export const noop = defineBehavior({
  name: 'noop',
  match: (cmd) => ['Q', 'X', '&C', '&D', '&K', '&W', 'L', 'M'].includes(cmd.name) || /^S\d+$/.test(cmd.name) || cmd.name === '+IFC' || cmd.name === '+IPR',
  handle(ctx) {
    if (ctx.cmd.kind === 'read' && /^S\d+$/.test(ctx.cmd.name)) ctx.info('000');
    else if (ctx.cmd.kind === 'read' && ctx.cmd.name === '+IPR') ctx.info('+IPR: 115200');
    else if (ctx.cmd.kind === 'read' && ctx.cmd.name === '+IFC') ctx.info('+IFC: 0,0');
    ctx.ok();
    return true;
  },
});
