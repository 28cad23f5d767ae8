import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../core/store.ts';
import { transactionOf, type Response } from './requests.ts';

/** How long a transaction's answer is kept and replayed, as the API keeps an Idempotency-Key's. */
export const TRANSACTION_TTL_MS = 24 * 3600_000;

export const dedupMigrations = [
  {
    version: 1,
    up: `CREATE TABLE mqtt_transactions (
        scope TEXT NOT NULL,
        tx TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, tx));
      CREATE INDEX mqtt_transactions_created ON mqtt_transactions (created_ms);`,
  },
];

/**
 * Send requests de-duplicated on their `transaction`. A client that got no answer (the response
 * publish was lost with the connection after the SMS was queued) sends the request again; the repeat
 * gets the first answer and nothing is queued twice. Only accepted sends are remembered: a refused
 * request may be retried as it is. The same transaction with another request is refused
 * (E_TRANSACTION_REUSED), as the API answers 422 to a reused Idempotency-Key.
 *
 * Scopes keep topics apart (`send` for the agent's own topic, `fleet` for the group's). A fleet
 * repeat that the broker hands to another agent of the group is not seen here: each agent keeps its
 * own record.
 *
 * @example
 * const sends = new SendDedup(ctx.store, ctx.clock);
 * const response = sends.once('send', payload, () => answerSend(payload, { agentId, sms }));
 */
export class SendDedup {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
    store.migrate('mqtt', dedupMigrations);
  }

  /**
   * Answers `payload` with `handle()` once per transaction and scope. `handle` must queue
   * synchronously: it runs in one store transaction with the record of its answer, so a queued SMS
   * and the transaction that queued it commit together (a crash cannot keep one without the other).
   */
  once(scope: string, payload: Buffer | string, handle: () => Response): Response {
    const request = parseJson(payload);
    const tx = transactionOf(request);
    if (tx === undefined) return handle();
    const key = JSON.stringify(tx); // 1 and "1" are different transactions
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    return this.#store.transaction(() => {
      const now = this.#clock.now();
      const row = this.#store.get<{ request_hash: string; response: string }>(
        'SELECT request_hash, response FROM mqtt_transactions WHERE scope = ? AND tx = ? AND created_ms > ?',
        scope,
        key,
        now - TRANSACTION_TTL_MS,
      );
      if (row?.request_hash === requestHash) return JSON.parse(row.response) as Response;
      if (row) {
        const agentId = (JSON.parse(row.response) as Response).agentId;
        return {
          transaction: tx,
          agentId,
          status: 'error',
          error: { code: 'E_TRANSACTION_REUSED', message: 'this transaction was used with a different request in the last 24 h', field: 'transaction' },
        };
      }
      const response = handle();
      if (response.status === 'ok') {
        this.#store.run('DELETE FROM mqtt_transactions WHERE created_ms <= ?', now - TRANSACTION_TTL_MS);
        this.#store.run(
          'INSERT OR REPLACE INTO mqtt_transactions (scope, tx, request_hash, response, created_ms) VALUES (?, ?, ?, ?, ?)',
          scope,
          key,
          requestHash,
          JSON.stringify(response),
          now,
        );
      }
      return response;
    });
  }
}

function parseJson(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}
