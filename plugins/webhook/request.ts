// What one attempt sends: a delivery's body and headers, formatted and signed.
//
// The scheduler builds them ahead of the attempts, for a whole page of due deliveries in one loop as
// the page is read (Engine#next), not one by one between HTTP exchanges. Built between exchanges, the
// formatting, the HMAC and the headers ran with the CPU caches full of the HTTP client's data, and
// cost several times what they cost in a loop: an A/B of alternating 10,000-event drains measured
// 229 -> 203 µs of main-thread CPU per delivered event (the bare ofetch loop beside them: 156), and
// the HTTP exchange itself got cheaper too (undici's share of a profile, agent minus bare loop:
// 17 -> 2 µs per event). Current figures: docs/performance.md.
//
// A built request is only used while it is what the attempt would build itself: the same
// subscription object (subscriptions are replaced, never changed in place, on every update or
// rotation), no previous secret expired since, and built at most PREPARED_MAX_AGE_MS ago (the
// signature's timestamp is then at most that old: Standard Webhooks receivers allow 5 minutes).
// Otherwise the attempt builds it afresh, as it always did for a person's test or retry.
import { publicEvent } from '../../core/events.ts';
import { version } from '../../core/version.ts';
import type { DueDelivery } from './deliveries.ts';
import { formatters } from './formats/index.ts';
import type { Subscription } from './subscriptions.ts';

export const PREPARED_MAX_AGE_MS = 5_000;
const USER_AGENT = `smsedge/${version}`;

export interface PreparedRequest {
  /** Clock time it was built (and signed) at. */
  at: number;
  /** The subscription it was built for (undefined: a per-message callback). */
  sub: Subscription | undefined;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface RequestContext {
  agentId: string;
  /** See FormatInput. */
  messageText?(messageId: string): string | undefined;
  phoneNumber?: string;
  /** The secrets that sign for `sub` at `now`, newest first. */
  secrets(sub: Subscription | undefined, now: number): string[];
  /** What fetch is given for a receiver URL (credentials moved to a header); cached by the engine. */
  target(url: string): { url: string; authorization?: string };
}

/**
 * Formats and signs one delivery for an attempt at `now`. Synchronous for every format but one that
 * returns a promise (then a promise).
 *
 * @example buildRequest(ctx, row, sub, sub.url, clock.now()).headers['webhook-signature'] // 'v1,K5o...'
 */
export function buildRequest(
  ctx: RequestContext,
  row: DueDelivery,
  sub: Subscription | undefined,
  url: string,
  now: number,
): PreparedRequest | Promise<PreparedRequest> {
  const target = ctx.target(url);
  // Once, for every format: a message's callbackUrl (another receiver's address, maybe with its
  // token) is never sent to any receiver.
  const event = publicEvent(row.event!);
  const pending = formatters[sub?.format ?? 'standard']({
    event,
    dataJson: event === row.event ? row.eventData : undefined,
    deliveryId: row.id,
    subscriptionId: sub?.id ?? null,
    url: target.url,
    secrets: ctx.secrets(sub, now),
    nowSec: Math.floor(now / 1000),
    agentId: ctx.agentId,
    ...(ctx.messageText ? { messageText: ctx.messageText } : {}),
    ...(ctx.phoneNumber ? { phoneNumber: ctx.phoneNumber } : {}),
  });
  const finish = (formatted: { headers: Record<string, string>; body: string }): PreparedRequest => {
    // Built by assignment: spreading into a literal makes V8 copy through a slow path per attempt.
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (sub?.headers) Object.assign(headers, sub.headers);
    Object.assign(headers, formatted.headers);
    if (target.authorization && !headers.authorization) headers.authorization = target.authorization;
    return { at: now, sub, url: target.url, headers, body: formatted.body };
  };
  // Awaiting a plain value would still cost a promise and a turn of the microtask queue per attempt.
  return pending instanceof Promise ? pending.then(finish) : finish(pending);
}

/** Whether a request built ahead is still what an attempt at `now` for `sub` would send. */
export function stillValid(prepared: PreparedRequest, sub: Subscription | undefined, now: number): boolean {
  if (prepared.sub !== sub || now - prepared.at > PREPARED_MAX_AGE_MS || now < prepared.at) return false;
  // A previous secret that stopped signing since it was built must not sign this attempt.
  const expires = sub?.previousExpiresAt;
  return !(expires != null && expires > prepared.at && expires <= now);
}
