// Per-endpoint policies: cockatiel's circuit breaker, built once per endpoint, with the attempt's
// deadline (deadline.ts) inside it, outermost first:
//   circuit breaker → deadline → the POST
// The breaker wraps the deadline so that a timed-out attempt counts as the receiver failing. How many
// attempts are in flight (per endpoint and overall) is not a policy: the scheduler counts them and
// starts an attempt only into a free slot (capacity() below), so a bulkhead would never refuse one;
// two bulkhead layers per attempt only repeated that bookkeeping (about 1.5 % of a backlog drain's
// main-thread CPU in an A/B run, within its noise).
// The retry schedule is not a policy either: it lives in the store with each delivery (see
// backoff.ts), so it survives restarts.
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import type { Clock } from '../../core/clock.ts';

/**
 * How an attempt goes through the policies: through the breaker and its deadline, or (asked for by a
 * person while the circuit is open) with its deadline alone, a success then closing the circuit.
 */
export type Route = 'breaker' | 'bypass';

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit. Default 5. */
  threshold: number;
  /** First open period; it grows (decorrelated jitter) while probes keep failing. Default 30 s. */
  halfOpenAfterMs: number;
  /** Longest open period. Default 5 min. */
  maxHalfOpenAfterMs: number;
}

export const defaultBreakerOptions: BreakerOptions = { threshold: 5, halfOpenAfterMs: 30_000, maxHalfOpenAfterMs: 300_000 };

/** Thrown inside the breaker for an answer that counts as the receiver failing (5xx, 408). */
export class ReceiverError extends Error {
  override name = 'ReceiverError';
  readonly status: number;
  readonly retryAfter: string | null;
  constructor(status: number, retryAfter: string | null) {
    super(`receiver answered ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * cockatiel measures the open period with Date.now(); this backoff makes it measured on the agent's
 * injected clock instead, so tests drive the breaker with a ManualClock and never wait. cockatiel
 * checks `Date.now() - openedAt < duration`: adding the real time elapsed and subtracting the clock
 * time elapsed turns that into "clock time elapsed < period". With the system clock the two cancel.
 */
class ClockBackoff implements IBackoff<IHalfOpenAfterBackoffContext> {
  readonly #inner: IBackoff<IHalfOpenAfterBackoffContext>;
  readonly #clock: Clock;
  readonly #realAt = Date.now();
  readonly #clockAt: number;
  readonly #onNext: (until: number) => void;

  constructor(inner: IBackoff<IHalfOpenAfterBackoffContext>, clock: Clock, onNext: (until: number) => void) {
    this.#inner = inner;
    this.#clock = clock;
    this.#clockAt = clock.now();
    this.#onNext = onNext;
    onNext(this.#clockAt + inner.duration);
  }

  get duration(): number {
    return this.#inner.duration + (Date.now() - this.#realAt) - (this.#clock.now() - this.#clockAt);
  }

  next(context: IHalfOpenAfterBackoffContext): IBackoff<IHalfOpenAfterBackoffContext> {
    return new ClockBackoff(this.#inner.next(context), this.#clock, this.#onNext);
  }
}

export interface SavedBreaker {
  state: unknown;
  openUntil: number | null;
}

/** One receiver endpoint's policies and the scheduler's bookkeeping for it. */
export class Endpoint {
  readonly key: string;
  /** Scheduled attempts in flight at most (a person's are made anyway and take no slot). */
  readonly limit: number;
  breaker: CircuitBreakerPolicy;
  /** Clock time when an open circuit lets a probe through. */
  openUntil: number | null = null;
  /** Set from `Retry-After` on 429/503: nothing goes to this endpoint before then. */
  pausedUntil = 0;
  inFlight = 0;
  /** Of those, the scheduled ones: only they count against `limit`. */
  scheduled = 0;
  /** Deliveries claimed by the scheduler: prefetched, in flight, or with an outcome not yet written. */
  claimed = 0;
  /** Earliest `next_at` of its waiting deliveries not yet claimed; undefined: ask the store. */
  nextDue: number | undefined;
  /** Keyset position of the last due row read while paging through a backlog. */
  cursor: { at: number; id: string } | undefined;
  /** Claimed, due deliveries waiting for a slot. */
  queue: unknown[] = [];
  /** host:port, as offline detection tells hosts apart. */
  readonly host: string;

  readonly #clock: Clock;
  readonly #options: BreakerOptions;
  readonly #onStateChange: (e: Endpoint) => void;

  constructor(
    key: string,
    limit: number,
    clock: Clock,
    options: BreakerOptions,
    saved: SavedBreaker | undefined,
    onStateChange: (e: Endpoint) => void,
  ) {
    this.key = key;
    this.host = URL.canParse(key) ? new URL(key).host : key;
    this.limit = limit;
    this.#clock = clock;
    this.#options = options;
    this.#onStateChange = onStateChange;
    this.breaker = this.#newBreaker(saved);
    // The backoff made while hydrating starts its period now; the saved end is the true one.
    if (saved) this.openUntil = saved.openUntil;
  }

  /**
   * Closes the circuit (an operator's test just reached the receiver): cockatiel has no reset, so a
   * breaker is built afresh from a closed state.
   */
  reset(): void {
    if (this.state === 'closed') return;
    this.breaker = this.#newBreaker(undefined);
    this.openUntil = null;
    this.#onStateChange(this);
  }

  #newBreaker(saved: SavedBreaker | undefined): CircuitBreakerPolicy {
    const options = this.#options;
    const clock = this.#clock;
    const halfOpenAfter: IBackoffFactory<IHalfOpenAfterBackoffContext> = {
      next: () =>
        new ClockBackoff(
          new ExponentialBackoff({ initialDelay: options.halfOpenAfterMs, maxDelay: options.maxHalfOpenAfterMs }).next() as IBackoff<IHalfOpenAfterBackoffContext>,
          clock,
          (until) => {
            this.openUntil = until;
          },
        ),
    };
    const breaker = circuitBreaker(
      handleWhen((e) => !(e instanceof BrokenCircuitError) && !(e instanceof IsolatedCircuitError)),
      { breaker: new ConsecutiveBreaker(options.threshold), halfOpenAfter, initialState: saved?.state },
    );
    breaker.onStateChange(() => {
      if (this.breaker === breaker) this.#onStateChange(this);
    });
    return breaker;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  save(): SavedBreaker {
    return { state: this.breaker.toJSON(), openUntil: this.state === 'closed' ? null : this.openUntil };
  }

  /**
   * How many more attempts may start now (ignoring the overall limit), and if none, when to look
   * again (undefined: when an attempt in flight settles).
   */
  capacity(now: number): { slots: number; until?: number } {
    if (this.pausedUntil > now) return { slots: 0, until: this.pausedUntil };
    const state = this.state;
    if (state === 'open') {
      if (this.openUntil !== null && this.openUntil > now) return { slots: 0, until: this.openUntil };
      // Due for a probe: exactly one attempt, alone.
      return { slots: this.inFlight === 0 ? 1 : 0 };
    }
    if (state === 'half-open') return { slots: 0 };
    return { slots: Math.max(0, this.limit - this.scheduled) };
  }
}
