import * as v from 'valibot';
import type { SendAccepted, SmsService } from '../../../core/services.ts';
import { sendBody } from '../../../core/send.ts';
import type { Store } from '../../../core/store.ts';
import { toApiError } from '../errors.ts';
import { ApiError, type RouteDef } from '../service.ts';
import { id, listOf, listQuery } from './schemas.ts';

export { MAX_PARTS, MAX_RECIPIENTS, sendBody } from '../../../core/send.ts';

export type SendBody = v.InferOutput<typeof sendBody>;

/**
 * The one send path behind every way in (POST /sms/send and the other gateways' send APIs): queues
 * each recipient of a validated send body, all in one transaction, so a refusal for the third
 * recipient leaves the first two unqueued. A refusal names the recipient as `to.<index>` when `to`
 * is a list.
 *
 * @example
 * const [accepted] = queueSend(ctx.use('sms'), ctx.store, { to: '+15550100100', text: 'hi' });
 */
export function queueSend(service: SmsService, store: Store, body: SendBody): SendAccepted[] {
  const { to, ...rest } = body;
  const list = Array.isArray(to) ? to : [to];
  return store.transaction(() =>
    list.map((recipient, i): SendAccepted => {
      try {
        return service.send({ ...rest, to: recipient });
      } catch (error) {
        const known = toApiError(error);
        if (known && Array.isArray(to) && known.field === 'to')
          throw new ApiError(known.status, known.code, known.message.replace(/^to:/, `to.${i}:`), `to.${i}`);
        throw error;
      }
    }),
  );
}

const unavailable = { description: 'No modem plugin is running (sms_unavailable)' };

const accepted = v.object({
  id: v.string(),
  status: v.literal('queued'),
  to: v.string(),
  parts: v.number(),
  encoding: v.picklist(['gsm7', 'ucs2']),
});

const message = v.object({
  id: v.string(),
  direction: v.picklist(['inbound', 'outbound']),
  from: v.optional(v.string()),
  to: v.optional(v.string()),
  text: v.optional(v.string()),
  encoding: v.string(),
  parts: v.number(),
  status: v.optional(v.picklist(['queued', 'sending', 'sent', 'delivered', 'failed', 'expired'])),
  partDetails: v.optional(v.array(v.object({ part: v.number(), mr: v.nullable(v.number()), status: v.string() }))),
});

const report = v.object({
  id: v.string(),
  messageId: v.nullable(v.string()),
  to: v.string(),
  mr: v.number(),
  status: v.number(),
  state: v.string(),
  statusText: v.string(),
  receivedAt: v.string(),
});

/**
 * The SMS routes. `sms()` resolves the service at request time, so the API keeps answering (503) when
 * the modem plugin is absent or failed.
 */
/** What checks a message's callbackUrl when the send is accepted (the webhook plugin, when it runs). */
export interface CallbackCheck {
  checkCallbackUrl(url: string, field?: string): Promise<void>;
}

export function smsRoutes(sms: () => SmsService, store: Store, callbacks: () => CallbackCheck | undefined = () => undefined): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/sms/send',
      summary: 'Queue an SMS to one or several recipients',
      description:
        'Answers once the message is durably queued. With several recipients every one is queued or none is. ' +
        'An Idempotency-Key header makes a retry within 24 h return the first answer instead of sending again.',
      tags: ['sms'],
      body: sendBody,
      status: 202,
      idempotent: true,
      responses: {
        202: { description: 'Queued (an array of these for an array of recipients)', schema: v.union([accepted, v.array(accepted)]) },
        503: { description: 'No modem plugin is running (sms_unavailable), or no modem is configured (no_modem)' },
      },
      handler: async ({ body }) => {
        const send = body as SendBody;
        // By the rules every delivery follows (docs/security.md), now rather than at the first event.
        if (send.callbackUrl !== undefined) await callbacks()?.checkCallbackUrl(send.callbackUrl, 'callbackUrl');
        const result = queueSend(sms(), store, send);
        return Array.isArray(body.to) ? result : result[0];
      },
    },
    {
      method: 'GET',
      path: '/sms/messages',
      summary: 'List messages, newest first',
      tags: ['sms'],
      query: v.strictObject({ direction: v.optional(v.picklist(['inbound', 'outbound']), 'inbound'), ...listQuery }),
      responses: { 200: { description: 'A page of messages; pass `next` as `before` for the next page', schema: listOf(message) }, 503: unavailable },
      handler: ({ query }) => page(sms().listMessages(query), query.limit),
    },
    {
      method: 'GET',
      path: '/sms/messages/:id',
      summary: 'One message, with per-part delivery for outbound ones',
      tags: ['sms'],
      responses: { 200: { description: 'The message', schema: message }, 404: { description: 'No such message' }, 503: unavailable },
      handler: ({ params }) => {
        const key = v.safeParse(id, params.id);
        if (!key.success) throw new ApiError(400, 'invalid_request', 'not a message id', 'id');
        const found = sms().getMessage(key.output);
        if (!found) throw new ApiError(404, 'not_found', 'no such message', 'id');
        return found;
      },
    },
    {
      method: 'GET',
      path: '/sms/delivery-reports',
      summary: 'List delivery reports, newest first',
      tags: ['sms'],
      query: v.strictObject(listQuery),
      responses: { 200: { description: 'A page of delivery reports', schema: listOf(report) }, 503: unavailable },
      handler: ({ query }) => page(sms().listDeliveryReports(query), query.limit),
    },
  ];
}

/** `{ items, next }`: `next` is the cursor for the following page, null on the last one. */
export function page<T extends { id: string }>(items: T[], limit: number): { items: T[]; next: string | null } {
  return { items, next: items.length >= limit && items.length ? items[items.length - 1]!.id : null };
}
