/**
 * The `api` service: how other plugins (webhook, simulator, a later UI) add routes and metrics to the
 * HTTP server the API plugin owns. Types and the error class only; the implementation is in app.ts.
 *
 * @example
 * // in another plugin's setup(ctx), with `after: ['api']` or `dependsOn: ['api']`
 * const api = ctx.use('api');
 * api.route({
 *   method: 'GET', path: '/webhooks/:id', summary: 'One webhook subscription', tags: ['webhooks'],
 *   handler: ({ params }) => {
 *     const hook = hooks.get(params.id);
 *     if (!hook) throw new ApiError(404, 'not_found', 'no such webhook', 'id');
 *     return hook;
 *   },
 * });
 * api.metrics.counter('smsedge_webhook_attempts_total', 'Webhook delivery attempts', ['outcome']).inc({ outcome: 'ok' });
 */
import type { EventStream, H3Event } from 'h3';
import type { GenericSchema } from 'valibot';
import type { ErrorCode } from '../../core/errors.ts';

/**
 * Thrown by a route handler (or a service it calls) to answer a 4xx with the standard body
 * `{ error: { code, message, field } }`. Anything else thrown is a bug: 500 with a request id.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** Machine-readable, from the one table of codes (core/errors.ts, docs/errors.md). */
  readonly code: ErrorCode;
  /** The request field at fault, as a dotted path (`to`, `to.1`, `text`). */
  readonly field?: string;
  constructor(status: number, code: ErrorCode, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * What an API key may do. `read`: health details, metrics, lists; `send`: send, USSD (and the
 * balance), cancel and change queued messages, mark read and delete received ones; `admin`: webhooks,
 * keys, modems (doctor, unpark), the opt-out list, the audit log, and everything else (admin implies
 * read and send).
 */
export type Scope = 'read' | 'send' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'send', 'admin'];

/**
 * Who made a request: the key's name and scopes; `key: null` for a caller that needs no key (an API
 * without keys, on loopback; Home Assistant's Ingress proxy in add-on mode, `via: 'ingress'`).
 */
export interface Principal {
  key: string | null;
  scopes: readonly Scope[];
  via?: 'ingress';
}

/** What a route handler receives: the body and query already validated by the route's schemas. */
export interface RouteRequest<B = any, Q = any> {
  event: H3Event;
  /** The parsed, validated JSON body (undefined when the route has no body schema). */
  body: B;
  /** The validated query (the raw query object when the route has no query schema). */
  query: Q;
  /** Path parameters, already URL-decoded. */
  params: Record<string, string>;
  /** Also sent as the `X-Request-Id` header; quote it when logging. */
  requestId: string;
  /** Whether the request carried a valid key (always true on `auth: true` routes; true on an API without keys). */
  apiKeyValid: boolean;
  /** The key's name and scopes when it carried a valid one (or the API has no keys). */
  principal?: Principal;
}

export interface RouteDef<B = any, Q = any> {
  method: HttpMethod;
  /** h3 style: `/webhooks/:id`. Paths are part of the public contract. */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  description?: string;
  tags?: string[];
  /** Default true: the route needs the API key (401 otherwise). */
  auth?: boolean;
  /**
   * The scope a key needs for this route (403 insufficient_scope otherwise); `any` takes any valid key.
   * Default: `read` for GET, `admin` for anything else. Ignored on `auth: false` routes.
   */
  scope?: Scope | 'any';
  /**
   * Whether a call is written to the audit log. Default: calls that change something (not GET) by a
   * key with the route's scope; refusals for a missing scope always are. Kannel's GET sendsms says true.
   */
  audit?: boolean;
  /** The id the audit log records for a call (default: the `:id` path parameter, else the answer's `id`). */
  auditTarget?(req: RouteRequest<B, Q>, result: unknown): string | undefined;
  /** valibot schema of the JSON body; a failure answers 400 naming the field. */
  body?: GenericSchema<any, B>;
  /**
   * How the body arrives: `json` (default) or `form` (application/x-www-form-urlencoded, each field a
   * string; a repeated field becomes an array), for the other gateways' APIs (Twilio), or `raw` (the
   * body as text whatever its type, for a route that decodes it itself, e.g. Kannel's `charset`).
   */
  bodyType?: 'json' | 'form' | 'raw';
  /**
   * Where this route's caller presents the API key, for APIs with their own scheme (the key as HTTP
   * Basic password, as Kannel's `password` parameter). Default: `Authorization: Bearer` or `X-API-Key`.
   * A route with a credential has its body read (within the limit) before the key is checked, and
   * gets it here: Kannel's form-encoded POST carries the password in the body.
   */
  credential?(event: H3Event, body: unknown): string | undefined;
  /**
   * Renders every error answer of this route (401, 400, 413, 415, 5xx) in another API's own shape
   * (Twilio's `{ code, message, status }`, Kannel's `Status: text` line). Default: `{ error: { code, message, field } }`.
   */
  errorAnswer?(error: ApiError, requestId: string): Response;
  /** valibot schema of the query (values arrive as strings: use v.pipe(v.string(), v.toNumber()) etc.). */
  query?: GenericSchema<any, Q>;
  /** Documented answers; the error answers (400/401/413/415/500) are added for you. */
  responses?: Record<number, { description: string; schema?: GenericSchema; contentType?: string; alternatives?: string[] }>;
  /**
   * Honour an `Idempotency-Key` header: a repeat within 24 h gets the first answer again without
   * running the handler. For routes that create something (POST /sms/send).
   */
  idempotent?: boolean;
  /** HTTP status of a successful answer. Default 200 (201/202 for creating routes: say so). */
  status?: number;
  /**
   * Answers the request. A returned value is sent as JSON with `status`; return a `Response` (or an
   * h3 `EventStream`) for anything else. Throw `ApiError` for 4xx answers.
   */
  handler(req: RouteRequest<B, Q>): unknown | Promise<unknown>;
}

export interface Counter {
  /** Adds `by` (default 1) to the series with these label values. */
  inc(labels?: Record<string, string>, by?: number): void;
  /**
   * The series with these label values, looked up once: for a caller that counts the same few series
   * many times a second (a webhook backlog draining), `inc` without building and checking labels.
   */
  labels(labels: Record<string, string>): { inc(by?: number): void };
}

export interface Gauge {
  set(value: number, labels?: Record<string, string>): void;
}

/** One sample a collector reports at scrape time. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** For a summary: `_sum` or `_count` after the family's name (its quantiles have none). */
  suffix?: '_sum' | '_count';
}

/**
 * A small Prometheus registry. Names follow Prometheus conventions (`smsedge_<what>_<unit>`,
 * counters end in `_total`); registering a name twice with the same type returns the same metric.
 */
export interface Metrics {
  counter(name: string, help: string, labelNames?: string[]): Counter;
  gauge(name: string, help: string, labelNames?: string[]): Gauge;
  /**
   * A series computed when /metrics is scraped (a count kept elsewhere, a queue depth; a summary's
   * `quantile`-labelled samples with its `_sum` and `_count`). Returns an unregister function.
   */
  collect(name: string, help: string, type: 'gauge' | 'counter' | 'summary', collector: () => Sample[] | number | Promise<Sample[] | number>): () => void;
  /** The text exposition format (version 0.0.4). */
  render(): Promise<string>;
}

export interface ApiService {
  /** Adds a route; works before and after the server started. Returns a function that removes it. */
  route<B = any, Q = any>(def: RouteDef<B, Q>): () => void;
  /** Counters and gauges shown on GET /metrics. */
  metrics: Metrics;
  /**
   * Opens a server-sent-events stream on `event` (return the stream from the handler). Closed for
   * you when the API stops or the client goes away; `onClose` runs either way.
   */
  sse(event: H3Event, options?: { onClose?: () => void }): EventStream;
  /** The URLs the server listens on, once started (empty before). */
  urls(): string[];
  /**
   * An HMAC keyed with the API key, for doors that sign what they send with it (Twilio's
   * X-Twilio-Signature is keyed with the auth token, which is the API key); undefined when no key is
   * configured. The key itself never leaves the API plugin.
   */
  keyHmac(algorithm: 'sha1' | 'sha256', data: string): Buffer | undefined;
}

declare module '../../core/plugin.ts' {
  interface Services {
    api: ApiService;
  }
}
