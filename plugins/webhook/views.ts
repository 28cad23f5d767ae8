// What the webhook routes answer, as valibot schemas for the OpenAPI document (test/api/openapi.test.ts
// validates real answers against them).
import * as v from 'valibot';

const when = v.nullable(v.string());

/** A subscription as shown: never its secret, only whether it has one. */
export const subscriptionView = v.object({
  id: v.string(),
  kind: v.picklist(['webhook', 'subscribe']),
  url: v.string(),
  events: v.array(v.string()),
  format: v.string(),
  secret: v.picklist(['default', 'set', 'none']),
  previousSecretUntil: when,
  filters: v.nullable(v.object({ from: v.optional(v.string()), modem: v.optional(v.string()) })),
  enabled: v.boolean(),
  disabledReason: v.nullable(v.string()),
  maxAttempts: v.nullable(v.number()),
  timeoutMs: v.nullable(v.number()),
  rateLimitPerMinute: v.nullable(v.number()),
  headers: v.array(v.string()),
  createdAt: v.string(),
  updatedAt: v.string(),
});

const deliveryStatus = v.picklist(['pending', 'retrying', 'delivered', 'failed', 'held']);

/** One delivery of an event to a receiver; `attemptLog` only on GET /sms/webhook-deliveries/:id. */
export const deliveryView = v.object({
  id: v.string(),
  eventId: v.string(),
  eventType: v.string(),
  webhookId: v.nullable(v.string()),
  callback: v.boolean(),
  replay: v.boolean(),
  url: v.string(),
  status: deliveryStatus,
  heldReason: v.nullable(v.string()),
  attempts: v.number(),
  lastStatus: v.nullable(v.number()),
  lastError: v.nullable(v.object({ class: v.string(), message: v.nullable(v.string()) })),
  createdAt: when,
  lastAttemptAt: when,
  nextAttemptAt: when,
  deliveredAt: when,
  /** Why it waits and until when (the scheduler's own state: backoff, Retry-After, breaker, offline, rate limit, disabled); null once done. */
  waiting: v.optional(v.nullable(v.object({ reason: v.string(), until: when }))),
  attemptLog: v.optional(
    v.array(
      v.object({
        n: v.number(),
        at: when,
        durationMs: v.nullable(v.number()),
        outcome: v.string(),
        counted: v.boolean(),
        status: v.nullable(v.number()),
        errorClass: v.nullable(v.string()),
        error: v.nullable(v.string()),
      }),
    ),
  ),
});

/** What an attempt made now came to (POST .../test and .../retry). */
export const attemptView = v.object({
  deliveryId: v.string(),
  status: deliveryStatus,
  outcome: v.string(),
  httpStatus: v.nullable(v.number()),
  errorClass: v.nullable(v.string()),
  error: v.nullable(v.string()),
  durationMs: v.number(),
  nextAttemptAt: when,
  eventId: v.optional(v.string()),
});

export const created = v.object({ webhook: subscriptionView, secret: v.nullable(v.string()) });
export const rotated = v.object({ webhook: subscriptionView, secret: v.string(), previousSecretUntil: when });
export const subscribed = v.object({ webhook: subscriptionView });
export const replayed = v.object({ queued: v.number(), truncated: v.boolean() });
export const eventTypes = v.object({ items: v.array(v.object({ type: v.string(), default: v.boolean() })), next: v.null() });
export const listOf = <S extends v.GenericSchema>(item: S) => v.object({ items: v.array(item), next: v.nullable(v.string()) });
