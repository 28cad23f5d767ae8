import type { Clock } from '../../core/clock.ts';

/**
 * Matches incoming payloads to waiters, each with its own timeout (zigbee-herdsman's Waitress). A
 * payload goes to the first waiter whose matcher accepts it.
 *
 * @example
 * const w = new Waitress<string>(clock);
 * const ok = w.waitFor((line) => line === 'OK', 5000, () => new Error('timeout'));
 * w.offer('OK'); // ok resolves with 'OK'
 */
interface Waiter<T> {
  match: (payload: T) => boolean;
  resolve: (payload: T) => void;
  reject: (error: unknown) => void;
}

export class Waitress<T> {
  readonly #clock: Clock;
  #waiters: Waiter<T>[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  waitFor(match: (payload: T) => boolean, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abort = new AbortController();
      const waiter: Waiter<T> = {
        match,
        resolve: (payload: T) => {
          abort.abort();
          resolve(payload);
        },
        reject: (error: unknown) => {
          abort.abort();
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      this.#clock.sleep(timeoutMs, abort.signal).then(
        () => {
          this.#remove(waiter);
          reject(onTimeout());
        },
        () => {}, // resolved, rejected or cancelled first
      );
    });
  }

  /** Hands `payload` to the first matching waiter; false when none wanted it. */
  offer(payload: T): boolean {
    const waiter = this.#waiters.find((w) => w.match(payload));
    if (!waiter) return false;
    this.#remove(waiter);
    waiter.resolve(payload);
    return true;
  }

  /** Rejects every waiter (the port closed). */
  rejectAll(error: unknown): void {
    const all = this.#waiters;
    this.#waiters = [];
    for (const w of all) w.reject(error);
  }

  get size(): number {
    return this.#waiters.length;
  }

  #remove(waiter: Waiter<T>): void {
    this.#waiters = this.#waiters.filter((w) => w !== waiter);
  }
}

/**
 * Runs tasks one at a time, in order: a modem answers one command at a time (V.250 5.2.1), so
 * everything that talks to it goes through here.
 */
export class CommandQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;
  #generation = 0;
  #closedWith: Error | undefined;
  #resetBy: Error = new Error('queue was reset');

  /** Queues `task`; it starts when every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const generation = this.#generation;
    this.#depth++;
    const result = this.#tail.then(() => {
      // A task queued before close() must not reach the new port after a reopen.
      if (generation !== this.#generation) throw this.#resetBy;
      return task();
    });
    this.#tail = result.then(
      () => this.#depth--,
      () => this.#depth--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get depth(): number {
    return this.#depth;
  }

  /** Fails every task not yet started with `error`, and every later run() until open(). */
  close(error: Error): void {
    this.#closedWith = error;
    this.#resetBy = error;
    this.#generation++;
  }

  open(): void {
    this.#closedWith = undefined;
  }
}
