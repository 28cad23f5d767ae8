// Network side of 27.007: registration (7.2 +CREG, 10.1.19 +CGREG, 10.1.22 +CEREG), operator (7.3
// +COPS), signal (8.5 +CSQ) and phone functionality (8.2 +CFUN, `1,1` resets the modem).
import { defineBehavior, type Behavior } from '../behavior.ts';

function registration(name: '+CREG' | '+CGREG' | '+CEREG', key: 'creg' | 'cgreg' | 'cereg'): Behavior {
  return defineBehavior({
    name: key,
    match: (cmd, modem) => cmd.name === name && (name !== '+CEREG' || modem.profile.lte),
    handle(ctx) {
      const { cmd, modem } = ctx;
      if (cmd.kind === 'test') ctx.info(`${name}: (0-2)`);
      else if (cmd.kind === 'read') {
        const stat = modem.regStat();
        const n = modem.settings[key];
        const loc = n === 2 && modem.registered ? `,"${modem.network.lac}","${modem.network.ci}"` : '';
        ctx.info(`${name}: ${n},${stat}${loc}`);
      } else if (cmd.kind === 'set') {
        const n = Number(cmd.params[0] ?? '0');
        if (![0, 1, 2].includes(n)) ctx.cme(50);
        else modem.settings[key] = n;
      } else ctx.error();
      return true;
    },
  });
}

export const creg = registration('+CREG', 'creg');
export const cgreg = registration('+CGREG', 'cgreg');
export const cereg = registration('+CEREG', 'cereg');

export const cops = defineBehavior({
  name: 'cops',
  match: (cmd) => cmd.name === '+COPS',
  handle(ctx) {
    const { cmd, modem } = ctx;
    const act = modem.profile.lte ? 7 : 0;
    if (cmd.kind === 'read') {
      ctx.info(modem.registered ? `+COPS: 0,0,"${modem.network.operator}",${act}` : '+COPS: 0');
    } else if (cmd.kind === 'test') {
      if (!modem.radioOn) ctx.cme(30);
      else ctx.info(`+COPS: ${modem.network.available ? `(2,"${modem.network.operator}","${modem.network.operator}","${modem.network.plmn}",${act})` : ''},,(0-4),(0-2)`);
    } else if (cmd.kind === 'set') {
      const mode = Number(cmd.params[0] ?? '0');
      if (![0, 1, 2, 3, 4].includes(mode)) ctx.cme(50);
    } else ctx.error();
    return true;
  },
});

export const csq = defineBehavior({
  name: 'csq',
  match: (cmd) => cmd.name === '+CSQ' && (cmd.kind === 'exec' || cmd.kind === 'test'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') ctx.info('+CSQ: (0-31,99),(0-7,99)');
    else {
      const { rssi, ber } = ctx.modem.csq();
      ctx.info(`+CSQ: ${rssi},${ber}`);
    }
    return true;
  },
});

export const cfun = defineBehavior({
  name: 'cfun',
  match: (cmd) => cmd.name === '+CFUN',
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CFUN: ${modem.cfun}`);
    else if (cmd.kind === 'test') ctx.info('+CFUN: (0,1,4),(0-1)');
    else if (cmd.kind === 'set') {
      const fun = Number(cmd.params[0]);
      const rst = Number(cmd.params[1] ?? '0');
      if (![0, 1, 4].includes(fun) || ![0, 1].includes(rst)) {
        ctx.cme(50);
        return true;
      }
      if (rst === 1) {
        // The modem restarts: the answer goes out, then the USB device re-enumerates.
        ctx.ok();
        ctx.after(() => modem.onReset?.());
        return true;
      }
      modem.cfun = fun;
      ctx.after(() => modem.networkChanged()); // registration URCs follow the OK
    } else ctx.error();
    return true;
  },
});
