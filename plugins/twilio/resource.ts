import type { Message, OutboundMessage } from '../../core/services.ts';

export const API_VERSION = '2010-04-01';

/** Twilio's message statuses that smsedge's states map onto (received for inbound messages). */
export type TwilioStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

/** A message SID: `SM` and the 32 hex digits of the agent's UUID message id. */
export function sidOf(id: string): string {
  return `SM${id.replace(/-/g, '')}`;
}

/** The agent's message id of a SID, or undefined when it is not one of ours. */
export function idOf(sid: string): string | undefined {
  const m = /^SM([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/.exec(sid);
  return m ? m.slice(1).join('-') : undefined;
}

/** RFC 2822, as Twilio writes dates: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function twilioDate(iso: string | undefined): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toUTCString().replace('GMT', '+0000') : null;
}

/**
 * Twilio's error codes for a message that did not make it: 30001 for one not sent within its
 * validity (Twilio's "queue overflow"), 30003 for one the network could not deliver (its status
 * report said so: "undelivered"), 30008 for one the modem or network refused ("failed").
 */
export const ERROR_EXPIRED = 30001;
export const ERROR_UNDELIVERED = 30003;
export const ERROR_FAILED = 30008;

/** A failed message is `undelivered` when its delivery report said so, `failed` when it was never sent. */
export function outboundStatus(m: OutboundMessage): { status: TwilioStatus; errorCode: number | null; errorMessage: string | null } {
  switch (m.status) {
    case 'queued':
    case 'sending':
    case 'sent':
    case 'delivered':
      return { status: m.status, errorCode: null, errorMessage: null };
    case 'expired':
      return { status: 'failed', errorCode: ERROR_EXPIRED, errorMessage: 'not sent within its validity period' };
    default: {
      const undelivered = m.partDetails.some((p) => p.status === 'failed' && p.reportStatus !== undefined);
      return undelivered
        ? { status: 'undelivered', errorCode: ERROR_UNDELIVERED, errorMessage: m.error?.message ?? 'the network could not deliver it' }
        : { status: 'failed', errorCode: ERROR_FAILED, errorMessage: m.error?.message ?? 'the modem or network refused it' };
    }
  }
}

export interface ResourceContext {
  accountSid: string;
  /** The agent's own number, shown as `To` of received messages and `From` when a send named none. */
  phoneNumber: string | null;
}

/** A message as Twilio's Message resource (the JSON the twilio client deserializes). */
export function messageResource(m: Message, c: ResourceContext, sent: { from?: string | null; messagingServiceSid?: string | null } = {}): Record<string, unknown> {
  const sid = sidOf(m.id);
  const base = {
    account_sid: c.accountSid,
    api_version: API_VERSION,
    messaging_service_sid: sent.messagingServiceSid ?? null,
    num_media: '0',
    price: null,
    price_unit: null,
    sid,
    subresource_uris: { media: `/${API_VERSION}/Accounts/${c.accountSid}/Messages/${sid}/Media.json` },
    uri: `/${API_VERSION}/Accounts/${c.accountSid}/Messages/${sid}.json`,
  };
  if (m.direction === 'inbound') {
    const at = twilioDate(m.receivedAt ?? m.storedAt);
    return {
      ...base, body: m.text ?? '', date_created: at, date_sent: at, date_updated: twilioDate(m.storedAt), direction: 'inbound',
      error_code: null, error_message: null, from: m.from, num_segments: String(m.parts), status: 'received', to: c.phoneNumber ?? '',
    };
  }
  const s = outboundStatus(m);
  return {
    ...base,
    body: m.text,
    date_created: twilioDate(m.createdAt),
    date_sent: twilioDate(m.sentAt),
    date_updated: twilioDate(m.deliveredAt ?? m.failedAt ?? m.sentAt ?? m.createdAt),
    direction: 'outbound-api',
    error_code: s.errorCode,
    error_message: s.errorMessage,
    from: sent.from ?? c.phoneNumber,
    num_segments: String(m.parts),
    status: s.status,
    to: m.to,
  };
}

/**
 * What X-Twilio-Signature signs: the full URL followed by each POST parameter's name and value,
 * sorted by name; the signature is the base64 HMAC-SHA1 of it keyed with the auth token (Twilio's
 * "Webhooks security").
 *
 * @example
 * createHmac('sha1', token).update(signedData(url, { MessageSid: 'SM…', MessageStatus: 'delivered' })).digest('base64')
 */
export function signedData(url: string, params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
}
