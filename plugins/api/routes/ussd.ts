import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { toApiError } from '../errors.ts';
import { ApiError, type RouteDef } from '../service.ts';
import { wellFormed } from './schemas.ts';

// 22.030 6.5.2 / 24.090: a USSD string is made of digits, * and #; 182 characters is the most a
// USSD string can carry (23.038 packs 182 septets into 160 octets).
const code = v.pipe(v.string(), v.regex(/^[0-9*#+]{1,182}$/, 'a USSD code of digits, * and # (e.g. *100#)'));
const reply = v.pipe(v.string(), v.minLength(1), v.maxLength(182), wellFormed, v.regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters'));
const modem = v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a modem id')));

const result = v.object({ code: v.string(), response: v.string(), sessionOpen: v.boolean(), dcs: v.nullable(v.number()) });

/**
 * A modem failure is not a bug: the sms service says which it is (ussd_timeout 504, modem_error 502,
 * modem_unavailable or modem_offline 503, no_ussd_session 409), the same words MQTT answers with.
 */
export function ussdError(error: unknown): unknown {
  return toApiError(error) ?? error;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw ussdError(error);
  }
}

/** What a USSD request can come to besides its answer (the sms service words them). */
const failures = {
  502: { description: 'The modem or network refused the request (modem_error: ERROR, +CME ERROR, +CUSD: 4)' },
  503: { description: 'No modem to ask: none running (sms_unavailable), none configured (no_modem), offline (modem_offline) or gone while waiting (modem_unavailable)' },
  504: { description: 'The network did not answer in time (ussd_timeout)' },
};

export function ussdRoutes(sms: () => SmsService): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/ussd/send',
      summary: 'Send a USSD code and wait for the network answer',
      tags: ['ussd'],
      scope: 'send',
      body: v.strictObject({ code, modem }),
      responses: {
        200: { description: 'The answer; sessionOpen means the network waits for /ussd/reply', schema: result },
        ...failures,
      },
      handler: ({ body }) => guarded(() => sms().ussd(body.code, body.modem ? { modem: body.modem } : {})),
    },
    {
      method: 'POST',
      path: '/ussd/reply',
      summary: 'Answer the open USSD session',
      tags: ['ussd'],
      scope: 'send',
      body: v.strictObject({ text: reply, modem }),
      responses: { 200: { description: 'The next answer', schema: result }, 409: { description: 'No session is open (no_ussd_session)' }, ...failures },
      handler: ({ body }) => guarded(() => sms().ussdReply(body.text, body.modem ? { modem: body.modem } : {})),
    },
    {
      method: 'POST',
      path: '/ussd/cancel',
      summary: 'Close the open USSD session',
      tags: ['ussd'],
      scope: 'send',
      body: v.optional(v.strictObject({ modem })),
      status: 204,
      responses: { 204: { description: 'Closed' }, ...failures },
      handler: async ({ body }) => {
        await guarded(() => sms().ussdCancel(body?.modem ? { modem: body.modem } : {}));
      },
    },
  ];
}
