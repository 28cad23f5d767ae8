import { ANSWER_TTL_MS, RememberedAnswers } from '../../core/answers.ts';
import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../core/store.ts';
import { ApiError } from './service.ts';

/** How long a key's first answer is replayed (the 24 h). */
export const IDEMPOTENCY_TTL_MS = ANSWER_TTL_MS;

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
  readonly #answers: RememberedAnswers;
  /** Keys whose first request is still being handled (async handlers): a concurrent repeat waits its turn with a 409. */
  readonly #inFlight = new Set<string>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#answers = new RememberedAnswers(store, clock);
  }

  /** Validates the header value; throws a 400 naming it. */
  static check(key: string): string {
    if (!KEY.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters', 'Idempotency-Key');
    return key;
  }

  static hash(body: unknown): string {
    return RememberedAnswers.hash(body);
  }

  /** The stored answer for this key and route, or undefined. Throws 422 when the body differs. */
  lookup(key: string, route: string, requestHash: string): StoredAnswer | undefined {
    const seen = this.#answers.recall<StoredAnswer>(route, key, requestHash);
    if (seen.kind === 'conflict')
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', 'Idempotency-Key');
    return seen.kind === 'hit' ? seen.answer : undefined;
  }

  save(key: string, route: string, requestHash: string, answer: StoredAnswer): void {
    this.#answers.remember(route, key, requestHash, answer);
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
