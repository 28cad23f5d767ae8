// 27.005 3.5.1 (PDU) / 4.3 (text) +CMGS: `AT+CMGS=<length>` → `> ` → PDU + Ctrl-Z → `+CMGS: <mr>`.
// ESC cancels. The length must be the TPDU's octet count (SMSC field excluded), or +CMS ERROR: 304.
import { decodePdu, encodeSubmit, PduDecodeError } from '../../core/sms/index.ts';
import { defineBehavior, is, type Context } from '../behavior.ts';
import { acceptSubmit } from '../network.ts';
import { simReady } from './guard.ts';

/** Faults that make the next send fail (27.005 3.2.5: 500 unknown, 304 invalid PDU parameter, 330 SMSC unknown). */
const SEND_FAULTS: [string, number][] = [['cms-500', 500], ['cms-304', 304], ['cms-330', 330]];

function send(ctx: Context, pdu: string, tpduLength: number): void {
  const { modem } = ctx;
  let submit;
  try {
    submit = decodePdu(pdu, { smsc: true });
  } catch (error) {
    if (error instanceof PduDecodeError) return ctx.cms(304);
    throw error;
  }
  if (submit.type !== 'submit' || submit.tpduLength !== tpduLength) return ctx.cms(304);
  for (const [kind, code] of SEND_FAULTS) if (modem.takeFault(kind)) return ctx.cms(code);
  if (!modem.registered) return ctx.cms(331); // no network service
  // The SC's answer takes the network's time (the timing model); the answer waits for it.
  const airMs = ctx.timing ? ctx.timing.nextNetworkMs() : 0;
  const mr = acceptSubmit(modem, submit, pdu.toUpperCase(), airMs);
  ctx.delay(airMs);
  ctx.info(`+CMGS: ${mr}`);
}

export const cmgs = defineBehavior({
  name: 'cmgs',
  match: is('+CMGS'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') return true;
    if (cmd.kind !== 'set') {
      ctx.cms(302);
      return true;
    }
    if (!simReady(ctx, 'cms')) return true;
    if (modem.settings.cmgf === 0) {
      const length = Number(cmd.params[0]);
      // 23.040: a TPDU is at most 164 octets (TP-UD 140 plus header fields).
      if (!Number.isInteger(length) || length < 7 || length > 164) {
        ctx.cms(304);
        return true;
      }
      ctx.prompt((text, cancelled) => {
        if (cancelled) return; // OK follows
        send(ctx, text.trim(), length);
      });
      return true;
    }
    const to = cmd.params[0] ?? '';
    if (!/^\+?[0-9]{1,20}$/.test(to)) {
      ctx.cms(304);
      return true;
    }
    ctx.prompt((text, cancelled) => {
      if (cancelled) return;
      // Text mode: the modem builds the SMS-SUBMIT from +CSMP (<fo> bit 5 asks for a status report).
      const body = modem.settings.cscs === 'UCS2' ? Buffer.from(text, 'hex').swap16().toString('utf16le') : text;
      let part;
      try {
        const { parts } = encodeSubmit({ to, text: body, statusReport: (modem.csmp[0]! & 0x20) !== 0, smsc: modem.smsc });
        if (parts.length !== 1) return ctx.cms(304);
        part = parts[0]!;
      } catch {
        return ctx.cms(304);
      }
      send(ctx, part.pdu, part.tpduLength);
    });
    return true;
  },
});
