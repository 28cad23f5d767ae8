// The `cloudevents` format, for receivers written for httpSMS: a CloudEvents 1.0 event in structured
// JSON mode (CloudEvents spec, "JSON Event Format" 3), the type in `X-Event-Type`, and
// `Authorization: Bearer <JWT>` (RFC 7519, HS256 per RFC 7518 3.2) signed with the secret.
import { createHash } from 'node:crypto';
import type { FormatInput, Formatted } from './types.ts';

/** httpSMS's event names where one exists; ours otherwise. */
const types: Record<string, string> = {
  'sms.received': 'message.phone.received',
  'sms.sent': 'message.phone.sent',
  'sms.delivered': 'message.phone.delivered',
  'sms.failed': 'message.send.failed',
  'sms.expired': 'message.send.expired',
  'call.missed': 'message.call.missed',
};

/** httpSMS names SIMs `SIM1`, `SIM2`: a modem whose id is a number is that SIM, any other the first. */
function sim(modem: string): string {
  const n = Number(modem);
  return `SIM${Number.isInteger(n) && n > 0 ? n : 1}`;
}

/**
 * httpSMS's event payloads (api/pkg/events/*.go in its server), so that a receiver written for
 * httpSMS finds its fields: `owner` is the SIM's own number (the webhook plugin's `phoneNumber`
 * option, empty when not set), `contact` the other party, `user_id` the agent id, `request_id` the
 * send's `clientRef`, `content` the text (looked up for status events, which do not carry it).
 * Received messages and missed calls name the message `message_id`, status events `id`, as httpSMS does.
 */
export function httpsmsPayload(input: Pick<FormatInput, 'event' | 'agentId' | 'messageText' | 'phoneNumber'>): Record<string, unknown> {
  const { event } = input;
  const common = { user_id: input.agentId, owner: input.phoneNumber ?? '', encrypted: false };
  const content = (id: string) => input.messageText?.(id) ?? '';
  switch (event.type) {
    case 'sms.received': {
      const d = event.data;
      return { message_id: d.messageId, ...common, contact: d.from, timestamp: d.receivedAt, content: d.text ?? '', sim: sim(d.modem) };
    }
    case 'sms.sent': {
      const d = event.data;
      return { id: d.messageId, ...common, contact: d.to, request_id: d.clientRef ?? null, timestamp: d.sentAt, content: content(d.messageId), sim: sim(d.modem) };
    }
    case 'sms.delivered': {
      const d = event.data;
      return { id: d.messageId, ...common, contact: d.to, request_id: d.clientRef ?? null, timestamp: d.deliveredAt, content: content(d.messageId), sim: sim(d.modem) };
    }
    case 'sms.failed': {
      const d = event.data;
      return {
        id: d.messageId, ...common, contact: d.to, request_id: d.clientRef ?? null, error_message: d.reason, timestamp: event.timestamp,
        content: content(d.messageId), sim: sim(d.modem),
      };
    }
    case 'sms.expired': {
      const d = event.data;
      return { message_id: d.messageId, ...common, contact: d.to, request_id: d.clientRef ?? null, timestamp: event.timestamp, content: content(d.messageId), sim: sim(d.modem) };
    }
    case 'call.missed': {
      const d = event.data;
      return { message_id: event.id, user_id: input.agentId, owner: input.phoneNumber ?? '', contact: d.from ?? '', timestamp: d.at, sim: sim(d.modem) };
    }
    default:
      return event.data as unknown as Record<string, unknown>;
  }
}

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

export function cloudEvent(input: FormatInput): Record<string, unknown> {
  const { event } = input;
  return {
    specversion: '1.0',
    id: event.id,
    source: `/smsedge/${input.agentId}`,
    type: cloudEventType(event.type),
    time: event.timestamp,
    datacontenttype: 'application/json',
    data: httpsmsPayload(input),
  };
}

export async function cloudevents(input: FormatInput): Promise<Formatted> {
  const body = JSON.stringify(cloudEvent(input));
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
