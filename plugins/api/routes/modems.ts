import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { ApiError, type RouteDef } from '../service.ts';

const unparked = v.object({ modem: v.string(), unparked: v.boolean() });

/** POST /modems/:id/unpark: a modem parked after permanent send failures sends again (docs/sending.md). */
export function modemRoutes(sms: () => SmsService | undefined): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/modems/:id/unpark',
      summary: 'Put a parked modem back to sending (modem.unparked); its run of failures starts over',
      description: '`unparked` is false when the modem was not parked (nothing changed).',
      tags: ['system'],
      // Sending again after permanent failures is the operator's call, like the modem's settings.
      scope: 'admin',
      responses: {
        200: { description: 'Whether it was parked', schema: unparked },
        404: { description: 'No modem with that id (not_found)' },
        503: { description: 'No modem plugin is running (sms_unavailable)' },
      },
      handler: ({ params }) => {
        const service = sms();
        if (!service?.unpark) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
        return { modem: params.id!, unparked: service.unpark(params.id!) };
      },
    },
  ];
}
