import * as v from 'valibot';
import type { H3Event } from 'h3';
import type { Message, SmsService } from '../../core/services.ts';
import { toApiError } from '../api/errors.ts';
import { ApiError, type RouteDef } from '../api/service.ts';
import { basicPassword, basicUser } from '../doors/credentials.ts';
import type { Ledger } from '../doors/ledger.ts';
import { doorSend, type DoorSendDeps } from '../doors/send.ts';
import { checkUrl } from '../webhook/url.ts';
import { API_VERSION, idOf, messageResource, sidOf, type ResourceContext } from './resource.ts';

export interface TwilioMeta {
  from: string | null;
  messagingServiceSid: string | null;
  statusCallback: string | null;
}

/** An error with Twilio's own code (`{ code, message, more_info, status }`). */
export class TwilioError extends ApiError {
  override name = 'TwilioError';
  readonly twilioCode: number;
  constructor(status: number, twilioCode: number, message: string, field?: string) {
    super(status, 'invalid_request', message, field);
    this.twilioCode = twilioCode;
  }
}

/** Twilio's codes for what the server refuses before or around a route (auth, size, throttling, outages). */
const codeByStatus: Record<number, number> = { 401: 20003, 403: 20003, 404: 20404, 405: 20004, 413: 21617, 415: 20001, 429: 20429, 503: 20503 };

export function twilioError(error: ApiError): Response {
  const code = error instanceof TwilioError ? error.twilioCode : (codeByStatus[error.status] ?? (error.status >= 500 ? 20500 : 21000));
  const message = error.status === 401 ? 'Authenticate' : error.message;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (error.status === 401) headers['www-authenticate'] = 'Basic realm="Twilio API"';
  return new Response(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: error.status }), { status: error.status, headers });
}

const field = v.optional(v.string());
const createBody = v.looseObject({
  To: field,
  From: field,
  MessagingServiceSid: field,
  Body: field,
  StatusCallback: field,
  ValidityPeriod: field,
});

const listQuery = v.looseObject({
  PageSize: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'a number'), v.transform(Number), v.minValue(1), v.maxValue(1000)), '50'),
  Page: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}$/, 'a number'), v.transform(Number)), '0'),
  PageToken: v.optional(v.pipe(v.string(), v.regex(/^PA[0-9a-f-]{36}$/, 'a page token'))),
});

export interface TwilioDeps extends DoorSendDeps<TwilioMeta> {
  ledger: Ledger<TwilioMeta>;
  sms: () => SmsService | undefined;
  resource: ResourceContext;
}

/** Twilio's Messages API (2010-04-01) under the configured account SID. */
export function twilioRoutes(d: TwilioDeps): RouteDef[] {
  const { accountSid } = d.resource;
  const base = `/${API_VERSION}/Accounts/:sid`;
  const credential = (event: H3Event) => (basicUser(event) === accountSid ? basicPassword(event) : undefined);
  const door = { credential, errorAnswer: twilioError, tags: ['twilio'] } satisfies Partial<RouteDef>;
  const sms = () => {
    const service = d.sms();
    if (!service) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
    return service;
  };
  const account = (sid: string | undefined) => {
    if (sid !== accountSid) throw new TwilioError(404, 20404, `The requested resource /${API_VERSION}/Accounts/${sid} was not found`);
  };
  const resource = (m: Message) => {
    const meta = m.direction === 'outbound' ? d.ledger.byMessageId(m.id)?.meta : undefined;
    return messageResource(m, d.resource, meta ?? {});
  };

  return [
    {
      ...door, scope: 'send', method: 'POST', path: `${base}/Messages.json`, summary: 'Twilio: send a message', bodyType: 'form', body: createBody, status: 201,
      responses: { 201: { description: 'The Message resource, status queued' } },
      handler: ({ params, body }: { params: Record<string, string>; body: v.InferOutput<typeof createBody> }) => {
        account(params.sid);
        if (!body.To) throw new TwilioError(400, 21604, "A 'To' phone number is required.", 'To');
        if (!body.From && !body.MessagingServiceSid) throw new TwilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.", 'From');
        if (!body.Body) throw new TwilioError(400, 21602, 'Message body is required.', 'Body');
        if (body.StatusCallback) {
          try {
            checkUrl(body.StatusCallback, undefined, 'StatusCallback');
          } catch {
            throw new TwilioError(400, 21609, 'Invalid StatusCallback URL', 'StatusCallback');
          }
        }
        let ttlSeconds: number | undefined;
        if (body.ValidityPeriod !== undefined) {
          ttlSeconds = Number(body.ValidityPeriod);
          // Twilio's range: 1 to 36000 seconds (previously 14400).
          if (!/^\d{1,5}$/.test(body.ValidityPeriod) || ttlSeconds < 1 || ttlSeconds > 36_000)
            throw new TwilioError(400, 21000, 'ValidityPeriod must be between 1 and 36000 seconds', 'ValidityPeriod');
        }
        // An unencoded `+` in a form body arrives as a space (`curl -d To=+1555...`): that space can only
        // have been the `+`. Nothing else is guessed: the agent sends only to the digits it was given.
        const to = body.To.replace(/^ (?=[1-9]\d)/, '+');
        let accepted;
        try {
          accepted = doorSend(
            d,
            { to, text: body.Body, deliveryReport: true, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) },
            (list) => list.map((a) => ({
              messageId: a.id,
              doorId: sidOf(a.id),
              meta: { from: body.From ?? null, messagingServiceSid: body.MessagingServiceSid ?? null, statusCallback: body.StatusCallback ?? null },
            })),
          );
        } catch (error) {
          const known = toApiError(error);
          if (known?.field === 'to') throw new TwilioError(400, 21211, `Invalid 'To' Phone Number: ${body.To}`, 'To');
          if (known?.field === 'text') throw new TwilioError(400, 21617, `The message body cannot be sent: ${known.message}`, 'Body');
          throw error;
        }
        return resource(sms().getMessage(accepted[0]!.id)!);
      },
    },
    {
      ...door, scope: 'read', method: 'GET', path: `${base}/Messages.json`, summary: 'Twilio: list messages, newest first', query: listQuery,
      responses: { 200: { description: 'A page of Message resources, paged as Twilio pages' } },
      handler: ({ params, query }: { params: Record<string, string>; query: v.InferOutput<typeof listQuery> }) => {
        account(params.sid);
        const service = sms();
        const before = query.PageToken?.slice(2);
        // Sent and received messages, merged newest first: ids are time-ordered UUIDv7 in both tables.
        const both = [
          ...service.listMessages({ direction: 'outbound', limit: query.PageSize, ...(before ? { before } : {}) }),
          ...service.listMessages({ direction: 'inbound', limit: query.PageSize, ...(before ? { before } : {}) }),
        ].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, query.PageSize);
        const path = `/${API_VERSION}/Accounts/${accountSid}/Messages.json`;
        const last = both[both.length - 1];
        const start = query.Page * query.PageSize;
        return {
          messages: both.map(resource),
          first_page_uri: `${path}?PageSize=${query.PageSize}&Page=0`,
          next_page_uri: both.length === query.PageSize && last ? `${path}?PageSize=${query.PageSize}&Page=${query.Page + 1}&PageToken=PA${last.id}` : null,
          previous_page_uri: null,
          page: query.Page,
          page_size: query.PageSize,
          start,
          end: start + Math.max(0, both.length - 1),
          uri: `${path}?PageSize=${query.PageSize}&Page=${query.Page}${query.PageToken ? `&PageToken=${query.PageToken}` : ''}`,
        };
      },
    },
    {
      ...door, scope: 'read', method: 'GET', path: `${base}/Messages/:file`, summary: 'Twilio: one message',
      responses: { 200: { description: 'The Message resource' }, 404: { description: 'No such message' } },
      handler: ({ params }) => {
        account(params.sid);
        const sid = params.file!.replace(/\.json$/, '');
        const id = idOf(sid);
        const found = id ? sms().getMessage(id) : undefined;
        if (!found) throw new TwilioError(404, 20404, `The requested resource ${`/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`} was not found`);
        return resource(found);
      },
    },
  ];
}
