// Standard Webhooks (https://www.standardwebhooks.com, spec "Signature scheme"): the signed content is
// `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the secret's decoded bytes, sent as
// `v1,<base64>`; several signatures are separated by spaces (how a rotation's overlap is carried).
import { hmac, standardKey } from '../secret.ts';
import type { FormatInput, Formatted } from './types.ts';

/**
 * `standard`: body `{ type, timestamp, data, id }` (`id` is the event id, for de-duplication across
 * replays), headers `webhook-id` (the delivery id), `webhook-timestamp`, `webhook-signature`.
 *
 * @example standard({ event, deliveryId, secrets: [secret], nowSec, ... }).headers['webhook-signature'] // 'v1,K5o...'
 */
export function standard(input: FormatInput): Formatted {
  const { event } = input;
  // The same bytes either way: the recorded data is JSON.stringify's text of the same value.
  const body = input.dataJson === undefined
    ? JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data, id: event.id })
    : `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.timestamp)},"data":${input.dataJson},"id":${JSON.stringify(event.id)}}`;
  const timestamp = String(input.nowSec);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': input.deliveryId,
    'webhook-timestamp': timestamp,
  };
  if (input.secrets.length) {
    const signed = `${input.deliveryId}.${timestamp}.${body}`;
    headers['webhook-signature'] = input.secrets.map((s) => `v1,${hmac(standardKey(s), signed, 'base64')}`).join(' ');
  }
  return { headers, body };
}
