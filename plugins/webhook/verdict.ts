// What an attempt's answer means for its delivery: the pure decisions, kept apart from the scheduler
// (engine.ts) that makes the request and writes the outcome.
//   2xx delivered · 410 gone (the subscription is disabled) · other 3xx/4xx except 408/429 rejected at
//   once (redirects are not followed) · 5xx, 408, 429, timeouts and network errors retried, until the
//   attempts or the age run out; 429/503 with Retry-After (RFC 9110 10.2.3) wait as asked, clamped.
import { nextDelay, type BackoffState, type RetryPolicy } from './backoff.ts';
import type { ErrorClass } from './transport.ts';

/** A Retry-After shorter than this is read as this: a receiver asking for 0 s must not be hammered. */
export const MIN_RETRY_AFTER_MS = 1000;

/** What one answer (an HTTP status, or a failure before any) comes to. */
export type Judgement =
  | { kind: 'delivered' }
  | { kind: 'gone'; errorClass: 'http'; error: string }
  | { kind: 'rejected'; errorClass: 'http' | 'redirect'; error: string }
  | { kind: 'retry'; errorClass: ErrorClass; error: string; metric: 'retry' | 'timeout' | 'network' };

/**
 * Judges an attempt by its HTTP status, or by the failure when no answer came (`status` null).
 *
 * @example judge(503) // { kind: 'retry', errorClass: 'http', error: 'the receiver answered 503', metric: 'retry' }
 */
export function judge(status: number | null, failure?: { errorClass: ErrorClass; message: string }): Judgement {
  if (status === null) {
    // A redirect the HTTP client refused to follow (transport.ts): an answer, not a failure to retry.
    if (failure?.errorClass === 'redirect') return { kind: 'rejected', errorClass: 'redirect', error: failure.message };
    const f = failure ?? { errorClass: 'network' as const, message: 'network error' };
    return { kind: 'retry', errorClass: f.errorClass, error: f.message, metric: f.errorClass === 'timeout' ? 'timeout' : 'network' };
  }
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'gone', errorClass: 'http', error: 'the receiver answered 410 Gone' };
  if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', errorClass: 'http', error: `the receiver answered ${status}`, metric: 'retry' };
  if (status >= 300 && status < 400)
    return { kind: 'rejected', errorClass: 'redirect', error: `the receiver answered ${status} (redirects are not followed)` };
  return { kind: 'rejected', errorClass: 'http', error: `the receiver answered ${status}` };
}

/**
 * `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from `now`,
 * clamped to [minMs, maxMs], or undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, now: number, minMs: number, maxMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the day name; Date.parse alone
  // would take "-5" or "1.5" for dates and turn garbage into a wait.
  else if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  else {
    const at = Date.parse(trimmed);
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(maxMs, Math.max(minMs, ms));
}

export interface RetryInput {
  status: number | null;
  retryAfter: string | null;
  /** When the answer came (clock ms). */
  at: number;
  /** Counted attempts including this one. */
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  /** The stored backoff state (JSON), null before the first backed-off retry. */
  backoff: string | null;
  retry: RetryPolicy;
  retryAfterMaxMs: number;
}

/**
 * After a retryable failure: the end (attempts or age spent), or when to try next. A Retry-After on
 * 429/503 is honoured (`pause`: the receiver asked every sender to wait, so the whole endpoint does)
 * and leaves the backoff state as it was; otherwise the backoff moves on and its new state is returned.
 */
export function nextAttempt(i: RetryInput): { end: true } | { end: false; delayMs: number; backoff: string | null; pause: boolean } {
  if (i.attempts >= i.maxAttempts || i.at - i.createdAt >= i.retry.maxAgeMs) return { end: true };
  const honoured = i.status === 429 || i.status === 503 ? retryAfterMs(i.retryAfter, i.at, MIN_RETRY_AFTER_MS, i.retryAfterMaxMs) : undefined;
  if (honoured !== undefined) return { end: false, delayMs: honoured, backoff: null, pause: true };
  const [delayMs, state] = nextDelay(i.backoff ? (JSON.parse(i.backoff) as BackoffState) : undefined, i.retry);
  return { end: false, delayMs, backoff: JSON.stringify(state), pause: false };
}
