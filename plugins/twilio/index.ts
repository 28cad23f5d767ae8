import * as v from 'valibot';
import { definePlugin } from '../../core/plugin.ts';
import { callbackSink, statusEvents } from '../doors/callbacks.ts';
import { Ledger } from '../doors/ledger.ts';
import { mountDoor } from '../doors/mount.ts';
import { twilioCallback } from './callbacks.ts';
import { twilioRoutes, type TwilioMeta } from './routes.ts';

const httpUrl = v.pipe(v.string(), v.url('an absolute URL'), v.regex(/^https?:\/\//i, 'an http or https URL'));

/**
 * Twilio's Messages API (2010-04-01) on the agent's API server, for software written for Twilio:
 * `POST/GET /2010-04-01/Accounts/<accountSid>/Messages.json`, `GET .../Messages/<sid>.json`. HTTP
 * Basic with the account SID as user and the agent's API key as auth token. Status callbacks and
 * incoming messages are POSTed form-encoded with a valid X-Twilio-Signature.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem(), api(), twilio({ accountSid: 'AC' + '0'.repeat(32), phoneNumber: '+15550100000', incomingUrl: 'http://helpdesk.lan/sms' })]
 */
export const twilio = definePlugin({
  name: 'twilio',
  dependsOn: ['api'],
  after: ['modem'],
  options: v.strictObject({
    /** The account SID tools are configured with: `AC` and 32 hex digits (any you choose). */
    accountSid: v.pipe(v.string(), v.regex(/^AC[0-9a-f]{32}$/, 'AC followed by 32 lowercase hex digits')),
    /** The SIM's number, shown as `To` of received messages and `From` of sends that named none. */
    phoneNumber: v.optional(v.pipe(v.string(), v.regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number (+15550100100)'))),
    /** Where received messages are POSTed, as Twilio's "a message comes in" webhook. */
    incomingUrl: v.optional(httpUrl),
  }),
  setup(ctx) {
    const api = ctx.use('api');
    const { accountSid, phoneNumber, incomingUrl } = ctx.options;
    const ledger = new Ledger<TwilioMeta>(ctx.store, 'twilio');
    const resource = { accountSid, phoneNumber: phoneNumber ?? null };
    const routes = twilioRoutes({ ledger, store: ctx.store, now: () => ctx.clock.now(), sms: () => ctx.tryUse('sms'), resource });
    const sink = callbackSink(ctx, (event) => twilioCallback(api, ledger, { ...resource, ...(incomingUrl ? { incomingUrl } : {}) }, event), {
      types: [...statusEvents, ...(incomingUrl ? (['sms.received'] as const) : [])],
    });
    return mountDoor(ctx, ledger, routes, sink);
  },
});

export default twilio;
