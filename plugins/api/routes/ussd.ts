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
 * A modem failure is not a bug: no answer in time is 504, a modem that refused is 502, a modem that
 * is gone is 503. Service errors that carry their own status (409 session open) pass through.
 */
export function ussdError(error: unknown): unknown {
  const known = toApiError(error);
  if (known) return known;
  const c = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? 'modem error';
  if (c === 'timeout') return new ApiError(504, 'ussd_timeout', 'the network did not answer in time');
  if (c === 'closed') return new ApiError(503, 'modem_unavailable', message);
  if (c === 'at_error' || c === 'cme_error' || c === 'cms_error') return new ApiError(502, 'modem_error', message);
  return error;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw ussdError(error);
  }
}

export function ussdRoutes(sms: () => SmsService): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/ussd/send',
      summary: 'Send a USSD code and wait for the network answer',
      tags: ['ussd'],
      body: v.strictObject({ code, modem }),
      responses: {
        200: { description: 'The answer; sessionOpen means the network waits for /ussd/reply', schema: result },
        409: { description: 'A USSD session is already open' },
        504: { description: 'The network did not answer in time' },
      },
      handler: ({ body }) => guarded(() => sms().ussd(body.code, body.modem ? { modem: body.modem } : {})),
    },
    {
      method: 'POST',
      path: '/ussd/reply',
      summary: 'Answer the open USSD session',
      tags: ['ussd'],
      body: v.strictObject({ text: reply, modem }),
      responses: { 200: { description: 'The next answer', schema: result }, 409: { description: 'No session is open' } },
      handler: ({ body }) => guarded(() => sms().ussdReply(body.text, body.modem ? { modem: body.modem } : {})),
    },
    {
      method: 'POST',
      path: '/ussd/cancel',
      summary: 'Close the open USSD session',
      tags: ['ussd'],
      body: v.optional(v.strictObject({ modem })),
      responses: { 204: { description: 'Closed' } },
      handler: async ({ body }) => {
        await guarded(() => sms().ussdCancel(body?.modem ? { modem: body.modem } : {}));
      },
    },
  ];
}
