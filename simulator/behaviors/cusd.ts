// 27.007 7.15 +CUSD: `AT+CUSD=1,"*100#",15` → OK, then `+CUSD: <m>,"<str>",<dcs>`. <m> 1 keeps the
// session open for a reply, 0 ends it, 2 the network released it, 4 not supported. AT+CUSD=2 cancels.
import { decodeGsm7Packed, decodeUcs2Hex, encodeGsm7Packed } from '../../core/sms/index.ts';
import { defineBehavior, is } from '../behavior.ts';
import type { Modem, UssdNode } from '../modem.ts';

/** 23.038 clause 5: 15 = GSM 7-bit, language unspecified; 72 = UCS2. */
const DCS_GSM7 = 15;
const DCS_UCS2 = 72;

function isGsm7(text: string): boolean {
  try {
    encodeGsm7Packed(text);
    return true;
  } catch {
    return false;
  }
}

function decodeRequest(modem: Modem, str: string, dcs: number): string {
  if (modem.profile.ussd === 'hex-packed' && /^[0-9A-Fa-f]+$/.test(str) && str.length % 2 === 0 && dcs === DCS_GSM7) {
    return decodeGsm7Packed(str);
  }
  if (modem.settings.cscs === 'UCS2' && /^[0-9A-Fa-f]+$/.test(str)) return decodeUcs2Hex(str);
  return str;
}

/** The +CUSD line for `text` in the dialect: Huawei prints packed hex, UCS2 is hex, else plain text. */
export function cusdLine(modem: Modem, m: number, text: string): string {
  const escaped = (s: string) => s.replace(/"/g, "'");
  if (!isGsm7(text)) return `+CUSD: ${m},"${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}",${DCS_UCS2}`;
  if (modem.profile.ussd === 'hex-packed') return `+CUSD: ${m},"${encodeGsm7Packed(text)}",${DCS_GSM7}`;
  if (modem.settings.cscs === 'UCS2') return `+CUSD: ${m},"${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}",${DCS_GSM7}`;
  return `+CUSD: ${m},"${escaped(text)}",${DCS_GSM7}`;
}

export const cusd = defineBehavior({
  name: 'cusd',
  match: is('+CUSD'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'read') ctx.info(`+CUSD: ${modem.settings.cusd}`);
    else if (cmd.kind === 'test') ctx.info('+CUSD: (0-2)');
    else if (cmd.kind === 'set') {
      const n = Number(cmd.params[0] ?? '0');
      if (![0, 1, 2].includes(n)) {
        ctx.cme(50);
        return true;
      }
      if (n === 2) {
        modem.ussdSession = null;
        return true;
      }
      modem.settings.cusd = n;
      const str = cmd.params[1];
      if (str === undefined) return true;
      if (!modem.registered) {
        ctx.cme(30); // no network service
        return true;
      }
      const request = decodeRequest(modem, str, Number(cmd.params[2] ?? DCS_GSM7));
      const session = modem.ussdSession;
      const node: UssdNode | undefined = session ? session.options?.[request] : modem.ussdMenu[request];
      ctx.after(() =>
        modem.later(modem.ussdDelayMs, () => {
          if (!node) {
            modem.ussdSession = null;
            modem.urc('+CUSD: 4');
            return;
          }
          const more = node.options && Object.keys(node.options).length > 0;
          modem.ussdSession = more ? node : null;
          modem.urc(cusdLine(modem, more ? 1 : 0, node.text));
        }),
      );
    } else ctx.error();
    return true;
  },
});
