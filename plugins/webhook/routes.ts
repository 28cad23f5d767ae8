// The webhook routes, mounted through the API plugin's `api` service (same auth, errors, OpenAPI).
import * as v from 'valibot';
import type { ApiService, RouteDef } from '../api/service.ts';
import { formatNames } from './formats/types.ts';
import { WebhookError, type WebhookService } from './service.ts';
import { attemptView, created, deliveryView, eventTypes, listOf, replayed, rotated, subscribed, subscriptionView } from './views.ts';

const noWebhook = { description: 'No such webhook (or not an id)' };
const noDelivery = { description: 'No such delivery (or not an id)' };

const id = v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/i, 'not an id'));
const url = v.pipe(v.string(), v.minLength(1), v.maxLength(2048));
const phoneFilter = v.pipe(v.string(), v.regex(/^\+?[0-9A-Za-z]{1,20}\*?$/, 'digits (or a sender name), optionally ending in *'));
const headerValue = v.pipe(v.string(), v.maxLength(1024), v.regex(/^[^\r\n\0]*$/, 'no line breaks'));

const fields = {
  url,
  events: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(64))), v.maxLength(32))),
  format: v.optional(v.picklist(formatNames)),
  secret: v.optional(v.nullable(v.pipe(v.string(), v.minLength(16), v.maxLength(256)))),
  filters: v.optional(v.strictObject({ from: v.optional(phoneFilter), modem: v.optional(v.pipe(v.string(), v.regex(/^[\w.-]{1,32}$/))) })),
  enabled: v.optional(v.boolean()),
  maxAttempts: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)))),
  timeoutMs: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(120_000)))),
  rateLimitPerMinute: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000)))),
  headers: v.optional(v.nullable(v.pipe(v.record(v.string(), headerValue), v.check((h) => Object.keys(h).length <= 16, 'at most 16 headers')))),
};

const createBody = v.strictObject(fields);
const patchBody = v.strictObject({ ...fields, url: v.optional(url) });
const replayBody = v.strictObject({
  since: v.pipe(v.string(), v.isoTimestamp('an ISO 8601 timestamp with offset')),
  until: v.optional(v.pipe(v.string(), v.isoTimestamp('an ISO 8601 timestamp with offset'))),
});
const deliveriesQuery = v.strictObject({
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'a number 1-500'), v.transform(Number), v.minValue(1), v.maxValue(500))),
  status: v.optional(v.picklist(['pending', 'retrying', 'delivered', 'failed', 'held'])),
  webhookId: v.optional(id),
  before: v.optional(id),
});

function checkId(value: string | undefined, field = 'id'): string {
  const parsed = v.safeParse(id, value);
  if (!parsed.success) throw new WebhookError(404, 'not_found', `${field} is not a valid id`, field);
  return parsed.output;
}

/** The route definitions (exported for the OpenAPI test); `registerRoutes` mounts them. */
export function webhookRoutes(service: WebhookService): RouteDef[] {
  const tags = ['webhooks'];
  return [
    { method: 'GET', path: '/webhooks', summary: 'List webhook subscriptions (secrets are never shown)', tags, scope: 'admin',
      responses: { 200: { description: 'Every subscription', schema: listOf(subscriptionView) } },
      handler: () => ({ items: service.list(), next: null }) },
    { method: 'POST', path: '/webhooks', summary: 'Create a webhook subscription; the secret is in this answer only', tags, scope: 'admin', status: 201,
      responses: { 201: { description: 'Created; `secret` is shown here only', schema: created } },
      body: createBody, handler: ({ body }) => service.create(body) },
    { method: 'GET', path: '/webhooks/event-types', summary: 'Event types a subscription may name', tags, scope: 'admin',
      responses: { 200: { description: 'Event types; `default` ones are sent when a subscription names none', schema: eventTypes } },
      handler: () => ({ items: service.eventTypes(), next: null }) },
    { method: 'GET', path: '/webhooks/:id', summary: 'One webhook subscription', tags, scope: 'admin',
      responses: { 200: { description: 'The subscription', schema: subscriptionView }, 404: noWebhook },
      handler: ({ params }) => service.get(checkId(params.id)) },
    { method: 'PATCH', path: '/webhooks/:id', summary: 'Change a webhook subscription', tags, scope: 'admin',
      responses: { 200: { description: 'The changed subscription', schema: subscriptionView }, 404: noWebhook },
      body: patchBody, handler: ({ params, body }) => service.update(checkId(params.id), body) },
    { method: 'DELETE', path: '/webhooks/:id', summary: 'Delete a webhook subscription (its waiting deliveries end as failed)', tags, scope: 'admin', status: 204,
      responses: { 204: { description: 'Deleted' }, 404: noWebhook },
      handler: ({ params }) => {
        service.remove(checkId(params.id));
        return undefined;
      } },
    { method: 'POST', path: '/webhooks/:id/test', summary: 'Send a webhook.test event now and answer with the attempt', tags, scope: 'admin',
      responses: {
        200: { description: 'What the attempt came to (a refusal by the receiver is an answer too)', schema: attemptView },
        404: noWebhook,
        409: { description: 'The subscription is disabled' },
      },
      handler: ({ params }) => service.test(checkId(params.id)) },
    { method: 'POST', path: '/webhooks/:id/replay', summary: 'Send past events (from the journal) again', tags, scope: 'admin', status: 202,
      responses: { 202: { description: 'How many deliveries were queued', schema: replayed }, 404: noWebhook },
      body: replayBody, handler: ({ params, body }) => service.replay(checkId(params.id), body) },
    { method: 'POST', path: '/webhooks/:id/rotate-secret', summary: 'New secret (shown once); the old one also signs for 24 h', tags, scope: 'admin',
      responses: { 200: { description: 'The new secret, shown here only', schema: rotated }, 404: noWebhook },
      handler: ({ params }) => service.rotateSecret(checkId(params.id)) },
    { method: 'POST', path: '/sms/subscribe', summary: 'Older shortcut: callstack-format sms.received to a URL, signed with the default secret', tags, scope: 'admin', status: 201,
      responses: { 201: { description: 'The subscription', schema: subscribed } },
      body: v.strictObject({ url }), handler: ({ body }) => service.subscribe(body.url) },
    { method: 'GET', path: '/sms/webhook-deliveries', summary: 'The webhook delivery log, newest first', tags, scope: 'read',
      responses: { 200: { description: 'A page of deliveries; pass `next` as `before` for the next page', schema: listOf(deliveryView) } },
      query: deliveriesQuery, handler: ({ query }) => service.deliveries(query) },
    { method: 'GET', path: '/sms/webhook-deliveries/:id', summary: 'One delivery with its attempts', tags, scope: 'read',
      responses: { 200: { description: 'The delivery and its attempts', schema: deliveryView }, 404: noDelivery },
      handler: ({ params }) => service.delivery(checkId(params.id)) },
    { method: 'POST', path: '/sms/webhook-deliveries/:id/retry', summary: 'Attempt a delivery now', tags, scope: 'admin',
      responses: {
        200: { description: 'What the attempt came to', schema: attemptView },
        404: noDelivery,
        409: { description: 'The delivery succeeded already' },
      },
      handler: ({ params }) => service.retry(checkId(params.id)) },
  ];
}

/** Mounts the routes; returns their removers (called on stop). */
export function registerRoutes(api: ApiService, service: WebhookService): (() => void)[] {
  return webhookRoutes(service).map((def) => api.route(def));
}
