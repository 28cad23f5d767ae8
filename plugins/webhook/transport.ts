// One HTTP POST of a delivery, and what its result means.
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import { isIP, type Socket } from 'node:net';
import { DestinationError, DestinationPolicy, filteredLookup, systemResolver, type Resolver } from './destination.ts';

export interface PostRequest {
  url: string;
  /** POST unless said otherwise (Kannel's dlr-url callbacks are GETs). */
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface PostResponse {
  /** The HTTP status; null only with `redirect`. */
  status: number | null;
  retryAfter: string | null;
  /** The receiver answered 301, 302, 303, 307 or 308 with a Location: not followed (its status is not kept). */
  redirect?: boolean;
}

/** Sends one request; rejects on network errors. Tests may pass their own (a DNS failure, say). */
export type Transport = (request: PostRequest) => Promise<PostResponse>;

/** The most of a receiver's answer body read; the rest is not waited for (the connection is dropped). */
export const MAX_ANSWER_BYTES = 4096;

export interface HttpTransportOptions {
  /** Where deliveries may connect (checked for every connection, after DNS). */
  policy?: DestinationPolicy;
  /** Resolves receiver names (tests pass a fake one). */
  resolver?: Resolver;
  /** The most of an answer body read. */
  maxAnswerBytes?: number;
}

export interface HttpTransport extends Transport {
  /** Closes the kept-alive connections (on stop). */
  close(): Promise<void>;
}

/**
 * The default transport: undici's request() over an Agent of our own, no redirects followed (request()
 * follows none), no retries (the schedule is ours).
 *
 * What a receiver can do to the agent is bounded: the answer body is never decompressed (we ask for
 * `identity`, and request() does not inflate whatever comes), at most `maxAnswerBytes` of it are read
 * and the connection is then dropped, so an endless or gzip-bomb answer costs a few KB. Nothing of the
 * body is kept: the delivery log records the status.
 *
 * Every connection is checked against the destination policy where it is made: the resolver's
 * answers are filtered before connecting (a name that resolves only to refused addresses fails with
 * DestinationError), an address literal is checked before connecting, and the peer's address after.
 *
 * @example
 * const transport = createHttpTransport({ policy: new DestinationPolicy() });
 * await transport({ url: 'http://192.168.1.20:1880/sms', headers: {}, body: '{}', signal });
 */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const policy = options.policy ?? new DestinationPolicy();
  const maxBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  const connector = buildConnector({ lookup: filteredLookup(policy, options.resolver ?? systemResolver) } as buildConnector.BuildOptions);
  const agent = new Agent({
    connect(opts, callback) {
      const literal = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal)) {
        const why = policy.refusal(literal);
        if (why !== undefined) return void callback(new DestinationError(literal, why), null);
      }
      connector(opts, (error, socket) => {
        if (error || !socket) return callback(error, null);
        // Belt and braces: the address actually connected to, whatever resolved it.
        const peer = (socket as Socket).remoteAddress;
        const why = peer === undefined ? undefined : policy.refusal(peer);
        if (why !== undefined) {
          socket.destroy();
          return callback(new DestinationError(peer!, why), null);
        }
        callback(null, socket);
      });
    },
  });
  const transport = (async ({ url, method = 'POST', headers, body, signal }: PostRequest): Promise<PostResponse> => {
    const response = await undiciRequest(url, {
      method,
      headers: { ...headers, 'accept-encoding': 'identity' },
      body,
      signal,
      dispatcher: agent,
    });
    await drain(response.body, maxBytes);
    const retryAfter = response.headers['retry-after'];
    return { status: response.statusCode, retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null };
  }) as HttpTransport;
  transport.close = () => agent.close();
  return transport;
}

/**
 * Reads at most `maxBytes` of a body and drops the rest: a body that ends within the limit leaves the
 * connection open for the next attempt; a longer one is destroyed, and the connection with it.
 */
async function drain(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, maxBytes: number): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of body) {
      read += chunk.length;
      if (read > maxBytes) break;
    }
  } catch {
    // A receiver that breaks off its answer after the status line has still answered.
  } finally {
    if (read > maxBytes) body.destroy();
  }
}

/** Error classes a delivery log shows. */
export type ErrorClass = 'destination' | 'timeout' | 'dns' | 'unreachable' | 'refused' | 'reset' | 'tls' | 'network' | 'http' | 'redirect' | 'circuit-open' | 'local';

const unreachableCodes = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

/** The first thing `pick` finds along an error's cause chain (and inside AggregateErrors). */
function fromCauses<T>(error: unknown, pick: (e: { code?: unknown; message?: unknown }) => T | undefined, depth = 0): T | undefined {
  if (!error || typeof error !== 'object' || depth > 6) return undefined;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
  const found = pick(e);
  if (found !== undefined) return found;
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const f = fromCauses(inner, pick, depth + 1);
    if (f !== undefined) return f;
  }
  return fromCauses(e.cause, pick, depth + 1);
}

/** The first `code` found along an error's cause chain (and inside AggregateErrors). */
export function errorCode(error: unknown): string | undefined {
  return fromCauses(error, (e) => (typeof e.code === 'string' && e.code !== 'ERR_INVALID_ARG_TYPE' ? e.code : undefined));
}

/**
 * Classifies a network-level failure. `dns` and `unreachable` say "this agent may be offline";
 * `refused` and `reset` say the host is there but the receiver is not.
 */
export function classifyError(error: unknown): { errorClass: ErrorClass; message: string } {
  const refused = fromCauses(error, (e) => (e instanceof DestinationError ? e : undefined));
  if (refused) return { errorClass: 'destination', message: refused.message };
  const code = errorCode(error);
  if (code && dnsCodes.has(code)) return { errorClass: 'dns', message: `name resolution failed (${code})` };
  if (code && unreachableCodes.has(code)) return { errorClass: 'unreachable', message: `network unreachable (${code})` };
  if (code === 'ECONNREFUSED') return { errorClass: 'refused', message: 'connection refused (ECONNREFUSED)' };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { errorClass: 'reset', message: `connection reset (${code})` };
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return { errorClass: 'timeout', message: `timed out (${code})` };
  if (code && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')))
    return { errorClass: 'tls', message: `TLS error (${code})` };
  return { errorClass: 'network', message: code ? `network error (${code})` : 'network error' };
}
