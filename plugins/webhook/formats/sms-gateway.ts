// The `sms-gateway` format, for receivers written for SMS Gateway for Android (docs.sms-gate.app,
// "Webhooks"): `{ deviceId, event: "sms:received", id, payload, webhookId }`, `X-Signature` = hex
// HMAC-SHA256 of the raw body followed by the `X-Timestamp` value.
import type { AnyEvent } from '../../../core/events.ts';
import { hmac } from '../secret.ts';
import type { FormatInput, Formatted } from './types.ts';

const names: Record<string, string> = {
  'sms.received': 'sms:received',
  'sms.sent': 'sms:sent',
  'sms.delivered': 'sms:delivered',
  'sms.failed': 'sms:failed',
  // The app has no "expired": an expired message is a failed one, with the reason saying so.
  'sms.expired': 'sms:failed',
  'system.ping': 'system:ping',
  'call.missed': 'call:missed',
  'modem.online': 'modem:online',
  'modem.offline': 'modem:offline',
  'webhook.test': 'webhook:test',
};

/** The app numbers SIMs from 1; a modem id that is a number is taken as that, anything else as unknown. */
function simNumber(modem: string): number | null {
  const n = Number(modem);
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function smsGatewayPayload(event: AnyEvent): Record<string, unknown> {
  switch (event.type) {
    case 'sms.received': {
      const d = event.data;
      return { messageId: d.messageId, message: d.text ?? '', phoneNumber: d.from, simNumber: simNumber(d.modem), receivedAt: d.receivedAt };
    }
    case 'sms.sent': {
      const d = event.data;
      return { messageId: d.messageId, phoneNumber: d.to, simNumber: simNumber(d.modem), partsCount: d.parts, sentAt: d.sentAt };
    }
    case 'sms.delivered': {
      const d = event.data;
      return { messageId: d.messageId, phoneNumber: d.to, simNumber: simNumber(d.modem), deliveredAt: d.deliveredAt };
    }
    case 'sms.failed': {
      const d = event.data;
      return { messageId: d.messageId, phoneNumber: d.to, simNumber: simNumber(d.modem), failedAt: event.timestamp, reason: d.reason };
    }
    case 'sms.expired': {
      const d = event.data;
      return { messageId: d.messageId, phoneNumber: d.to, simNumber: simNumber(d.modem), failedAt: event.timestamp, reason: `expired after ${d.ttlSeconds} s` };
    }
    case 'system.ping':
      return { health: { uptimeSeconds: event.data.uptimeSeconds } };
    default: {
      return event.data as unknown as Record<string, unknown>;
    }
  }
}

export function smsGateway(input: FormatInput): Formatted {
  const body = JSON.stringify({
    deviceId: input.agentId,
    event: names[input.event.type] ?? input.event.type,
    id: input.event.id,
    payload: smsGatewayPayload(input.event),
    webhookId: input.subscriptionId ?? 'callback',
  });
  const timestamp = String(input.nowSec);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-timestamp': timestamp };
  const secret = input.secrets[0];
  if (secret) headers['x-signature'] = hmac(secret, body + timestamp, 'hex');
  return { headers, body };
}
