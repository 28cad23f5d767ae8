// Quirk: USSD answers printed in the TE character set (27.007 5.5 +CSCS, 7.15), as real modems do: under
// "GSM" each character is its GSM 7-bit code (23.038 6.2.1: "wählen" goes out as `w{hlen`, € as ESC e),
// under "HEX" each code is two hex digits. The default simulator prints the text as it is (UTF-8-ish).
import { gsm7Code } from '../../core/sms/gsm7.ts';
import { defineBehavior } from '../behavior.ts';
import type { Modem } from '../modem.ts';
import { cusd } from './cusd.ts';

/** The GSM 7-bit codes of `text` (ESC + code for the extension table), or null when one has none. */
function codes(text: string): number[] | null {
  const out: number[] = [];
  for (const ch of text) {
    const v = gsm7Code(ch.charCodeAt(0));
    if (v < 0 || ch.length > 1) return null;
    if (v > 0xff) out.push(0x1b, v & 0x7f);
    else out.push(v);
  }
  return out;
}

/** `+CUSD: <m>,"<text>",15` as this modem's character set prints it; other lines unchanged. */
export function inCharset(modem: Modem, line: string): string {
  const m = /^(\+CUSD: \d+,")(.*)(",15)$/s.exec(line);
  const charset = modem.settings.cscs;
  if (!m || (charset !== 'GSM' && charset !== 'HEX')) return line;
  const c = codes(m[2]!);
  if (!c) return line;
  const text = charset === 'GSM' ? String.fromCharCode(...c) : Buffer.from(c).toString('hex').toUpperCase();
  return `${m[1]}${text}${m[3]}`;
}

export const ussdCharset = defineBehavior({
  name: 'ussd-charset',
  match: (cmd) => cmd.name === '+CUSD' && cmd.kind === 'set',
  handle(ctx) {
    const modem = ctx.modem;
    // The default +CUSD behaviour, with its answer (a URC sent later) printed in the character set.
    const printing = new Proxy(modem, {
      get(target, key) {
        if (key === 'urc') return (...lines: string[]) => target.urc(...lines.map((l) => inCharset(target, l)));
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return cusd.handle({ ...ctx, modem: printing });
  },
});
