import * as v from 'valibot';
import { isErrorCode, RequestError, type ErrorCode } from '../../core/errors.ts';
import { plainIssue } from '../../core/issues.ts';
import { checkSend, messageChange } from '../../core/send.ts';
import type { SmsService } from '../../core/services.ts';

export type RequestKind = 'send' | 'ussd' | 'cancel' | 'change' | 'message' | 'read' | 'delete' | 'unpark';

export interface ResponseError {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** The answer to a request: `transaction` echoed when the request had one. */
export type Response =
  | { transaction?: string | number; agentId: string; status: 'ok'; data: unknown }
  | { transaction?: string | number; agentId: string; status: 'error'; error: ResponseError };

const transaction = v.union([v.pipe(v.string(), v.maxLength(128)), v.pipe(v.number(), v.finite())]);

// 22.030 6.5.2: digits, * and #; 182 characters at most (as the REST API's /ussd/send).
const ussdRequest = v.strictObject({
  transaction: v.optional(transaction),
  code: v.pipe(v.string('must be a USSD code such as *100#'), v.regex(/^[0-9*#+]{1,182}$/, 'not a USSD code (digits, * and #, e.g. *100#)')),
  modem: v.optional(v.pipe(v.string('must be a modem id'), v.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'not a modem id (letters, digits, _ . -, at most 32)'))),
  timeoutMs: v.optional(v.pipe(v.number('must be a number of milliseconds'), v.integer('must be a whole number of milliseconds'), v.minValue(1000, 'must be at least 1000'), v.maxValue(180_000, 'must be at most 180000'))),
});

/** Cancels a queued or scheduled message, as DELETE /sms/messages/:id does. */
const cancelRequest = v.strictObject({
  transaction: v.optional(transaction),
  id: v.pipe(v.string('must be a message id'), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a message id')),
});

/** Changes the text or the time of a message still queued, as PATCH /sms/messages/:id `{ text?, sendAt? }`. */
const changeRequest = v.pipe(
  v.strictObject({
    transaction: v.optional(transaction),
    id: cancelRequest.entries.id,
    text: messageChange.entries.text,
    sendAt: messageChange.entries.sendAt,
  }),
  v.check((b) => b.text !== undefined || b.sendAt !== undefined, 'must change text or sendAt'),
);

/** Marks a received message read (or unread with `read: false`), as PATCH /sms/messages/:id `{ read }`. */
const readRequest = v.strictObject({
  transaction: v.optional(transaction),
  id: cancelRequest.entries.id,
  read: v.optional(v.boolean('must be true or false'), true),
});

/** Puts a parked modem back to sending, as POST /modems/:id/unpark. */
const unparkRequest = v.strictObject({
  transaction: v.optional(transaction),
  modem: v.pipe(v.string('must be a modem id'), v.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'not a modem id (letters, digits, _ . -, at most 32)')),
});

export const requestKinds: readonly RequestKind[] = ['send', 'ussd', 'cancel', 'change', 'message', 'read', 'delete', 'unpark'];

export function isRequestKind(kind: string): kind is RequestKind {
  return (requestKinds as readonly string[]).includes(kind);
}

class BadRequest extends RequestError {
  constructor(code: ErrorCode, message: string, field?: string) {
    super(code, message, field === undefined ? {} : { field });
  }
}

/** The request's `transaction`, if it has a usable one: echoed even when the rest is invalid. */
export function transactionOf(body: unknown): string | number | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const t = (body as { transaction?: unknown }).transaction;
  return v.is(transaction, t) ? t : undefined;
}

function parse<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const { field, message } = plainIssue(result.issues);
  throw new BadRequest('invalid_request', message, field);
}

/** What went wrong, in the shared vocabulary; a code outside it (or none) is the agent's bug. */
function toError(error: unknown): ResponseError {
  const e = error as { code?: unknown; message?: unknown; field?: unknown };
  const known = isErrorCode(e?.code);
  const out: ResponseError = {
    code: known ? (e.code as ErrorCode) : 'internal',
    message: known && typeof e?.message === 'string' ? e.message : 'internal error (logged by the agent)',
  };
  if (typeof e?.field === 'string') out.field = e.field;
  return out;
}

export interface RequestContext {
  agentId: string;
  sms: SmsService | undefined;
}

/**
 * Answers one request from its raw payload. Never throws: malformed JSON, invalid fields, a missing
 * SMS service and the service's own errors all become `{ status: "error", error: { code, message } }`.
 *
 * @example
 * await answer('send', Buffer.from('{"transaction":1,"to":"+15550100100","text":"hi"}'), { agentId, sms })
 * // → { transaction: 1, agentId, status: 'ok', data: { id: '...', status: 'queued', ... } }
 */
export async function answer(kind: string, payload: Buffer | string, ctx: RequestContext): Promise<Response> {
  if (kind === 'send') return answerSend(payload, ctx);
  let tx: string | number | undefined;
  try {
    const body = parseBody(payload);
    tx = transactionOf(body);
    if (!isRequestKind(kind)) throw new BadRequest('unknown_request', `unknown request "${kind}" (known: ${requestKinds.join(', ')})`);
    if (kind === 'cancel') {
      const { id } = parse(cancelRequest, body);
      if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
      return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: ctx.sms.cancel(id) });
    }
    if (kind === 'change') {
      const { id, text, sendAt } = parse(changeRequest, body);
      if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
      return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: ctx.sms.change(id, { ...(text !== undefined ? { text } : {}), ...(sendAt !== undefined ? { sendAt } : {}) }) });
    }
    if (kind === 'message' || kind === 'read' || kind === 'delete' || kind === 'unpark') return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: manage(kind, body, ctx.sms) });
    const { code, modem, timeoutMs } = parse(ussdRequest, body);
    if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    const result = await ctx.sms.ussd(code, { modem, timeoutMs });
    return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: result });
  } catch (error) {
    return withTx(tx, { agentId: ctx.agentId, status: 'error', error: toError(error) });
  }
}

/**
 * The requests that read or change what is stored: one message (with `held` while it waits), a
 * received message marked read or deleted (the event journal keeps its sms.received), a parked modem
 * put back to sending. The same service calls as the REST routes.
 */
function manage(kind: 'message' | 'read' | 'delete' | 'unpark', body: unknown, sms: SmsService | undefined): unknown {
  if (kind === 'unpark') {
    const { modem } = parse(unparkRequest, body);
    if (!sms?.unpark) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    return { modem, unparked: sms.unpark(modem) };
  }
  if (kind === 'read') {
    const { id, read } = parse(readRequest, body);
    if (!sms?.markRead) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    return sms.markRead(id, read);
  }
  const { id } = parse(cancelRequest, body);
  if (!sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
  if (kind === 'message') {
    const found = sms.getMessage(id);
    if (!found) throw new BadRequest('not_found', 'no such message', 'id');
    return found;
  }
  if (!sms.deleteReceived) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
  return sms.deleteReceived(id);
}

/**
 * Answers a send request synchronously (the sms service queues durably without waiting), so a
 * caller can run it in one store transaction with the record of its answer. Never throws.
 */
export function answerSend(payload: Buffer | string, ctx: RequestContext): Response {
  let tx: string | number | undefined;
  try {
    const body = parseBody(payload);
    tx = transactionOf(body);
    // The same validation as the REST API's and the sms service's (core/send.ts).
    const { transaction: _, ...request } = body as { transaction?: unknown };
    const valid = checkSend(request);
    if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: ctx.sms.send(valid) });
  } catch (error) {
    return withTx(tx, { agentId: ctx.agentId, status: 'error', error: toError(error) });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The request as a JSON object, or a BadRequest. Invalid UTF-8 is refused, not read as U+FFFD. */
function parseBody(payload: Buffer | string): object {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    throw new BadRequest('invalid_json', 'the request is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest('invalid_json', 'the request is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('invalid_request', 'the request must be a JSON object');
  return body;
}

function withTx(tx: string | number | undefined, response: Response): Response {
  return tx === undefined ? response : { transaction: tx, ...response };
}

/**
 * Whether an MQTT 5 Response Topic may be answered on: only under the agent's own response topics,
 * the folder of the request's default response topic (`<base>/<agent>/response/`, or
 * `<base>/fleet/response/` for the fleet). Anywhere else a client that may only write requests could
 * make the agent publish onto its own event and state topics or Home Assistant's config topics.
 *
 * @example responseTopicAllowed('smsedge/pi/response/me/42', 'smsedge/pi/response/send') // true
 */
export function responseTopicAllowed(requested: string, defaultTopic: string): boolean {
  const prefix = defaultTopic.slice(0, defaultTopic.lastIndexOf('/') + 1);
  return requested.length > prefix.length && requested.startsWith(prefix) && !/[+#\u0000]/.test(requested);
}

/**
 * The answer to a request whose Response Topic is refused (it is then not carried out), or undefined
 * when the request may go ahead. The refusal is published on the default topic, with the request's
 * transaction when it has one.
 */
export function responseTopicRefusal(requested: string | undefined, defaultTopic: string, payload: Buffer | string, agentId: string): Response | undefined {
  if (requested === undefined || responseTopicAllowed(requested, defaultTopic)) return undefined;
  let tx: string | number | undefined;
  try {
    tx = transactionOf(parseBody(payload));
  } catch {
    tx = undefined;
  }
  const prefix = defaultTopic.slice(0, defaultTopic.lastIndexOf('/') + 1);
  return withTx(tx, {
    agentId,
    status: 'error',
    error: { code: 'invalid_response_topic', field: 'responseTopic', message: `the response topic must start with ${prefix}; the request was not carried out` },
  });
}

/** A send request's callbackUrl, when it has one (undefined for anything unreadable: answered later). */
export function callbackUrlOf(payload: Buffer | string): string | undefined {
  try {
    const url = (parseBody(payload) as { callbackUrl?: unknown }).callbackUrl;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The error answer to a request refused before it was carried out, with its transaction. */
export function refusedAnswer(payload: Buffer | string, error: unknown, agentId: string): Response {
  let tx: string | number | undefined;
  try {
    tx = transactionOf(parseBody(payload));
  } catch {
    tx = undefined;
  }
  return withTx(tx, { agentId, status: 'error', error: toError(error) });
}
