import type { Message } from '../../core/services.ts';

export interface HttpsmsMeta {
  owner: string;
}

/** httpSMS's message statuses: smsedge's queued is pending; received for inbound messages. */
const statuses: Record<string, string> = { queued: 'pending', sending: 'sending', sent: 'sent', delivered: 'delivered', failed: 'failed', expired: 'expired' };

/** httpSMS names SIMs `SIM1`, `SIM2`: a modem whose id is a number is that SIM, any other the first. */
export function simName(modem: string | null | undefined): string {
  const n = Number(modem);
  return `SIM${Number.isInteger(n) && n > 0 ? n : 1}`;
}

/**
 * A message as httpSMS's Message entity (api/pkg/entities/message.go): `owner` is the agent's number
 * (the `from` the send named), `contact` the other party, `type` mobile-terminated or
 * mobile-originated, and a failed or expired message says so in `status` and `failure_reason`.
 */
export function httpsmsMessage(m: Message, c: { agentId: string; owner: string }): Record<string, unknown> {
  if (m.direction === 'inbound') {
    const at = m.receivedAt ?? m.storedAt;
    return {
      id: m.id, request_id: null, owner: c.owner, user_id: c.agentId, contact: m.from, content: m.text ?? '', encrypted: false,
      type: 'mobile-originated', status: 'received', sim: simName(m.modem), send_time: null, request_received_at: m.storedAt,
      created_at: m.storedAt, updated_at: m.storedAt, order_timestamp: at, last_attempted_at: null, scheduled_at: null, sent_at: null,
      delivered_at: null, expired_at: null, failed_at: null, failure_reason: null, received_at: at, can_be_polled: false,
      send_attempt_count: 0, max_send_attempts: 0,
    };
  }
  const failed = m.status === 'failed' ? (m.failedAt ?? null) : null;
  const expired = m.status === 'expired' ? (m.failedAt ?? null) : null;
  const sendTime = m.sentAt ? Math.max(0, Date.parse(m.sentAt) - Date.parse(m.createdAt)) * 1_000_000 : null;
  return {
    id: m.id,
    request_id: m.clientRef ?? null,
    owner: c.owner,
    user_id: c.agentId,
    contact: m.to,
    content: m.text,
    encrypted: false,
    type: 'mobile-terminated',
    status: statuses[m.status] ?? m.status,
    sim: simName(m.modem),
    send_time: sendTime,
    request_received_at: m.createdAt,
    created_at: m.createdAt,
    updated_at: m.deliveredAt ?? m.failedAt ?? m.sentAt ?? m.createdAt,
    order_timestamp: m.deliveredAt ?? m.failedAt ?? m.sentAt ?? m.createdAt,
    last_attempted_at: m.sentAt ?? failed ?? null,
    scheduled_at: null,
    sent_at: m.sentAt ?? null,
    delivered_at: m.deliveredAt ?? null,
    expired_at: expired,
    failed_at: failed,
    failure_reason: m.status === 'expired' ? 'expired before it could be sent' : m.status === 'failed' ? (m.error?.message ?? 'failed') : null,
    received_at: null,
    can_be_polled: false,
    send_attempt_count: m.sentAt || failed ? 1 : 0,
    max_send_attempts: 1,
  };
}
