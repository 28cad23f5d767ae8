// The `callstack` format, for receivers written for the older "sms/subscribe" style gateways: flat
// snake_case JSON, `X-Callstack-*` headers, signature `sha256=<hex HMAC-SHA256 of timestamp + "." + raw body>`.
import type { AnyEvent } from '../../../core/events.ts';
import { hmac } from '../secret.ts';
import type { FormatInput, Formatted } from './types.ts';

/** `sms.received` as `{ event, sender, body, received_at, ... }`; other events as their snake_cased data. */
export function callstackBody(event: AnyEvent): Record<string, unknown> {
  const base = { event: event.type, event_id: event.id, occurred_at: event.timestamp };
  if (event.type === 'sms.received') {
    const d = event.data;
    return {
      ...base,
      message_id: d.messageId,
      sender: d.from,
      body: d.text ?? null,
      ...(d.data !== undefined ? { data: d.data, port: d.port ?? null } : {}),
      received_at: d.receivedAt,
      encoding: d.encoding,
      parts: d.parts,
      modem: d.modem,
      ...(d.incomplete ? { incomplete: true, missing_parts: d.missingParts ?? [] } : {}),
    };
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(event.data)) {
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return out;
}

/** `callstack`: signed only when the subscription has a secret (the newest one signs). */
export function callstack(input: FormatInput): Formatted {
  const body = JSON.stringify(callstackBody(input.event));
  const timestamp = String(input.nowSec);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-callstack-event': input.event.type,
    'x-callstack-delivery-id': input.deliveryId,
    'x-callstack-timestamp': timestamp,
  };
  const secret = input.secrets[0];
  if (secret) headers['x-callstack-signature'] = `sha256=${hmac(secret, `${timestamp}.${body}`, 'hex')}`;
  return { headers, body };
}
