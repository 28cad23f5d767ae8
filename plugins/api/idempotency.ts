import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../core/store.ts';
import { ApiError } from './service.ts';

/** How long a key's first answer is replayed (the 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export const idempotencyMigrations = [
  {
    version: 1,
    up: `CREATE TABLE api_idempotency (
        key TEXT NOT NULL,
        route TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (key, route));
      CREATE INDEX api_idempotency_created ON api_idempotency (created_ms);`,
  },
];

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** Printable ASCII, as the IETF Idempotency-Key draft's examples use; bounded so it can be stored. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Remembers the first successful answer to a request carrying an `Idempotency-Key`, per key and
 * route, for 24 hours: a repeat gets the same answer again (and nothing is sent twice); the same key
 * with a different body is a client bug answered 422.
 */
export class Idempotency {
  readonly #store: Store;
  readonly #clock: Clock;
  /** Keys whose first request is still being handled (async handlers): a concurrent repeat waits its turn with a 409. */
  readonly #inFlight = new Set<string>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
    store.migrate('api', idempotencyMigrations);
  }

  /** Validates the header value; throws a 400 naming it. */
  static check(key: string): string {
    if (!KEY.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters', 'Idempotency-Key');
    return key;
  }

  static hash(body: unknown): string {
    return createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
  }

  /** The stored answer for this key and route, or undefined. Throws 422 when the body differs. */
  lookup(key: string, route: string, requestHash: string): StoredAnswer | undefined {
    const row = this.#store.get<{ request_hash: string; status: number; response: string; created_ms: number }>(
      'SELECT request_hash, status, response, created_ms FROM api_idempotency WHERE key = ? AND route = ?',
      key,
      route,
    );
    if (!row || row.created_ms <= this.#clock.now() - IDEMPOTENCY_TTL_MS) return undefined;
    if (row.request_hash !== requestHash)
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', 'Idempotency-Key');
    return { status: row.status, body: JSON.parse(row.response) };
  }

  save(key: string, route: string, requestHash: string, answer: StoredAnswer): void {
    const now = this.#clock.now();
    this.#store.run('DELETE FROM api_idempotency WHERE created_ms <= ?', now - IDEMPOTENCY_TTL_MS);
    this.#store.run(
      'INSERT OR REPLACE INTO api_idempotency (key, route, request_hash, status, response, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
      key,
      route,
      requestHash,
      answer.status,
      JSON.stringify(answer.body),
      now,
    );
  }

  /**
   * Runs `handle` at most once per key and route. A synchronous handler runs in one transaction with
   * the saving of its answer, so an accepted SMS and the key that accepted it commit together.
   */
  async run(key: string, route: string, body: unknown, handle: () => unknown, status: number): Promise<{ replayed: boolean; answer: StoredAnswer }> {
    const requestHash = Idempotency.hash(body);
    const slot = `${route}\u0000${key}`;
    if (this.#inFlight.has(slot)) throw new ApiError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being handled', 'Idempotency-Key');
    let pending: Promise<unknown> | undefined;
    const done = this.#store.transaction(() => {
      const stored = this.lookup(key, route, requestHash);
      if (stored) return { replayed: true, answer: stored };
      const result = handle();
      if (result instanceof Promise) {
        pending = result;
        return undefined;
      }
      const answer = { status, body: result ?? null };
      this.save(key, route, requestHash, answer);
      return { replayed: false, answer };
    });
    if (done) return done;
    this.#inFlight.add(slot);
    try {
      const answer = { status, body: (await pending) ?? null };
      this.save(key, route, requestHash, answer);
      return { replayed: false, answer };
    } finally {
      this.#inFlight.delete(slot);
    }
  }
}
