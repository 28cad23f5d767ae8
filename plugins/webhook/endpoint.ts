// Per-endpoint policies. Composition, outermost first:
//   global bulkhead → endpoint bulkhead → circuit breaker (cockatiel) → timeout → the POST
// Bulkheads are outermost so a half-open probe also takes a slot; the breaker wraps the timeout so a
// timed-out attempt counts as a failure; the retry schedule is not a policy here: it lives in the
// store with each delivery (see backoff.ts), so it survives restarts. The bulkheads are slot counts
// (slots.ts) and the timeout a shared deadline lane (deadlines.ts): the scheduler checks both before
// starting an attempt, so cockatiel's wrappers for them would only add promises per attempt.
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
import { Slots } from './slots.ts';

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
  readonly bulkhead: Slots;
  readonly breaker: CircuitBreakerPolicy;
  /** Clock time when an open circuit lets a probe through. */
  openUntil: number | null = null;
  /** Set from `Retry-After` on 429/503: nothing goes to this endpoint before then. */
  pausedUntil = 0;
  inFlight = 0;
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
    this.bulkhead = new Slots(limit);
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
    this.breaker = circuitBreaker(
      handleWhen((e) => !(e instanceof BrokenCircuitError) && !(e instanceof IsolatedCircuitError)),
      { breaker: new ConsecutiveBreaker(options.threshold), halfOpenAfter, initialState: saved?.state },
    );
    // The backoff made while hydrating starts its period now; the saved end is the true one.
    if (saved) this.openUntil = saved.openUntil;
    this.breaker.onStateChange(() => onStateChange(this));
  }

  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  save(): SavedBreaker {
    return { state: this.breaker.toJSON(), openUntil: this.state === 'closed' ? null : this.openUntil };
  }

  /**
   * How many more attempts may start now (ignoring the global bulkhead), and if none, when to look
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
    return { slots: Math.max(0, this.bulkhead.executionSlots) };
  }
}
