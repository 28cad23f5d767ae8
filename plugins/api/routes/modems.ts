import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { ApiError, type RouteDef } from '../service.ts';

const unparked = v.object({ modem: v.string(), unparked: v.boolean() });
const nullable = <T extends v.GenericSchema>(s: T) => v.nullable(s);
/** One modem for the operator page: its status (as in /health) and the details the status leaves out. */
const modemView = v.object({
  id: v.string(),
  state: v.string(),
  reason: nullable(v.string()),
  operator: nullable(v.string()),
  registration: nullable(v.string()),
  signalDbm: nullable(v.number()),
  sim: nullable(v.string()),
  manufacturer: nullable(v.string()),
  model: nullable(v.string()),
  imei: nullable(v.string()),
  resets: v.number(),
  networkType: nullable(v.string()),
  simStorage: nullable(v.object({ mem: v.string(), used: v.number(), total: v.number() })),
  queued: v.number(),
  sentToday: v.number(),
  failedToday: v.number(),
});

/**
 * GET /modems: each modem's status with SIM storage, network type and today's counts (the page's modem
 * panel); POST /modems/:id/unpark: a modem parked after permanent send failures sends again (docs/sending.md).
 */
export function modemRoutes(sms: () => SmsService | undefined): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/modems',
      summary: 'Each modem: state and why it is not online, signal, SIM, SIM storage, network type, resets, queued and today’s counts',
      description: 'The IMEI is masked as in /health. `simStorage` is the SIM\'s message storage (AT+CPMS), null until read.',
      tags: ['system'],
      scope: 'read',
      responses: {
        200: { description: 'The modems in configuration order', schema: v.object({ items: v.array(modemView), next: v.null() }) },
        503: { description: 'No modem plugin is running (sms_unavailable)' },
      },
      handler: () => {
        const service = sms();
        if (!service) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
        const details = new Map((service.modemDetails?.() ?? []).map((d) => [d.id, d]));
        return {
          items: service.modems().map((m) => {
            const d = details.get(m.id);
            return {
              id: m.id, state: m.state, reason: m.reason, operator: m.operator, registration: m.registration, signalDbm: m.signalDbm,
              sim: m.sim, manufacturer: d?.manufacturer ?? null, model: m.model, imei: m.imei, resets: m.resets,
              networkType: d?.networkType ?? null, simStorage: d?.simStorage ?? null,
              queued: d?.queued ?? 0, sentToday: d?.sentToday ?? 0, failedToday: d?.failedToday ?? 0,
            };
          }),
          next: null,
        };
      },
    },
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
