// The `cloudevents` format, for receivers written for httpSMS: a CloudEvents 1.0 event in structured
// JSON mode (CloudEvents spec, "JSON Event Format" 3), the type in `X-Event-Type`, and
// `Authorization: Bearer <JWT>` (RFC 7519, HS256 per RFC 7518 3.2) signed with the secret.
import { createHash } from 'node:crypto';
import type { AnyEvent } from '../../../core/events.ts';
import type { FormatInput, Formatted } from './types.ts';

/** httpSMS's event names where one exists; ours otherwise. */
const types: Record<string, string> = {
  'sms.received': 'message.phone.received',
  'sms.sent': 'message.phone.sent',
  'sms.delivered': 'message.phone.delivered',
  'sms.failed': 'message.send.failed',
  'sms.expired': 'message.send.expired',
  'call.missed': 'call.missed',
};

/** base64url SHA-256 of the exact body bytes, as carried in the JWT's `body_sha256` claim. */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('base64url');
}

export function cloudEventType(type: string): string {
  return types[type] ?? type;
}

/** The JWT lives 10 minutes: long enough for clock skew, short enough that a leaked one is soon useless. */
export const JWT_LIFETIME_SECONDS = 600;

const encoder = new TextEncoder();
const keys = new Map<string, Uint8Array>();
function keyOf(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = encoder.encode(secret);
    if (keys.size > 256) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export function cloudEvent(event: AnyEvent, agentId: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: event.id,
    source: `/smsedge/${agentId}`,
    type: cloudEventType(event.type),
    time: event.timestamp,
    datacontenttype: 'application/json',
    data: event.data,
  };
}

export async function cloudevents(input: FormatInput): Promise<Formatted> {
  const body = JSON.stringify(cloudEvent(input.event, input.agentId));
  const type = cloudEventType(input.event.type);
  const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json', 'x-event-type': type };
  const secret = input.secrets[0];
  if (secret) {
    // httpSMS's token authenticates the sender but not the body; the extra `body_sha256` claim binds
    // the two (receivers that do not know it ignore it; verifyWebhook checks it).
    // jose is loaded on first use: importing it costs ~9 MB resident (measured), which an agent
    // without a `cloudevents` subscription should not pay.
    const { SignJWT } = await import('jose');
    const jwt = await new SignJWT({ body_sha256: bodyHash(body) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(`smsedge/${input.agentId}`)
      .setAudience(input.url)
      .setIssuedAt(input.nowSec)
      .setExpirationTime(input.nowSec + JWT_LIFETIME_SECONDS)
      .setJti(input.deliveryId)
      .sign(keyOf(secret));
    headers.authorization = `Bearer ${jwt}`;
  }
  return { headers, body };
}
