// Vendor commands the dialect profiles add: SIMCom's bare +CCID, Huawei's ^ICCID / ^CURC / ^PORTSEL, Quectel's
// +QCCID / +QINDCFG / +QURCCFG.
import { defineBehavior, is } from '../behavior.ts';
import { simReady } from './guard.ts';

/** SIMCom SIM800: AT+CCID answers the bare ICCID, without a prefix. */
export const ccidBare = defineBehavior({
  name: 'ccid-bare',
  match: (cmd) => cmd.name === '+CCID' && cmd.kind === 'exec',
  handle(ctx) {
    if (simReady(ctx, 'cme')) ctx.info(ctx.modem.identity.iccid);
    return true;
  },
});

/** SIMCom SIM7600/A7670: AT+CICCID → +ICCID: <iccid>. */
export const ciccid = defineBehavior({
  name: 'ciccid',
  match: (cmd) => cmd.name === '+CICCID' && cmd.kind === 'exec',
  handle(ctx) {
    if (simReady(ctx, 'cme')) ctx.info(`+ICCID: ${ctx.modem.identity.iccid}`);
    return true;
  },
});

/** Huawei: AT^ICCID? → ^ICCID: <iccid> (the E-series has no AT+CCID). */
export const huaweiIccid = defineBehavior({
  name: 'huawei-iccid',
  match: (cmd) => cmd.name === '^ICCID' && cmd.kind === 'read',
  handle(ctx) {
    if (simReady(ctx, 'cme')) ctx.info(`^ICCID: ${ctx.modem.identity.iccid}`);
    return true;
  },
});

/** Huawei: AT^CURC=0 silences the periodic status URCs (^RSSI, ^BOOT, ^MODE ...). */
export const curc = defineBehavior({
  name: 'curc',
  match: is('^CURC'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`^CURC: ${modem.settings.noise ? 1 : 0}`);
    else if (cmd.kind === 'test') ctx.info('^CURC: (0-1)');
    else if (cmd.params[0] === '0' || cmd.params[0] === '1') modem.settings.noise = cmd.params[0] === '1';
    else ctx.error();
    return true;
  },
});

/**
 * Huawei: AT^PORTSEL=<n> picks the port the URCs go to (0 modem, 1 PCUI). Gammu sends `AT^PORTSEL=1`
 * after connecting to a Huawei and gives up when it is refused, as a real E-series accepts it.
 */
export const portsel = defineBehavior({
  name: 'portsel',
  match: is('^PORTSEL'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`^PORTSEL: ${modem.settings.portsel}`);
    else if (cmd.kind === 'test') ctx.info('^PORTSEL: (0-1)');
    else if (cmd.kind === 'set' && (cmd.params[0] === '0' || cmd.params[0] === '1') && cmd.params.length === 1) modem.settings.portsel = Number(cmd.params[0]);
    else ctx.error();
    return true;
  },
});

/** Quectel: AT+QCCID → +QCCID: <iccid>. */
export const qccid = defineBehavior({
  name: 'qccid',
  match: (cmd) => cmd.name === '+QCCID' && cmd.kind === 'exec',
  handle(ctx) {
    if (simReady(ctx, 'cme')) ctx.info(`+QCCID: ${ctx.modem.identity.iccid}`);
    return true;
  },
});

/** Quectel: AT+QINDCFG="all",0 turns the +QIND noise off; AT+QURCCFG picks the URC port (accepted). */
export const qindcfg = defineBehavior({
  name: 'qindcfg',
  match: is('+QINDCFG', '+QURCCFG'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.name === '+QURCCFG') {
      if (cmd.kind === 'read') ctx.info('+QURCCFG: "urcport","usbat"');
      return true;
    }
    const [type, enable] = cmd.params;
    if (cmd.kind === 'set' && enable !== undefined && ['all', 'csq'].includes(type ?? '')) modem.settings.noise = enable === '1';
    else if (cmd.kind === 'set' && enable === undefined) ctx.info(`+QINDCFG: "${type}",${modem.settings.noise ? 1 : 0}`);
    return true;
  },
});
