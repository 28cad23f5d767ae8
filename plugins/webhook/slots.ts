// A bulkhead as the scheduler needs it: a count of attempts in flight against a limit. The scheduler
// starts an attempt only when a slot is free and never queues one, so a cockatiel `bulkhead` would
// never wait nor reject here; its `execute` only added two async frames (and their promises) to every
// attempt on the hot path. Same semantics (at most `limit` at once, checked before starting), no wrapper.

export class Slots {
  readonly limit: number;
  #active = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Free slots now (the name cockatiel's BulkheadPolicy uses). */
  get executionSlots(): number {
    return this.limit - this.#active;
  }

  get active(): number {
    return this.#active;
  }

  /** Takes a slot; false (and nothing taken) when all are in use. */
  take(): boolean {
    if (this.#active >= this.limit) return false;
    this.#active++;
    return true;
  }

  /** Gives back a slot taken with `take`. */
  give(): void {
    if (this.#active > 0) this.#active--;
  }
}
