import * as v from 'valibot';
import type { SendAccepted, SmsService } from '../../../core/services.ts';
import { instant, messageChange, priorities, sendBody, type MessageChange } from '../../../core/send.ts';
import type { Store } from '../../../core/store.ts';
import { CSV_COLUMNS, csvRow, toCsv } from '../csv.ts';
import { toApiError } from '../errors.ts';
import { ApiError, type RouteDef } from '../service.ts';
import { id, listOf, listQuery } from './schemas.ts';
import { messageRulesSchema } from '../../rules/routes.ts';

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

const statuses = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'cancelled'] as const;

/** A message as listed (both directions); outbound ones carry their parts. */
export const message = v.object({
  id: v.string(),
  direction: v.picklist(['inbound', 'outbound']),
  from: v.optional(v.string()),
  to: v.optional(v.string()),
  text: v.optional(v.string()),
  encoding: v.string(),
  parts: v.number(),
  status: v.optional(v.picklist(statuses)),
  modem: v.optional(v.nullable(v.string())),
  clientRef: v.optional(v.string()),
  priority: v.optional(v.picklist(priorities)),
  createdAt: v.optional(v.string()),
  sendAt: v.optional(v.string()),
  /** Why a queued message waits beyond its turn (`daily cap`, `quiet hours`, `parked`, `modem offline`, ...) and until when. */
  held: v.optional(v.string()),
  heldUntil: v.optional(v.string()),
  cancelledAt: v.optional(v.string()),
  /** A received message marked read (PATCH `{ "read": true }`). */
  readAt: v.optional(v.string()),
  partDetails: v.optional(v.array(v.object({ part: v.number(), mr: v.nullable(v.number()), status: v.string() }))),
  /** With the rules plugin: what its rules did with this message (GET /sms/messages/:id only). */
  rules: v.optional(messageRulesSchema),
});

/** Query values arrive as strings; times as RFC 3339 with offset. */
const at = v.pipe(instant, v.transform((s: string) => Date.parse(s)));
export const plain = (max: number) => v.pipe(v.string(), v.minLength(1, 'is empty'), v.maxLength(max, `must have at most ${max} characters`));

/** GET /sms/messages: `cursor` (or its older name `before`) is the `next` of the previous page. */
export const messagesQuery = v.strictObject({
  direction: v.optional(v.picklist(['inbound', 'outbound']), 'inbound'),
  ...listQuery,
  cursor: v.optional(id),
  status: v.optional(v.picklist(statuses)),
  to: v.optional(plain(32)),
  from: v.optional(plain(32)),
  modem: v.optional(plain(32)),
  clientRef: v.optional(plain(40)),
  since: v.optional(at),
  until: v.optional(at),
  q: v.optional(plain(160)),
  number: v.optional(plain(32)),
  /** Received messages marked read (`true`) or not (`false`). */
  read: v.optional(v.pipe(v.picklist(['true', 'false'], 'true or false'), v.transform((s) => s === 'true'))),
  /** `csv`: the same page as a CSV file (text/csv), its `next` in the X-Next-Cursor header. */
  format: v.optional(v.picklist(['json', 'csv']), 'json'),
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

/** What the rules plugin (when it runs) tells about a message. */
export interface MessageRulesSource {
  forMessage(messageId: string): v.InferOutput<typeof messageRulesSchema> | undefined;
}

export function smsRoutes(
  sms: () => SmsService,
  store: Store,
  callbacks: () => CallbackCheck | undefined = () => undefined,
  rules: () => MessageRulesSource | undefined = () => undefined,
  now: () => number = Date.now,
): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/sms/send',
      summary: 'Queue an SMS to one or several recipients',
      description:
        'Answers once the message is durably queued. With several recipients every one is queued or none is. ' +
        'An Idempotency-Key header makes a retry within 24 h return the first answer instead of sending again.',
      tags: ['sms'],
      scope: 'send',
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
      scope: 'read',
      description:
        'Filters narrow the list (all must hold): `status`, `to`, `clientRef` (outbound), `from` (inbound), `modem`, ' +
        '`since`/`until` (RFC 3339 times, on when the message was queued or stored), `q` (the text contains it), ' +
        '`number` (the sender or recipient contains it). ' +
        'Pass `next` as `cursor` for the next page; a cursor that names no message is a 400 naming `cursor`. ' +
        '`format=csv` answers the same page as CSV (RFC 4180, UTF-8, a header line; a cell starting with = + - or @ gets a leading apostrophe), ' +
        'as an attachment, with the next cursor in the `X-Next-Cursor` header (absent on the last page).',
      query: messagesQuery,
      responses: {
        200: { description: 'A page of messages; pass `next` as `cursor` (or `before`) for the next page', schema: listOf(message), alternatives: ['text/csv'] },
        400: { description: 'A bad filter or cursor (invalid_query naming it)' },
        503: unavailable,
      },
      handler: ({ query }) => {
        const { cursor, before, format, ...rest } = query as v.InferOutput<typeof messagesQuery>;
        const after = cursor ?? before;
        const found = page(sms().listMessages({ ...rest, ...(after === undefined ? {} : { before: after }) }), rest.limit);
        return format === 'csv' ? csvAnswer(found, rest.direction, now()) : found;
      },
    },
    {
      method: 'GET',
      path: '/sms/messages/:id',
      summary: 'One message, with per-part delivery for outbound ones and what the rules did with it (`rules`)',
      tags: ['sms'],
      scope: 'read',
      responses: { 200: { description: 'The message', schema: message }, 404: { description: 'No such message' }, 503: unavailable },
      handler: ({ params }) => {
        const key = v.safeParse(id, params.id);
        if (!key.success) throw new ApiError(400, 'invalid_request', 'not a message id', 'id');
        const found = sms().getMessage(key.output);
        if (!found) throw new ApiError(404, 'not_found', 'no such message', 'id');
        const ruled = rules()?.forMessage(key.output);
        return ruled ? { ...found, rules: ruled } : found;
      },
    },
    {
      method: 'PATCH',
      path: '/sms/messages/:id',
      summary: 'Change the text or the time (sendAt) of a message still queued; mark a received message read or unread',
      description: '`sendAt: null` sends it as soon as it can. A message handed to the modem (or ended) is a 409. `{ "read": true }` (or false) on a received message sets or clears its `readAt`.',
      tags: ['sms'],
      scope: 'send',
      body: messageChange,
      responses: {
        200: { description: 'The changed message', schema: message },
        404: { description: 'No such outbound message (text, sendAt) or received message (read)' },
        409: { description: 'The message is no longer queued (message_not_queued)' },
        503: unavailable,
      },
      handler: ({ params, body }) => {
        const { read, ...change } = body as MessageChange;
        const id = messageId(params.id);
        if (read === undefined) return sms().change(id, change);
        if (change.text !== undefined || change.sendAt !== undefined) throw new ApiError(400, 'invalid_request', 'read: applies to received messages, text and sendAt to queued ones: not both', 'read');
        const service = sms();
        if (!service.markRead) throw new ApiError(503, 'sms_unavailable', 'the sms service cannot mark messages read');
        return service.markRead(id, read);
      },
    },
    {
      method: 'DELETE',
      path: '/sms/messages/:id',
      summary: 'Cancel a queued or scheduled message (sms.cancelled); delete a received message',
      description: 'A received message is deleted from the store (its `sms.received` event stays in the journal); an outbound one stays, as cancelled.',
      tags: ['sms'],
      scope: 'send',
      responses: {
        200: { description: 'The cancelled message, or the received message as it was before it was deleted', schema: message },
        404: { description: 'No such message' },
        409: { description: 'The message was handed to the modem already, or has ended (message_not_queued)' },
        503: unavailable,
      },
      handler: ({ params }) => {
        const id = messageId(params.id);
        const service = sms();
        // A received message is deleted from the store; an outbound one is cancelled (it stays, as cancelled).
        if (service.deleteReceived && service.getMessage(id)?.direction === 'inbound') return service.deleteReceived(id);
        return service.cancel(id);
      },
    },
    {
      method: 'GET',
      path: '/sms/delivery-reports',
      summary: 'List delivery reports, newest first',
      tags: ['sms'],
      scope: 'read',
      query: v.strictObject(listQuery),
      responses: { 200: { description: 'A page of delivery reports', schema: listOf(report) }, 503: unavailable },
      handler: ({ query }) => page(sms().listDeliveryReports(query), query.limit),
    },
  ];
}

/** A page of messages as a CSV attachment; the next page's cursor in X-Next-Cursor. */
function csvAnswer(found: { items: unknown[]; next: string | null }, direction: string, at: number): Response {
  const stamp = new Date(at).toISOString().replace(/[-:]|\.\d+/g, '');
  const headers = new Headers({
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="smsedge-${direction}-${stamp}.csv"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (found.next !== null) headers.set('x-next-cursor', found.next);
  return new Response(toCsv(CSV_COLUMNS, (found.items as Record<string, unknown>[]).map(csvRow)), { headers });
}

function messageId(raw: string | undefined): string {
  const key = v.safeParse(id, raw);
  if (!key.success) throw new ApiError(400, 'invalid_request', 'not a message id', 'id');
  return key.output;
}

/** `{ items, next }`: `next` is the cursor for the following page, null on the last one. */
export function page<T extends { id: string }>(items: T[], limit: number): { items: T[]; next: string | null } {
  return { items, next: items.length >= limit && items.length ? items[items.length - 1]!.id : null };
}
