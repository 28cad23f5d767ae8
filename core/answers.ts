import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Store } from './store.ts';

/** How long a first answer is replayed: 24 h, as Idempotency-Key conventions (IETF draft, Stripe) use. */
export const ANSWER_TTL_MS = 24 * 3600_000;

const migrations = [
  {
    version: 1,
    up: `CREATE TABLE remembered_answers (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        answer TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, key));
      CREATE INDEX remembered_answers_created ON remembered_answers (created_ms);`,
  },
];

export type Recall<A> = { kind: 'miss' } | { kind: 'hit'; answer: A } | { kind: 'conflict'; answer: A };

/**
 * First answers to requests that carry a client's de-duplication key (the API's `Idempotency-Key`,
 * an MQTT request's `transaction`), kept for 24 h: a repeat gets the same answer and nothing is done
 * twice; the same key with a different request is a conflict the caller refuses. Scopes keep routes
 * and topics apart. Call `recall` and `remember` inside one store transaction with the work itself, so
 * the work and the record of its answer commit together.
 *
 * @example
 * const answers = new RememberedAnswers(store, clock);
 * store.transaction(() => {
 *   const seen = answers.recall<Reply>('POST /sms/send', key, hash);
 *   if (seen.kind === 'hit') return seen.answer;
 *   const reply = doWork();
 *   answers.remember('POST /sms/send', key, hash, reply);
 *   return reply;
 * });
 */
export class RememberedAnswers {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
    store.migrate('answers', migrations);
  }

  /** A stable hash of a request body (JSON). */
  static hash(request: unknown): string {
    return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
  }

  recall<A>(scope: string, key: string, requestHash: string): Recall<A> {
    const row = this.#store.get<{ request_hash: string; answer: string }>(
      'SELECT request_hash, answer FROM remembered_answers WHERE scope = ? AND key = ? AND created_ms > ?',
      scope,
      key,
      this.#clock.now() - ANSWER_TTL_MS,
    );
    if (!row) return { kind: 'miss' };
    const answer = JSON.parse(row.answer) as A;
    return row.request_hash === requestHash ? { kind: 'hit', answer } : { kind: 'conflict', answer };
  }

  remember(scope: string, key: string, requestHash: string, answer: unknown): void {
    const now = this.#clock.now();
    this.#store.run('DELETE FROM remembered_answers WHERE created_ms <= ?', now - ANSWER_TTL_MS);
    this.#store.run(
      'INSERT OR REPLACE INTO remembered_answers (scope, key, request_hash, answer, created_ms) VALUES (?, ?, ?, ?, ?)',
      scope,
      key,
      requestHash,
      JSON.stringify(answer),
      now,
    );
  }
}
