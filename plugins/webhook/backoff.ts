// When the next attempt of a failed delivery is due. The schedule is stored with the delivery, so it
// survives restarts: the generator's state is saved in the row and handed back on the next failure.
import { decorrelatedJitterGenerator, type IExponentialBackoffOptions } from 'cockatiel';

export interface RetryPolicy {
  /** About this long before the second attempt. Default 10 s. */
  initialDelayMs: number;
  /** No wait is longer than this. Default 2 h. */
  maxDelayMs: number;
  /** Attempts in all (the first included). Default 20. */
  maxAttempts: number;
  /** A delivery older than this is not retried again. Default 48 h. */
  maxAgeMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  initialDelayMs: 10_000,
  maxDelayMs: 2 * 3600_000,
  maxAttempts: 20,
  maxAgeMs: 48 * 3600_000,
};

export type BackoffState = [number, number] | undefined;

/**
 * The delay before the next attempt: cockatiel's exponential backoff with decorrelated jitter
 * (Polly's "DecorrelatedJitterV2"), whose medians fall near initialDelay × 1, 2, 4 ... up to the cap.
 * Returns the delay and the state to store for the following one.
 *
 * @example nextDelay(undefined, defaultRetryPolicy) // [9120, [1, 1.27]]: about 10 s
 */
export function nextDelay(state: BackoffState, policy: RetryPolicy): [number, [number, number]] {
  const options: IExponentialBackoffOptions<[number, number]> = {
    generator: decorrelatedJitterGenerator,
    initialDelay: policy.initialDelayMs,
    maxDelay: policy.maxDelayMs,
    exponent: 2,
  };
  const [delay, next] = decorrelatedJitterGenerator(state, options);
  return [Math.round(delay), next];
}

/** Moved to verdict.ts (with the rest of what an answer means); re-exported for existing imports. */
export { retryAfterMs } from './verdict.ts';
