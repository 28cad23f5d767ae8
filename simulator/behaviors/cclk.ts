// 27.007 8.15 +CCLK: the modem's clock, `"yy/MM/dd,hh:mm:ss±zz"` (zz in quarter hours), on the injected clock.
import { defineBehavior, is } from '../behavior.ts';

export const cclk = defineBehavior({
  name: 'cclk',
  match: is('+CCLK'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') {
      const local = new Date(modem.now() + modem.tzQuarters * 15 * 60_000);
      const p = (n: number) => String(n).padStart(2, '0');
      const q = modem.tzQuarters;
      ctx.info(`+CCLK: "${p(local.getUTCFullYear() % 100)}/${p(local.getUTCMonth() + 1)}/${p(local.getUTCDate())},${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}${q < 0 ? '-' : '+'}${p(Math.abs(q))}"`);
    } else if (cmd.kind === 'set') {
      const m = /^(\d\d)\/(\d\d)\/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)?$/.exec(cmd.params[0] ?? '');
      if (!m) {
        ctx.cme(50);
        return true;
      }
      const q = Number(m[7] ?? '+00');
      const utc = Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - q * 15 * 60_000;
      if (Number.isNaN(utc) || Math.abs(q) > 96) {
        ctx.cme(50);
        return true;
      }
      modem.clockOffsetMs = utc - modem.clock.now();
      modem.tzQuarters = q;
    }
    return true;
  },
});
