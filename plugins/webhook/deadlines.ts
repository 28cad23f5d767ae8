// Per-attempt timeouts without a timer, a derived AbortController and listeners per attempt (what a
// cockatiel `timeout` policy builds on every call). Attempts with the same timeout end their time in
// the order they started, so one FIFO lane per duration and one timer armed for its oldest live entry
// do what a timer each would. On the delivery hot path that is thousands of attempts a second.

/** One attempt's deadline: pass `signal` to the request; `timedOut` says whether it fired. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
}

interface Entry extends Deadline {
  readonly controller: AbortController;
  readonly at: number;
  readonly lane: Lane;
  done: boolean;
  timedOut: boolean;
}

interface Lane {
  entries: Entry[];
  head: number;
  /** Entries neither ended nor fired. */
  live: number;
  timer: Timer | undefined;
}

/** A cancellable one-shot timer (injectable: tests fire it by hand instead of waiting). */
export interface Timer {
  cancel(): void;
}
export type SetTimer = (fire: () => void, ms: number) => Timer;

const realTimer: SetTimer = (fire, ms) => {
  const t = setTimeout(fire, ms);
  // An attempt in flight keeps the process alive by its socket; the timer need not.
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

/** The abort reason of an attempt that ran out of time (one ready-made error: aborts are the rare path). */
export const TIMED_OUT = Object.assign(new Error('the attempt timed out'), { code: 'E_TIMEOUT' });

export class Deadlines {
  readonly #lanes = new Map<number, Lane>();
  readonly #now: () => number;
  readonly #setTimer: SetTimer;

  /** `now`: a monotonic millisecond clock (real time: a request's timeout is wall-clock time spent). */
  constructor(now: () => number = () => performance.now(), setTimer: SetTimer = realTimer) {
    this.#now = now;
    this.#setTimer = setTimer;
  }

  /** Starts the clock on an attempt of at most `ms`. Call `end` when it settles, however it settles. */
  start(ms: number): Deadline {
    let lane = this.#lanes.get(ms);
    if (!lane) {
      lane = { entries: [], head: 0, live: 0, timer: undefined };
      this.#lanes.set(ms, lane);
    }
    const controller = new AbortController();
    const entry: Entry = { controller, signal: controller.signal, at: this.#now() + ms, lane, done: false, timedOut: false };
    lane.entries.push(entry);
    lane.live++;
    if (!lane.timer) this.#arm(lane);
    return entry;
  }

  /** The attempt settled: its deadline no longer matters. */
  end(deadline: Deadline): void {
    const entry = deadline as Entry;
    if (entry.done) return;
    entry.done = true;
    const lane = entry.lane;
    lane.live--;
    // Mostly the oldest one ends first: drop it (and any settled behind it) now, not at the next timer.
    if (lane.entries[lane.head] === entry) this.#skipDone(lane);
    // A hung attempt at the front must not hold every later settled one until it times out.
    else if (lane.entries.length - lane.head > 2 * lane.live + 256) {
      lane.entries = lane.entries.filter((e) => !e.done);
      lane.head = 0;
    }
  }

  /** Aborts every attempt still running (the engine is stopping) with `reason`. */
  abortAll(reason: unknown): void {
    for (const lane of this.#lanes.values()) {
      lane.timer?.cancel();
      for (let i = lane.head; i < lane.entries.length; i++) {
        const e = lane.entries[i]!;
        if (!e.done) e.controller.abort(reason);
      }
      lane.entries = [];
      lane.head = 0;
      lane.live = 0;
      lane.timer = undefined;
    }
  }

  /** Entries held in memory, settled ones not yet dropped included (tests: it must not grow with traffic). */
  get held(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.entries.length - lane.head;
    return n;
  }

  #arm(lane: Lane): void {
    this.#skipDone(lane);
    const head = lane.entries[lane.head];
    if (!head) {
      lane.timer = undefined;
      return;
    }
    lane.timer = this.#setTimer(() => this.#fire(lane), Math.max(0, Math.ceil(head.at - this.#now())));
  }

  #fire(lane: Lane): void {
    const now = this.#now();
    for (;;) {
      this.#skipDone(lane);
      const head = lane.entries[lane.head];
      if (!head || head.at > now) break;
      head.done = true;
      head.timedOut = true;
      lane.live--;
      head.controller.abort(TIMED_OUT);
    }
    this.#arm(lane);
  }

  /** Drops settled entries at the front; compacts the array now and then, so it never grows with the traffic. */
  #skipDone(lane: Lane): void {
    while (lane.head < lane.entries.length && lane.entries[lane.head]!.done) lane.head++;
    if (lane.head === lane.entries.length) {
      lane.entries = [];
      lane.head = 0;
    } else if (lane.head > 256 && lane.head * 2 > lane.entries.length) {
      lane.entries = lane.entries.slice(lane.head);
      lane.head = 0;
    }
  }
}
