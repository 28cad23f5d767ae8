// Failed authentications, throttled per client address: a token bucket per address.
//
// A wrong key costs a token; tokens come back one per `refillMs`, up to `burst`. With none left, the
// address gets 429 and Retry-After for every request that presents a key, the right one included:
// answering a right key then would let the guessing go on at full speed. A client with the right key
// never spends a token. IPv6 clients are counted per /64 (one host usually holds a whole /64).

import type { Clock } from '../../core/clock.ts';

export interface ThrottleOptions {
  clock: Clock;
  /** Wrong keys an address may present at once. */
  burst?: number;
  /** One more wrong key allowed this often. */
  refillMs?: number;
  /** Addresses remembered (the least recently failing are forgotten first). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class AuthThrottle {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: ThrottleOptions) {
    this.#clock = options.clock;
    this.#burst = options.burst ?? 10;
    this.#refillMs = options.refillMs ?? 5_000;
    this.#maxClients = options.maxClients ?? 4096;
  }

  /** Milliseconds until `address` may present a key again; 0 when it may now. */
  waitMs(address: string): number {
    const bucket = this.#refilled(clientKey(address));
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) * this.#refillMs));
  }

  /** Records a wrong key from `address`; true when that used its last try (worth a log line). */
  fail(address: string): boolean {
    const key = clientKey(address);
    const bucket = this.#refilled(key) ?? { tokens: this.#burst, at: this.#clock.now() };
    bucket.tokens -= 1;
    // Most recently failing last in the Map's order; the oldest is forgotten first.
    this.#buckets.delete(key);
    if (this.#buckets.size >= this.#maxClients) this.#buckets.delete(this.#buckets.keys().next().value!);
    this.#buckets.set(key, bucket);
    return bucket.tokens < 1;
  }

  #refilled(key: string): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    const now = this.#clock.now();
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) / this.#refillMs);
    bucket.at = now;
    if (bucket.tokens >= this.#burst) this.#buckets.delete(key);
    return bucket;
  }
}

/** The address a bucket is kept for: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function clientKey(address: string): string {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!a.includes(':')) return a;
  const [head = '', tail] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
