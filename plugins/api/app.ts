import { createHmac } from 'node:crypto';
import { assertBodySize, EventStream, getQuery, getRequestIP, getRouterParams, H3, HTTPResponse, removeRoute, type H3Event, type HTTPError } from 'h3';
import * as v from 'valibot';
import type { Clock } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import { presentedKey } from './auth.ts';
import type { AuditLog } from './audit.ts';
import { allows, KeyRing, scopeOf } from './keys.ts';
import { fromIngressProxy, type IngressOptions } from './ingress.ts';
import { checkRequestOrigin } from './origin.ts';
import { AuthThrottle } from './throttle.ts';
import { errorBody, toApiError, validationError } from './errors.ts';
import { Idempotency } from './idempotency.ts';
import { Registry } from './metrics.ts';
import { ApiError, SCOPES, type ApiService, type HttpMethod, type Principal, type RouteDef } from './service.ts';

export interface ApiAppOptions {
  log: Logger;
  clock: Clock;
  /** /metrics carries prom-client's default process metrics too (the plugin's app does; default false). */
  processMetrics?: boolean;
  /**
   * The single API key of older configs: an admin key named `default` when `keys` is not given, and
   * the key `keyHmac` signs with. Without it and without `keys`, the API is open (loopback only).
   */
  apiKey?: string;
  /** Every key the API accepts, with its scopes and rate limit (default: from `apiKey`). */
  keys?: KeyRing;
  /** Where calls that change something are recorded (GET /audit); without it nothing is. */
  audit?: AuditLog;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Where Idempotency-Key answers are kept; without it the header is refused. */
  idempotency?: Idempotency;
  /** Failed authentications per client address; default: 10 at once, then one per 5 s. */
  throttle?: AuthThrottle;
  /** Host names besides localhost/127.0.0.1/[::1] an API without a key answers to. */
  allowedHosts?: readonly string[];
  /** Add-on mode: requests from this proxy (Home Assistant's Ingress) are authenticated already. */
  ingress?: IngressOptions;
}

/** A route as registered, with what the OpenAPI document needs. */
export interface RegisteredRoute {
  def: RouteDef;
  /** The path as a regular expression, to tell 405 from 404. */
  pattern: RegExp;
}

export interface ApiApp extends ApiService {
  /** The h3 app: `app.request()` in tests, `toNodeHandler(app)` for the server. */
  readonly app: H3;
  routes(): RegisteredRoute[];
  /** The keys the API accepts (GET/POST/DELETE /keys manage them). */
  keys(): KeyRing;
  /** Closes every open event stream (on stop, so the server can close). */
  closeStreams(): Promise<void>;
  /** Set by the server once it listens. */
  setUrls(urls: string[]): void;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the API's h3 app and the `api` service around it. Every route goes through one wrapper that
 * assigns a request id, checks the key, enforces the body limit and JSON content type, validates the
 * body and query against the route's valibot schemas, and turns what the handler threw into the
 * standard error body; anything unexpected is logged with the request id and answered 500.
 *
 * @example
 * const api = createApiApp({ log, clock, apiKey: 'k'.repeat(32), bodyLimit: 65536 });
 * api.route({ method: 'GET', path: '/ping', summary: 'Ping', handler: () => ({ ok: true }) });
 * await api.app.request('/ping', { headers: { 'x-api-key': 'k'.repeat(32) } });
 */
export function createApiApp(options: ApiAppOptions): ApiApp {
  const { log, apiKey, bodyLimit, audit } = options;
  const keys = options.keys ?? new KeyRing({ clock: options.clock, configured: apiKey === undefined ? [] : [{ name: 'default', key: apiKey, scopes: ['admin'] }] });
  const registered = new Map<string, RegisteredRoute>();
  const streams = new Set<EventStream>();
  const metrics = new Registry({ process: options.processMetrics ?? false });
  metrics.onCollectError = (name, error) => log.error({ err: error, metric: name }, 'metrics collector failed');
  const requests = metrics.counter('smsedge_http_requests_total', 'HTTP requests answered, by route and status', ['method', 'route', 'status']);
  // Per key, so a monitoring system sees which program is over its budget or asks for too much.
  const refusals = metrics.counter('smsedge_api_key_refusals_total', 'Requests with a valid key refused: insufficient_scope or rate_limited, by key', ['key', 'code']);
  let urls: string[] = [];

  const app = new H3({
    // We log unexpected errors ourselves, with the request id.
    silent: true,
    // Errors raised before a route runs (malformed URL, no route): answer in our format, with a
    // request id like every other answer, so a client can quote it.
    onError(error: HTTPError, event: H3Event) {
      const requestId = event.res.headers.get('x-request-id') ?? newId();
      event.res.headers.set('x-request-id', requestId);
      const status = error.status >= 400 && error.status < 500 ? error.status : 500;
      if (status === 500) log.error({ err: error.cause ?? error, requestId, path: safePath(event) }, 'unexpected error outside a route');
      const code = status === 413 ? 'payload_too_large' : status === 500 ? 'internal' : 'bad_request';
      return jsonResponse(status, errorBody(code, status === 500 ? 'internal error' : error.message, undefined, requestId), event);
    },
  });

  // Unknown paths and wrong methods. Registered first; rou3 prefers any more specific route.
  app.all('/**', (event) => {
    const path = event.url.pathname;
    const allowed = [...registered.values()].filter((r) => r.pattern.test(path)).map((r) => r.def.method);
    const requestId = newId();
    event.res.headers.set('x-request-id', requestId);
    if (allowed.length) {
      event.res.headers.set('allow', [...new Set(allowed)].join(', '));
      return jsonResponse(405, errorBody('method_not_allowed', `${event.req.method} is not allowed here; use ${allowed.join(' or ')}`, undefined, requestId), event);
    }
    return jsonResponse(404, errorBody('not_found', 'no such route', undefined, requestId), event);
  });

  const throttle = options.throttle ?? new AuthThrottle({ clock: options.clock });

  /**
   * Who presents the request: the key's name and scopes, or undefined without a valid key. On an API
   * without keys everyone on loopback is `{ key: null }` with every scope. A wrong key costs its
   * address a try; an address out of tries is answered 429 on routes that need a key, and counts as
   * keyless on the others, until its wait is over: its keys are not even compared meanwhile.
   */
  function authenticate(event: H3Event, def: RouteDef, body: unknown): Principal | undefined {
    if (!keys.required) return OPEN;
    if (fromIngressProxy(event.req.ip, options.ingress)) return INGRESS;
    const required = def.auth !== false;
    const presented = def.credential ? def.credential(event, body) : presentedKey(event.req.headers);
    if (presented === undefined) return undefined;
    const address = getRequestIP(event) ?? 'in-process';
    const waitMs = throttle.waitMs(address);
    if (waitMs > 0) {
      if (!required) return undefined;
      event.res.headers.set('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new ApiError(429, 'too_many_failed_authentications', `too many wrong API keys from this address; try again in ${Math.ceil(waitMs / 1000)} s`);
    }
    const principal = keys.verify(presented);
    if (principal) return principal;
    if (throttle.fail(address)) log.warn({ client: address }, 'too many wrong API keys from one address: throttled');
    return undefined;
  }

  /** 403 when the key lacks the route's scope, 429 when it is over its rate limit. */
  function admit(event: H3Event, def: RouteDef, principal: Principal): void {
    const needed = scopeOf(def);
    if (!allows(principal.scopes, needed)) {
      if (principal.key !== null) refusals.inc({ key: principal.key, code: 'insufficient_scope' });
      throw new ApiError(403, 'insufficient_scope', `the key "${principal.key}" may not do this: the route needs the ${needed} scope (the key has ${principal.scopes.join(', ') || 'none'})`);
    }
    if (principal.key === null) return;
    const waitMs = keys.take(principal.key);
    if (waitMs > 0) {
      refusals.inc({ key: principal.key, code: 'rate_limited' });
      event.res.headers.set('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new ApiError(429, 'rate_limited', `the key "${principal.key}" is over its rate limit; try again in ${Math.ceil(waitMs / 1000)} s`);
    }
  }

  /** Writes the audit row of a call; a failing store is logged, never the caller's problem. */
  function writeAudit(event: H3Event, def: RouteDef, principal: Principal, status: number, code: string | undefined, target: string | undefined, requestId: string): void {
    try {
      audit!.record({ key: principal.key ?? principal.via ?? null, method: def.method, route: def.path, target, status, code, client: getRequestIP(event), requestId });
    } catch (error) {
      log.error({ err: error, requestId, route: def.path }, 'could not write the audit log');
    }
  }

  async function readText(event: H3Event): Promise<string> {
    const length = event.req.headers.get('content-length');
    if (length !== null && !(Number(length) <= bodyLimit)) throw tooLarge();
    if (!event.req.body) return '';
    let bytes: Uint8Array;
    try {
      // Limits chunked bodies too: the stream is cut once it passes the limit.
      assertBodySize(event, bodyLimit);
      bytes = new Uint8Array(await event.req.arrayBuffer());
    } catch (error) {
      if ((error as HTTPError)?.status === 413) throw tooLarge();
      throw new ApiError(400, 'invalid_body', 'the request body could not be read');
    }
    // Bytes that are not UTF-8 would be read as U+FFFD and sent to a phone as such: refuse them.
    try {
      return utf8.decode(bytes);
    } catch {
      throw new ApiError(400, 'invalid_body', 'the body is not valid UTF-8 (send it in UTF-8)');
    }
  }

  /** An application/x-www-form-urlencoded body as an object of strings (a repeated field: an array). */
  async function readFormBody(event: H3Event, def: RouteDef): Promise<unknown> {
    const type = event.req.headers.get('content-type');
    if (type !== null && !FORM_TYPE.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send the body as application/x-www-form-urlencoded', 'Content-Type');
    const fields: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(await readText(event))) {
      const had = fields[name];
      fields[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    const parsed = v.safeParse(def.body!, fields);
    if (!parsed.success) throw validationError(parsed.issues, 'body');
    return parsed.output;
  }

  async function readJsonBody(event: H3Event, def: RouteDef): Promise<unknown> {
    const type = event.req.headers.get('content-type');
    const length = event.req.headers.get('content-length');
    if (length !== null && !(Number(length) <= bodyLimit)) throw tooLarge();
    if (type !== null && !JSON_TYPE.test(type)) throw notJson();
    const text = await readText(event);
    let body: unknown;
    if (text.trim()) {
      if (type === null) throw notJson();
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
      }
    }
    // valibot's object schemas accept arrays (they are objects); a JSON array is never what we mean.
    if (Array.isArray(body) && expectsObject(def.body!)) throw new ApiError(400, 'invalid_request', 'the body must be a JSON object');
    const parsed = v.safeParse(def.body!, body);
    if (!parsed.success) {
      if (body === undefined) throw new ApiError(400, 'invalid_json', 'a JSON body is required');
      throw validationError(parsed.issues, 'body');
    }
    return parsed.output;
  }

  const tooLarge = () => new ApiError(413, 'payload_too_large', `the body may be at most ${bodyLimit} bytes`);
  const notJson = () => new ApiError(415, 'unsupported_media_type', 'send the body as application/json', 'Content-Type');

  function wrap(route: RegisteredRoute) {
    return async (event: H3Event) => {
      const def = route.def;
      const requestId = newId();
      const started = options.clock.now();
      event.res.headers.set('x-request-id', requestId);
      let status = 500;
      let code: string | undefined;
      let principal: Principal | undefined;
      let target: string | undefined;
      try {
        checkRequestOrigin(event.req.method, event.req.headers, { keyConfigured: keys.required, allowedHosts: options.allowedHosts });
        const read = def.bodyType === 'form' ? readFormBody : def.bodyType === 'raw' ? readText : readJsonBody;
        const readBody = () => (def.body && METHODS_WITH_BODY.has(event.req.method) ? read(event, def) : undefined);
        // A route whose key may be in its body (Kannel's POST) reads the body first.
        let body = def.credential ? await readBody() : undefined;
        principal = authenticate(event, def, body);
        if (def.auth !== false && !principal) {
          if (!def.credential) event.res.headers.set('www-authenticate', 'Bearer');
          throw new ApiError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)');
        }
        // An open route (GET /health) needs no scope, but a key it is called with still spends its budget.
        if (principal) admit(event, def.auth === false ? { ...def, scope: 'any' } : def, principal);
        const apiKeyValid = principal !== undefined;
        if (!def.credential) body = await readBody();
        let query: unknown = getQuery(event);
        if (def.query) {
          const parsed = v.safeParse(def.query, query);
          if (!parsed.success) throw validationError(parsed.issues, 'query');
          query = parsed.output;
        }
        const params = getRouterParams(event, { decode: true }) as Record<string, string>;
        const request = { event, body, query, params, requestId, apiKeyValid, ...(principal ? { principal } : {}) };
        const handle = async () => {
          const result = await def.handler(request);
          target = def.auditTarget ? def.auditTarget(request, result) : (params.id ?? idOf(result));
          return result;
        };
        const okStatus = def.status ?? 200;
        const key = event.req.headers.get('idempotency-key');
        let result: unknown;
        if (key !== null && def.idempotent) {
          if (!options.idempotency) throw new ApiError(400, 'idempotency_unavailable', 'Idempotency-Key is not supported here', 'Idempotency-Key');
          const done = await options.idempotency.run(Idempotency.check(key), `${def.method} ${def.path}`, body, handle, okStatus);
          if (done.replayed) event.res.headers.set('idempotent-replayed', 'true');
          status = done.answer.status;
          result = done.answer.body;
        } else {
          result = await handle();
          status = okStatus;
        }
        if (result instanceof Response) {
          status = result.status;
          return result;
        }
        if (result instanceof HTTPResponse) {
          status = result.status ?? 200;
          return result;
        }
        if (result === undefined) {
          status = status === 200 ? 204 : status;
          event.res.status = status;
          return null;
        }
        return jsonResponse(status, result, event);
      } catch (error) {
        const known = toApiError(error);
        if (known) {
          status = known.status;
          code = known.code;
          if (def.errorAnswer) return withHeaders(def.errorAnswer(known, requestId), event);
          return jsonResponse(known.status, errorBody(known.code, known.message, known.field, requestId), event);
        }
        status = 500;
        code = 'internal';
        log.error({ err: error, requestId, method: event.req.method, route: def.path }, 'request failed (bug)');
        const internal = new ApiError(500, 'internal', `internal error; quote request id ${requestId}`);
        if (def.errorAnswer) return withHeaders(def.errorAnswer(internal, requestId), event);
        return jsonResponse(500, errorBody(internal.code, internal.message, undefined, requestId), event);
      } finally {
        requests.inc({ method: def.method, route: def.path, status: String(status) });
        if (audit && principal && def.auth !== false && (code === 'insufficient_scope' || (auditsCalls(def) && allows(principal.scopes, scopeOf(def)) && code !== 'rate_limited')))
          writeAudit(event, def, principal, status, code, target ?? routeParams(event).id, requestId);
        log.debug({ requestId, method: def.method, route: def.path, status, ms: options.clock.now() - started }, 'request');
      }
    };
  }

  const api: ApiApp = {
    app,
    metrics,
    route(def) {
      const id = `${def.method} ${def.path}`;
      if (registered.has(id)) throw new Error(`route ${id} is already registered`);
      if (!def.path.startsWith('/')) throw new Error(`route path must start with "/": ${def.path}`);
      const entry: RegisteredRoute = { def: def as RegisteredRoute['def'], pattern: pathPattern(def.path) };
      registered.set(id, entry);
      app.on(def.method as HttpMethod, def.path, wrap(entry));
      return () => {
        if (registered.get(id) !== entry) return;
        registered.delete(id);
        removeRoute(app, def.method, def.path);
      };
    },
    sse(event, sseOptions = {}) {
      const stream = new EventStream(event);
      streams.add(stream);
      stream.onClosed(() => {
        streams.delete(stream);
        sseOptions.onClose?.();
      });
      return stream;
    },
    urls: () => [...urls],
    keys: () => keys,
    keyHmac: (algorithm, data) => (apiKey === undefined ? undefined : createHmac(algorithm, apiKey).update(data, 'utf8').digest()),
    setUrls(list) {
      urls = [...list];
    },
    routes: () => [...registered.values()],
    async closeStreams() {
      await Promise.all([...streams].map((s) => s.close().catch(() => {})));
    },
  };
  return api;
}

/** Everyone on an API without keys (loopback only). */
const OPEN: Principal = { key: null, scopes: SCOPES };

/** Home Assistant's Ingress proxy in add-on mode: Home Assistant signed its user in. */
const INGRESS: Principal = { key: null, scopes: SCOPES, via: 'ingress' };

/** Whether calls of a route are audited: its own say, else every call that is not a GET. */
function auditsCalls(def: RouteDef): boolean {
  return def.audit ?? def.method !== 'GET';
}

/** The router's path parameters, or none when routing failed. */
function routeParams(event: H3Event): Record<string, string> {
  try {
    return (getRouterParams(event, { decode: true }) ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}

/** The id an answer names: its `id`, the ids of a list of created things, or a nested `{ webhook: { id } }`. */
function idOf(result: unknown): string | undefined {
  if (Array.isArray(result)) {
    const ids = result.map(idOf).filter((i): i is string => i !== undefined);
    return ids.length ? ids.join(',') : undefined;
  }
  if (!result || typeof result !== 'object' || result instanceof Response) return undefined;
  const r = result as { id?: unknown; name?: unknown; webhook?: { id?: unknown } };
  if (typeof r.id === 'string') return r.id;
  if (typeof r.webhook?.id === 'string') return r.webhook.id;
  return undefined;
}

/** The path for a log line; a request whose URL h3 could not parse has none to give. */
function safePath(event: H3Event): string | undefined {
  try {
    return event.url.pathname;
  } catch {
    return undefined;
  }
}

/** A route's own answer, with the headers already set on the event (request id, Allow) added. */
function withHeaders(response: Response, event: H3Event): Response {
  for (const [name, value] of event.res.headers) if (!response.headers.has(name)) response.headers.set(name, value);
  return response;
}

function jsonResponse(status: number, body: unknown, event?: H3Event): Response {
  const headers = new Headers(event?.res.headers);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('cache-control', 'no-store');
  headers.set('x-content-type-options', 'nosniff');
  return new Response(JSON.stringify(body), { status, headers });
}

function expectsObject(schema: v.GenericSchema): boolean {
  const s = schema as { type: string; wrapped?: v.GenericSchema };
  if (s.type === 'optional' || s.type === 'nullable' || s.type === 'nullish') return s.wrapped ? expectsObject(s.wrapped) : false;
  return s.type === 'object' || s.type === 'strict_object' || s.type === 'loose_object' || s.type === 'object_with_rest';
}

/** `/sms/messages/:id` → /^\/sms\/messages\/[^/]+\/?$/ */
export function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '**' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}
