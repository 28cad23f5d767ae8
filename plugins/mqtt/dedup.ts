import { ANSWER_TTL_MS, RememberedAnswers } from '../../core/answers.ts';
import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../core/store.ts';
import { transactionOf, type Response } from './requests.ts';

/** How long a transaction's answer is kept and replayed, as the API keeps an Idempotency-Key's. */
export const TRANSACTION_TTL_MS = ANSWER_TTL_MS;

/**
 * Send requests de-duplicated on their `transaction`. A client that got no answer (the response
 * publish was lost with the connection after the SMS was queued) sends the request again; the repeat
 * gets the first answer and nothing is queued twice. Only accepted sends are remembered: a refused
 * request may be retried as it is. The same transaction with another request is refused
 * (transaction_reused), as the API answers 422 to a reused Idempotency-Key.
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
  readonly #answers: RememberedAnswers;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#answers = new RememberedAnswers(store, clock);
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
    const requestHash = RememberedAnswers.hash(request);
    const scoped = `mqtt:${scope}`;
    return this.#store.transaction(() => {
      const seen = this.#answers.recall<Response>(scoped, key, requestHash);
      if (seen.kind === 'hit') return seen.answer;
      if (seen.kind === 'conflict') {
        return {
          transaction: tx,
          agentId: seen.answer.agentId,
          status: 'error',
          error: { code: 'transaction_reused', message: 'this transaction was used with a different request in the last 24 h', field: 'transaction' },
        };
      }
      const response = handle();
      if (response.status === 'ok') this.#answers.remember(scoped, key, requestHash, response);
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
