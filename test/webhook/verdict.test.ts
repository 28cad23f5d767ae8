import t from 'tap';
import { defaultRetryPolicy } from '../../plugins/webhook/backoff.ts';
import { judge, MIN_RETRY_AFTER_MS, nextAttempt, retryAfterMs, type RetryInput } from '../../plugins/webhook/verdict.ts';

t.test('judge: 2xx delivered, 410 gone, 3xx and other 4xx rejected, 5xx/408/429 retried', async (t) => {
  for (const s of [200, 201, 204, 299]) t.same(judge(s), { kind: 'delivered' }, String(s));
  t.match(judge(410), { kind: 'gone', errorClass: 'http', error: /410 Gone/ });
  for (const s of [301, 302, 307, 308]) t.match(judge(s), { kind: 'rejected', errorClass: 'redirect', error: /not followed/ }, String(s));
  for (const s of [400, 401, 403, 404, 409, 413, 422]) t.match(judge(s), { kind: 'rejected', errorClass: 'http' }, String(s));
  for (const s of [408, 429, 500, 502, 503, 504]) t.match(judge(s), { kind: 'retry', errorClass: 'http', metric: 'retry', error: `the receiver answered ${s}` }, String(s));
  t.match(judge(100), { kind: 'rejected' }, 'an informational final status is no success');
  t.match(judge(null, { errorClass: 'redirect', message: 'the receiver answered a redirect' }), { kind: 'rejected', errorClass: 'redirect' }, 'a redirect the client refused to follow is an answer, not retried');
});

t.test('judge: no answer is retried, timeouts and network errors told apart', async (t) => {
  t.same(judge(null, { errorClass: 'timeout', message: 'no answer within 100 ms' }), { kind: 'retry', errorClass: 'timeout', error: 'no answer within 100 ms', metric: 'timeout' });
  t.match(judge(null, { errorClass: 'refused', message: 'connection refused' }), { kind: 'retry', errorClass: 'refused', metric: 'network' });
  t.match(judge(null, { errorClass: 'dns', message: 'name resolution failed' }), { metric: 'network' });
  t.match(judge(null), { kind: 'retry', errorClass: 'network' }, 'even without a classified failure');
});

t.test('retryAfterMs: seconds or an HTTP-date, clamped; unreadable is ignored', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(retryAfterMs('120', now, 1000, 3600_000), 120_000);
  t.equal(retryAfterMs(' 5 ', now, 1000, 3600_000), 5000);
  t.equal(retryAfterMs('0', now, 1000, 3600_000), 1000, 'at least the minimum');
  t.equal(retryAfterMs('999999', now, 1000, 3600_000), 3600_000, 'at most the maximum');
  t.equal(retryAfterMs('Thu, 01 Jan 2026 00:05:00 GMT', now, 1000, 3600_000), 300_000);
  t.equal(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now, 1000, 3600_000), 1000, 'a date in the past: the minimum');
  t.equal(retryAfterMs('-5', now, 1000, 3600_000), undefined, 'not delay-seconds, not a date');
  t.equal(retryAfterMs('1.5', now, 1000, 3600_000), undefined);
  t.equal(retryAfterMs('soon', now, 1000, 3600_000), undefined);
  t.equal(retryAfterMs('', now, 1000, 3600_000), undefined);
  t.equal(retryAfterMs(null, now, 1000, 3600_000), undefined);
});

const at = Date.parse('2026-01-01T00:00:00Z');
const input = (more: Partial<RetryInput> = {}): RetryInput => ({
  status: 500, retryAfter: null, at, attempts: 1, maxAttempts: 20, createdAt: at - 1000, backoff: null,
  retry: defaultRetryPolicy, retryAfterMaxMs: 2 * 3600_000, ...more,
});

t.test('nextAttempt: ends when the attempts or the age are spent', async (t) => {
  t.same(nextAttempt(input({ attempts: 20 })), { end: true });
  t.same(nextAttempt(input({ attempts: 3, maxAttempts: 3 })), { end: true }, "the subscription's own maximum");
  t.same(nextAttempt(input({ createdAt: at - defaultRetryPolicy.maxAgeMs })), { end: true }, '48 h old');
  t.match(nextAttempt(input({ attempts: 19 })), { end: false });
});

t.test('nextAttempt: backoff moves on and is stored; Retry-After on 429/503 pauses without moving it', async (t) => {
  const first = nextAttempt(input());
  if (first.end) throw new Error('ended');
  t.ok(first.delayMs >= 0 && first.delayMs <= 30_000, `about 10 s (${first.delayMs})`);
  t.notOk(first.pause);
  t.type(first.backoff, 'string');
  const second = nextAttempt(input({ attempts: 2, backoff: first.backoff }));
  if (second.end) throw new Error('ended');
  t.not(second.backoff, first.backoff, 'the state advanced');

  for (const status of [429, 503]) {
    const asked = nextAttempt(input({ status, retryAfter: '30', backoff: first.backoff }));
    t.same(asked, { end: false, delayMs: 30_000, backoff: null, pause: true }, `${status} with Retry-After`);
  }
  t.match(nextAttempt(input({ status: 503, retryAfter: '0' })), { delayMs: MIN_RETRY_AFTER_MS, pause: true }, 'never sooner than the minimum');
  t.match(nextAttempt(input({ status: 503, retryAfter: '999999', retryAfterMaxMs: 60_000 })), { delayMs: 60_000 }, 'clamped');
  t.match(nextAttempt(input({ status: 500, retryAfter: '30' })), { pause: false }, 'a 500 with Retry-After backs off as usual');
  t.match(nextAttempt(input({ status: 429, retryAfter: 'later' })), { pause: false }, 'unreadable: backoff');
});
