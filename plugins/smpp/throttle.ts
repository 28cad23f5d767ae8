/**
 * An account's throughput: a token bucket holding one second's worth of submits (at least one),
 * refilled continuously. take() says whether one more submit_sm fits now.
 *
 * @example
 * const bucket = new TokenBucket(10, () => clock.now());
 * if (!bucket.take()) session.respond(pdu, status.ESME_RTHROTTLED);
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, now: () => number) {
    this.#rate = perSecond / 1000;
    this.#capacity = Math.max(1, perSecond);
    this.#now = now;
    this.#tokens = this.#capacity;
    this.#at = now();
  }

  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
