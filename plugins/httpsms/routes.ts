import * as v from 'valibot';
import type { SmsService } from '../../core/services.ts';
import { toApiError } from '../api/errors.ts';
import { ApiError, type RouteDef } from '../api/service.ts';
import type { Ledger } from '../doors/ledger.ts';
import { doorSend, type DoorSendDeps } from '../doors/send.ts';
import { httpsmsMessage, type HttpsmsMeta } from './message.ts';

/** httpSMS's names for smsedge's send fields. */
const fieldNames: Record<string, string> = { to: 'to', text: 'content', clientRef: 'request_id' };

function envelope(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
}

/** Errors in httpSMS's envelope: 422 with `data: { field: [messages] }` for a field, 400 for a body it cannot read. */
export function httpsmsError(error: ApiError): Response {
  if (error.status === 401)
    return envelope(401, { status: 'error', message: 'You are not authorized to carry out this request.', data: 'Make sure your API key is set in the [X-API-Key] header in the request' });
  if (error.status >= 500) return envelope(error.status, { status: 'error', message: 'We ran into an internal error while handling the request.' });
  if (error.status === 400 && error.field !== undefined) {
    const name = fieldNames[error.field.split('.')[0]!] ?? error.field;
    return envelope(422, { status: 'error', message: 'validation errors while sending message', data: { [name]: [error.message] } });
  }
  if (error.status === 400 || error.status === 415 || error.status === 413) return envelope(error.status, { status: 'error', message: "The request isn't properly formed", data: error.message });
  return envelope(error.status, { status: 'error', message: error.message });
}

const sendBody = v.looseObject({
  from: v.pipe(v.string('The from field is required'), v.minLength(1, 'The from field is required')),
  to: v.pipe(v.string('The to field is required'), v.minLength(1, 'The to field is required')),
  content: v.string('The content field is required'),
  encrypted: v.optional(v.boolean()),
  request_id: v.optional(v.nullable(v.string())),
  send_at: v.optional(v.nullable(v.string())),
});

export interface HttpsmsDeps extends DoorSendDeps<HttpsmsMeta> {
  ledger: Ledger<HttpsmsMeta>;
  sms: () => SmsService | undefined;
  agentId: string;
  /** The SIM's own number, the `owner` of received messages; sends record the `from` they named. */
  phoneNumber: string | null;
}

/** httpSMS's send API: `POST /v1/messages/send`, `GET /v1/messages/:id`, the key in `x-api-key`. */
export function httpsmsRoutes(d: HttpsmsDeps): RouteDef[] {
  const door = { tags: ['httpsms'], errorAnswer: httpsmsError } satisfies Partial<RouteDef>;
  const sms = () => {
    const service = d.sms();
    if (!service) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
    return service;
  };
  return [
    {
      ...door, scope: 'send', method: 'POST', path: '/v1/messages/send', summary: 'httpSMS: send a message', body: sendBody,
      responses: { 200: { description: 'message added to queue' }, 422: { description: 'validation errors while sending message' } },
      handler: ({ body }: { body: v.InferOutput<typeof sendBody> }) => {
        if (body.encrypted) throw new ApiError(400, 'invalid_request', 'encrypted messages are not supported', 'encrypted');
        if (body.send_at) throw new ApiError(400, 'invalid_request', 'scheduled messages are not supported', 'send_at');
        if (d.phoneNumber && body.from !== d.phoneNumber) throw new ApiError(400, 'invalid_request', `messages are sent from ${d.phoneNumber}`, 'from');
        let accepted;
        try {
          accepted = doorSend(
            d,
            { to: body.to, text: body.content, deliveryReport: true, ...(body.request_id ? { clientRef: body.request_id } : {}) },
            (list) => list.map((a) => ({ messageId: a.id, doorId: a.id, meta: { owner: body.from } })),
          );
        } catch (error) {
          throw toApiError(error) ?? error;
        }
        const message = sms().getMessage(accepted[0]!.id)!;
        return envelope(200, { status: 'success', message: 'message added to queue', data: httpsmsMessage(message, { agentId: d.agentId, owner: body.from }) });
      },
    },
    {
      ...door, scope: 'read', method: 'GET', path: '/v1/messages/:id', summary: 'httpSMS: one message',
      responses: { 200: { description: 'The message' }, 404: { description: 'No such message' } },
      handler: ({ params }) => {
        const found = /^[0-9a-f-]{36}$/.test(params.id!) ? sms().getMessage(params.id!) : undefined;
        if (!found) throw new ApiError(404, 'not_found', `cannot find message with ID [${params.id}]`);
        const owner = found.direction === 'outbound' ? (d.ledger.byMessageId(found.id)?.meta.owner ?? d.phoneNumber ?? '') : (d.phoneNumber ?? '');
        return envelope(200, { status: 'success', message: 'fetched message', data: httpsmsMessage(found, { agentId: d.agentId, owner }) });
      },
    },
  ];
}
