// Conversations for the operator page (and any client): a thread is every message to and from one
// number through one modem. GET /sms/threads lists them, GET /sms/threads/messages reads one.
import * as v from 'valibot';
import type { SmsService } from '../../../core/services.ts';
import { ApiError, type RouteDef } from '../service.ts';
import { message, page, plain } from './sms.ts';
import { id, limit, listOf } from './schemas.ts';

const statuses = ['queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'cancelled'] as const;

const thread = v.object({
  number: v.string(),
  modem: v.string(),
  messages: v.number(),
  inbound: v.number(),
  last: v.object({
    id: v.string(),
    direction: v.picklist(['inbound', 'outbound']),
    text: v.nullable(v.string()),
    at: v.string(),
    status: v.optional(v.picklist(statuses)),
  }),
});

export const threadsQuery = v.strictObject({
  limit,
  cursor: v.optional(id),
  modem: v.optional(plain(32)),
  q: v.optional(plain(160)),
});

export const threadQuery = v.strictObject({
  number: plain(32),
  modem: plain(32),
  limit,
  cursor: v.optional(id),
});

const unavailable = { description: 'No modem plugin is running (sms_unavailable)' };

/** `threads()` needs the modem plugin's store of messages: another implementation of the service may lack it. */
function capable(service: SmsService): Required<Pick<SmsService, 'threads' | 'threadMessages'>> {
  if (!service.threads || !service.threadMessages) throw new ApiError(503, 'sms_unavailable', 'the running sms service keeps no conversations');
  return service as Required<Pick<SmsService, 'threads' | 'threadMessages'>>;
}

/**
 * @example
 * for (const def of threadRoutes(sms)) api.route(def);
 */
export function threadRoutes(sms: () => SmsService): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/sms/threads',
      summary: 'Conversations (one per number and modem), newest activity first',
      description:
        '`q` keeps the threads whose number contains its digits or one of whose messages contains it as text; `modem` one modem\'s. ' +
        'Pass `next` as `cursor` for the next page.',
      tags: ['sms'],
      scope: 'read',
      query: threadsQuery,
      responses: {
        200: { description: 'A page of threads', schema: listOf(thread) },
        400: { description: 'A bad filter or cursor (invalid_query naming it)' },
        503: unavailable,
      },
      handler: ({ query }) => {
        const { cursor, ...rest } = query as v.InferOutput<typeof threadsQuery>;
        const items = capable(sms()).threads({ ...rest, ...(cursor === undefined ? {} : { before: cursor }) });
        return { items, next: items.length >= rest.limit ? items.at(-1)!.last.id : null };
      },
    },
    {
      method: 'GET',
      path: '/sms/threads/messages',
      summary: "One conversation's messages, both directions, newest first",
      description: 'The thread is named by `number` and `modem` (as GET /sms/threads lists them). Pass `next` as `cursor` for older messages.',
      tags: ['sms'],
      scope: 'read',
      query: threadQuery,
      responses: {
        200: { description: 'A page of messages, inbound and outbound', schema: listOf(message) },
        400: { description: 'A missing or bad number, modem or cursor (invalid_query naming it)' },
        503: unavailable,
      },
      handler: ({ query }) => {
        const { cursor, ...rest } = query as v.InferOutput<typeof threadQuery>;
        return page(capable(sms()).threadMessages({ ...rest, ...(cursor === undefined ? {} : { before: cursor }) }), rest.limit);
      },
    },
  ];
}
