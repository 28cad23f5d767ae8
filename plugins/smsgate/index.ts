import * as v from 'valibot';
import { definePlugin } from '../../core/plugin.ts';
import { Ledger } from '../doors/ledger.ts';
import { mountDoor } from '../doors/mount.ts';
import { smsgateRoutes } from './routes.ts';

/**
 * SMS Gateway for Android's "3rdparty v1" send API on the agent's API server, for tools written for
 * that app: `POST /3rdparty/v1/message`, `GET /3rdparty/v1/message/:id`, `GET/POST/DELETE
 * /3rdparty/v1/webhooks` (subscriptions in the `sms-gateway` format, signed with the default
 * secret), `GET /3rdparty/v1/health`. HTTP Basic: any user name, the agent's API key as password.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem(), api(), webhook(), smsgate()]
 */
export const smsgate = definePlugin({
  name: 'smsgate',
  dependsOn: ['api'],
  after: ['modem', 'webhook'],
  options: v.optional(v.strictObject({}), {}),
  setup(ctx) {
    const ledger = new Ledger<{ phoneNumber: string }>(ctx.store, 'smsgate');
    const routes = smsgateRoutes({
      ledger,
      store: ctx.store,
      now: () => ctx.clock.now(),
      sms: () => ctx.tryUse('sms'),
      webhook: () => ctx.tryUse('webhook'),
      agentId: ctx.agentId,
      health: () => ctx.health(),
    });
    return mountDoor(ctx, ledger, routes);
  },
});

export default smsgate;
