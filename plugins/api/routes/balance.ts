import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { toApiError } from '../errors.ts';
import { ApiError, type RouteDef } from '../service.ts';

export const balanceReading = v.object({
  modem: v.string(),
  amount: v.number(),
  currency: v.nullable(v.string()),
  answer: v.string(),
  checkedAt: v.string(),
  low: v.boolean(),
  lastError: v.optional(v.object({ message: v.string(), at: v.string() })),
});

/** POST /modems/:id/balance: reads a modem's prepaid balance now with its `balance.ussd` code. */
export function balanceRoutes(sms: () => SmsService | undefined): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/modems/:id/balance',
      summary: "Read a modem's balance now with its USSD code (records sim.balance, and sim.balance_low below `low`)",
      tags: ['system'],
      // A USSD request like POST /ussd/send: a key that may send may ask for the balance.
      scope: 'send',
      responses: {
        200: { description: 'The reading', schema: balanceReading },
        404: { description: 'No modem with that id (not_found)' },
        409: { description: 'The modem has no balance option (balance_not_configured)' },
        502: { description: 'The modem or network refused the code (modem_error), or the pattern found no amount in the answer (balance_unreadable)' },
        503: { description: 'No modem plugin is running (sms_unavailable), or the modem is offline (modem_offline) or went away (modem_unavailable)' },
        504: { description: 'The network did not answer in time (ussd_timeout)' },
      },
      handler: async ({ params }) => {
        const service = sms();
        if (!service?.balance) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
        const reading = service.balance(params.id!);
        if (!reading) throw new ApiError(404, 'not_found', `no modem "${params.id}"`, 'id');
        try {
          return await reading;
        } catch (error) {
          throw toApiError(error) ?? error;
        }
      },
    },
  ];
}
