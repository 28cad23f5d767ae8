import * as v from 'valibot';
import type { SmsService } from '../../core/services.ts';

export type RequestKind = 'send' | 'ussd';

export interface RequestError {
  code: string;
  message: string;
  field?: string;
}

/** The answer to a request: `transaction` echoed when the request had one. */
export type Response =
  | { transaction?: string | number; agentId: string; status: 'ok'; data: unknown }
  | { transaction?: string | number; agentId: string; status: 'error'; error: RequestError };

const transaction = v.union([v.pipe(v.string(), v.maxLength(128)), v.pipe(v.number(), v.finite())]);

/** JSON's `\ud800` escape yields a lone surrogate, which no SMS alphabet carries (it would go out as U+FFFD). */
const wellFormed = v.check((s: string) => s.isWellFormed(), 'ill-formed text (a lone UTF-16 surrogate)');

const sendRequest = v.object({
  transaction: v.optional(transaction),
  to: v.pipe(v.string(), v.minLength(1)),
  text: v.pipe(v.string(), wellFormed),
  encoding: v.optional(v.picklist(['auto', 'gsm7', 'ucs2'])),
  deliveryReport: v.optional(v.boolean()),
  validityMinutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  modem: v.optional(v.string()),
  clientRef: v.optional(v.pipe(v.string(), v.maxLength(40), wellFormed)),
  callbackUrl: v.optional(v.pipe(v.string(), v.url())),
});

const ussdRequest = v.object({
  transaction: v.optional(transaction),
  code: v.pipe(v.string(), v.regex(/^[0-9*#+]{1,160}$/, 'a USSD code such as *100#')),
  modem: v.optional(v.string()),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(180_000))),
});

export const requestKinds: readonly RequestKind[] = ['send', 'ussd'];

export function isRequestKind(kind: string): kind is RequestKind {
  return (requestKinds as readonly string[]).includes(kind);
}

class BadRequest extends Error {
  readonly code: string;
  readonly field?: string;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
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
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? undefined;
  throw new BadRequest('invalid_request', field ? `${field}: ${issue.message}` : issue.message, field);
}

function toError(error: unknown): RequestError {
  const e = error as { code?: unknown; message?: unknown; field?: unknown };
  const out: RequestError = {
    code: typeof e?.code === 'string' ? e.code : 'internal',
    message: typeof e?.message === 'string' ? e.message : String(error),
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
    const { code, modem, timeoutMs } = parse(ussdRequest, body);
    if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    const result = await ctx.sms.ussd(code, { modem, timeoutMs });
    return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: result });
  } catch (error) {
    return withTx(tx, { agentId: ctx.agentId, status: 'error', error: toError(error) });
  }
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
    const { transaction: _, ...request } = parse(sendRequest, body);
    if (!ctx.sms) throw new BadRequest('sms_unavailable', 'no modem plugin provides the sms service');
    return withTx(tx, { agentId: ctx.agentId, status: 'ok', data: ctx.sms.send(request) });
  } catch (error) {
    return withTx(tx, { agentId: ctx.agentId, status: 'error', error: toError(error) });
  }
}

/** The request as a JSON object, or a BadRequest. */
function parseBody(payload: Buffer | string): object {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString());
  } catch {
    throw new BadRequest('invalid_json', 'the request is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('invalid_request', 'the request must be a JSON object');
  return body;
}

function withTx(tx: string | number | undefined, response: Response): Response {
  return tx === undefined ? response : { transaction: tx, ...response };
}
