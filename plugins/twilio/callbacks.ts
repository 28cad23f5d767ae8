import type { AnyEvent } from '../../core/events.ts';
import type { ApiService } from '../api/service.ts';
import type { CallbackRequest } from '../doors/callbacks.ts';
import type { Ledger } from '../doors/ledger.ts';
import { API_VERSION, ERROR_EXPIRED, ERROR_FAILED, ERROR_UNDELIVERED, signedData, sidOf, type ResourceContext } from './resource.ts';
import type { TwilioMeta } from './routes.ts';

/** A form POST as Twilio makes it, signed with X-Twilio-Signature (HMAC-SHA1 keyed with the auth token). */
export function signedPost(api: ApiService, url: string, params: Record<string, string>): CallbackRequest {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1 (smsedge)' };
  const signature = api.keyHmac('sha1', signedData(url, params));
  if (signature) headers['x-twilio-signature'] = signature.toString('base64');
  return { url, init: { method: 'POST', headers, body: new URLSearchParams(params).toString() } };
}

/** The MessageStatus (and ErrorCode) a status event stands for: a message that failed is never reported sent. */
export function callbackStatus(event: AnyEvent): { status: string; errorCode?: number } | undefined {
  switch (event.type) {
    case 'sms.sent':
      return { status: 'sent' };
    case 'sms.delivered':
      return { status: 'delivered' };
    case 'sms.failed':
      return event.data.stage === 'delivery' ? { status: 'undelivered', errorCode: ERROR_UNDELIVERED } : { status: 'failed', errorCode: ERROR_FAILED };
    case 'sms.expired':
      return { status: 'failed', errorCode: ERROR_EXPIRED };
    default:
      return undefined;
  }
}

/**
 * The callback for an event: a message's StatusCallback for its status events, the configured
 * incoming URL for received messages (Twilio's "a message comes in" webhook).
 */
export function twilioCallback(api: ApiService, ledger: Ledger<TwilioMeta>, c: ResourceContext & { incomingUrl?: string }, event: AnyEvent): CallbackRequest | undefined {
  if (event.type === 'sms.received') {
    if (!c.incomingUrl || event.data.text === undefined) return undefined;
    const sid = sidOf(event.data.messageId);
    return signedPost(api, c.incomingUrl, {
      MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, AccountSid: c.accountSid, From: event.data.from, To: c.phoneNumber ?? '',
      Body: event.data.text, NumMedia: '0', NumSegments: String(event.data.parts), SmsStatus: 'received', ApiVersion: API_VERSION,
    });
  }
  const status = callbackStatus(event);
  const messageId = (event.data as { messageId?: string }).messageId;
  const row = status && messageId ? ledger.byMessageId(messageId) : undefined;
  if (!status || !row?.meta.statusCallback) return undefined;
  const sid = sidOf(messageId!);
  return signedPost(api, row.meta.statusCallback, {
    MessageSid: sid, SmsSid: sid, AccountSid: c.accountSid, From: row.meta.from ?? c.phoneNumber ?? '', To: (event.data as { to: string }).to,
    MessageStatus: status.status, SmsStatus: status.status, ApiVersion: API_VERSION,
    ...(row.meta.messagingServiceSid ? { MessagingServiceSid: row.meta.messagingServiceSid } : {}),
    ...(status.errorCode ? { ErrorCode: String(status.errorCode) } : {}),
  });
}
