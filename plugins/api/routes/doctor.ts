import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { ApiError, type RouteDef } from '../service.ts';

const check = v.object({ name: v.string(), status: v.picklist(['pass', 'warn', 'fail']), detail: v.string() });
const doctorReport = v.object({ modem: v.string(), status: v.picklist(['pass', 'warn', 'fail']), checks: v.array(check) });

/** GET /modems/:id/doctor: a modem's setup checks, as `smsedge doctor` prints them (for the page and scripts). */
export function doctorRoutes(sms: () => SmsService | undefined): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/modems/:id/doctor',
      summary: "A modem's setup checks: port, AT, SIM, registration, signal, SMSC, storage, indications (read-only AT commands)",
      tags: ['system'],
      scope: 'admin',
      responses: {
        200: { description: 'The checks; status is the worst of them', schema: doctorReport },
        404: { description: 'No modem with that id (not_found)' },
        503: { description: 'No modem plugin is running (sms_unavailable)' },
      },
      handler: async ({ params }) => {
        const service = sms();
        if (!service?.doctor) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
        const result = service.doctor(params.id!);
        if (!result) throw new ApiError(404, 'not_found', `no modem "${params.id}"`, 'id');
        return result;
      },
    },
  ];
}
