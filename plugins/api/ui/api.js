// Talking to the agent: the key (session storage only: never a cookie, never in a URL), JSON
// requests, and the live event stream read with fetch() because EventSource cannot send a header.
import { sseParser } from './format.js';

const KEY = 'smsedge.key';

// The agent's root is where this script came from, one level up (ui/api.js): every request then goes
// through the path prefix the page was served under (Home Assistant's Ingress), or none.
const ROOT = new URL('../', import.meta.url);

/**
 * An API path (`/sms/messages?limit=20`) as a URL under the page's prefix.
 * @param {string} path
 */
export function apiUrl(path) {
  return new URL(path.replace(/^\/+/, ''), ROOT).href;
}

/** The key for this tab, or null when signed out. */
export function getKey() {
  return sessionStorage.getItem(KEY);
}

/** @param {string} key */
export function setKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY);
}

/** A refused request: the API's `{ error: { code, message, field } }`, or a network failure (status 0). */
export class ApiFailure extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string} [field]
   */
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** @type {() => void} */
let onUnauthorized = () => {};
/** @param {() => void} fn called when the agent refuses the key (401) */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** @param {string | null} key */
function headers(key) {
  /** @type {Record<string, string>} */
  const h = { accept: 'application/json' };
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

/**
 * Calls the API with the stored key (or `options.key`). Resolves with the parsed body (undefined for
 * 204); rejects with ApiFailure.
 * @param {string} path
 * @param {{ method?: string, json?: unknown, key?: string | null, signal?: AbortSignal, allow?: number[] }} [options] `allow`: error
 *   statuses whose body is the answer all the same (GET /health answers 503 with its details when failing)
 * @returns {Promise<any>}
 */
export async function call(path, options = {}) {
  const key = options.key !== undefined ? options.key : getKey();
  const init = /** @type {RequestInit} */ ({ method: options.method ?? 'GET', headers: headers(key), cache: 'no-store', credentials: 'omit' });
  if (options.signal) init.signal = options.signal;
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    /** @type {Record<string, string>} */ (init.headers)['content-type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(apiUrl(path), init);
  } catch (error) {
    if (/** @type {Error} */ (error).name === 'AbortError') throw error;
    throw new ApiFailure(0, 'unreachable', 'the agent cannot be reached');
  }
  if (res.status === 204) return undefined;
  /** @type {any} */
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (res.ok || (body !== undefined && options.allow?.includes(res.status))) return body;
  if (res.status === 401 && options.key === undefined) onUnauthorized();
  const e = body?.error ?? {};
  throw new ApiFailure(res.status, e.code ?? 'http_' + res.status, e.message ?? `HTTP ${res.status}`, e.field);
}

/**
 * Reads GET /events until it ends or `signal` aborts. Resolves when the stream ends (the caller
 * reconnects); rejects with ApiFailure when it cannot be opened.
 * @param {{ signal: AbortSignal, onOpen: () => void, onMessage: (m: { event: string, data: any, id?: string }) => void }} options
 */
export async function stream({ signal, onOpen, onMessage }) {
  let res;
  try {
    res = await fetch(apiUrl('/events'), { headers: { ...headers(getKey()), accept: 'text/event-stream' }, cache: 'no-store', credentials: 'omit', signal });
  } catch (error) {
    if (/** @type {Error} */ (error).name === 'AbortError') return;
    throw new ApiFailure(0, 'unreachable', 'the agent cannot be reached');
  }
  if (res.status === 401) {
    onUnauthorized();
    throw new ApiFailure(401, 'unauthorized', 'the key was refused');
  }
  if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream'))
    throw new ApiFailure(res.status, 'no_stream', `no event stream (HTTP ${res.status})`);
  onOpen();
  const parse = sseParser((m) => {
    let data;
    try {
      data = JSON.parse(m.data);
    } catch {
      return;
    }
    onMessage({ event: m.event, data, id: m.id });
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parse(value);
    }
  } catch (error) {
    if (/** @type {Error} */ (error).name === 'AbortError' || signal.aborted) return;
    // The connection dropped mid-stream: the caller reconnects.
  } finally {
    reader.releaseLock();
  }
}
