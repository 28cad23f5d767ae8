import * as v from 'valibot';
import { definePlugin } from '../../core/plugin.ts';
import { Ledger } from '../doors/ledger.ts';
import { mountDoor } from '../doors/mount.ts';
import type { HttpsmsMeta } from './message.ts';
import { httpsmsRoutes } from './routes.ts';

/**
 * httpSMS's send API on the agent's API server, for tools written for httpSMS: `POST
 * /v1/messages/send` (`from`, `to`, `content`, `request_id`) and `GET /v1/messages/:id`, answers in
 * httpSMS's envelope (`data`, `message`, `status`), the API key in `x-api-key`. Its events reach
 * receivers written for httpSMS through webhooks in the `cloudevents` format.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem(), api(), webhook({ phoneNumber: '+15550100000' }), httpsms({ phoneNumber: '+15550100000' })]
 */
export const httpsms = definePlugin({
  name: 'httpsms',
  dependsOn: ['api'],
  after: ['modem'],
  options: v.optional(
    v.strictObject({
      /** The SIM's number: the `owner` of received messages; when set, sends must name it as `from`. */
      phoneNumber: v.optional(v.pipe(v.string(), v.regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number (+15550100100)'))),
    }),
    {},
  ),
  setup(ctx) {
    const ledger = new Ledger<HttpsmsMeta>(ctx.store, 'httpsms');
    const routes = httpsmsRoutes({
      ledger, store: ctx.store, now: () => ctx.clock.now(), sms: () => ctx.tryUse('sms'), agentId: ctx.agentId, phoneNumber: ctx.options.phoneNumber ?? null,
    });
    return mountDoor(ctx, ledger, routes);
  },
});

export default httpsms;
