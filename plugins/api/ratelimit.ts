// Requests per API key: a token bucket per key name. A key with a limit may make `burst` requests at
// once, then one more every 60 000 / perMinute ms. Over the limit it is answered 429 with Retry-After
// (rate_limited); its requests are not run meanwhile, so a runaway client cannot flood the modem.

import type { Clock } from '../../core/clock.ts';

export interface RateLimit {
  /** Requests a minute, on average. */
  perMinute: number;
  /** Requests at once before the average applies (default: perMinute). */
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class KeyRateLimiter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Takes one request from `name`'s bucket under `limit`: 0 when it may go ahead, otherwise the
   * milliseconds until it may (nothing is taken then).
   *
   * @example
   * limiter.take('monitoring', { perMinute: 60 }) // 0, ... then 1000 once 60 were taken at once
   */
  take(name: string, limit: RateLimit | null | undefined): number {
    if (!limit) return 0;
    const burst = limit.burst ?? limit.perMinute;
    const refillMs = 60_000 / limit.perMinute;
    const now = this.#clock.now();
    const bucket = this.#buckets.get(name) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) / refillMs);
    bucket.at = now;
    this.#buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) * refillMs));
  }

  /** Forgets a key's bucket (the key was deleted: a new key of that name starts full). */
  forget(name: string): void {
    this.#buckets.delete(name);
  }
}
