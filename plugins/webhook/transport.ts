// One HTTP POST of a delivery, and what its result means.
import { ofetch } from 'ofetch';

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
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

/**
 * The default transport: ofetch, no redirects followed, no ofetch retries (the schedule is ours), the
 * response body read and dropped so the connection can be reused.
 *
 * `redirect: 'error'` rather than 'manual': under any other mode the Fetch standard's HTTP-network-or-
 * cache fetch clones the request, teeing its body stream (undici does), which measured 12-20 % of a
 * bare ofetch POST's time and 6 % of the webhook drain's allocations. The price: for a redirect the
 * fetch fails ("unexpected redirect") instead of answering, so its exact 3xx is not known.
 */
export const ofetchTransport: Transport = async ({ url, headers, body, signal }) => {
  try {
    const response = await ofetch.raw(url, {
      method: 'POST',
      body,
      headers,
      signal,
      redirect: 'error',
      retry: 0,
      ignoreResponseError: true,
      responseType: 'text',
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    if (isRedirect(error)) return { status: null, retryAfter: null, redirect: true };
    throw error;
  }
};

/** undici's network error for a redirect under `redirect: 'error'`, somewhere along the cause chain. */
const isRedirect = (error: unknown): boolean => fromCauses(error, (e) => (e.message === 'unexpected redirect' ? true : undefined)) ?? false;

/** Error classes a delivery log shows. */
export type ErrorClass = 'timeout' | 'dns' | 'unreachable' | 'refused' | 'reset' | 'tls' | 'network' | 'http' | 'redirect' | 'circuit-open' | 'local';

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
