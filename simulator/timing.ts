// The timing model: how long a real modem takes. Off by default (unit tests answer at once); on in
// `npm start` and `simulate --stdio` and the benches. Every wait goes through the simulator's clock,
// so a test with a ManualClock drives it by hand.
//
// - The serial line: 8N1 framing, 10 bits per byte, each direction paced at the baud rate.
// - A command latency per profile (a SIM access, +CMGR/+CMGL/+CMGD/+CMGW/+CPMS, takes longer).
// - +CMGS: the network's time on the air before `+CMGS: <mr>`, a base plus uniform jitter from a
//   seeded generator, so two runs with the same seed see the same sequence of send times.
// - Status reports: `reportDelayMs` after the send was accepted.

/** What can be set per simulator; unset values come from the profile and the defaults below. */
export interface TimingOptions {
  /** Line speed in bit/s (8N1: a byte is 10 bits). Default: the rate the host opened the port at, else 115200. */
  baud?: number;
  /** Answer latency of an ordinary command, ms. Default: the profile's. */
  commandMs?: number;
  /** Answer latency of a command that touches SIM/ME storage, ms. Default: the profile's. */
  storageMs?: number;
  /** +CMGS: time on the air before `+CMGS: <mr>`, ms (default 3000). */
  networkMs?: number;
  /** +CMGS: the network time varies by up to ± this, ms (default 1000). */
  jitterMs?: number;
  /** Seed of the jitter's generator (default 1). */
  seed?: number;
  /** Status report this long after the send (default 3000; `delivery.delayMs` still wins per simulator). */
  reportDelayMs?: number;
}

/** A profile's latencies (a SIM800 reading its SIM is slower than an EC25 reading its own memory). */
export interface ProfileLatency {
  commandMs: number;
  storageMs: number;
}

export const DEFAULT_TIMING = { baud: 115200, networkMs: 3000, jitterMs: 1000, seed: 1, reportDelayMs: 3000 } as const;

/** Commands that read or write message storage (27.005 3.2.2, 3.4.2-3.4.3, 3.5.3-3.5.4). */
const STORAGE_COMMANDS = new Set(['+CMGR', '+CMGL', '+CMGD', '+CMGW', '+CMSS', '+CPMS']);

/** mulberry32: a small seeded generator, enough for reproducible jitter. */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Timing {
  readonly commandMs: number;
  readonly storageMs: number;
  readonly networkMs: number;
  readonly jitterMs: number;
  readonly seed: number;
  readonly reportDelayMs: number;
  /** Set explicitly; otherwise the host's open() rate decides (see setPortBaud). */
  readonly #baud: number | undefined;
  #portBaud: number | undefined;
  #random: () => number;
  /** How many +CMGS answers were timed so far (the jitter sequence's position). */
  sends = 0;

  constructor(opts: TimingOptions, latency: ProfileLatency) {
    for (const [key, value] of Object.entries(opts)) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
        throw new RangeError(`timing.${key} must be a number of 0 or more`);
      }
    }
    if (opts.baud !== undefined && opts.baud < 50) throw new RangeError('timing.baud must be 50 bit/s or more');
    this.#baud = opts.baud;
    this.commandMs = opts.commandMs ?? latency.commandMs;
    this.storageMs = opts.storageMs ?? latency.storageMs;
    this.networkMs = opts.networkMs ?? DEFAULT_TIMING.networkMs;
    this.jitterMs = Math.min(opts.jitterMs ?? DEFAULT_TIMING.jitterMs, this.networkMs);
    this.seed = opts.seed ?? DEFAULT_TIMING.seed;
    this.reportDelayMs = opts.reportDelayMs ?? DEFAULT_TIMING.reportDelayMs;
    this.#random = generator(this.seed);
  }

  /** The rate the host opened the port at (the mock binding's baudRate); used unless `baud` was set. */
  setPortBaud(baud: number | undefined): void {
    this.#portBaud = baud && baud >= 50 ? baud : undefined;
  }

  get baud(): number {
    return this.#baud ?? this.#portBaud ?? DEFAULT_TIMING.baud;
  }

  /** Time `bytes` take on the line, ms (8N1: 10 bits a byte). */
  wireMs(bytes: number): number {
    return (bytes * 10 * 1000) / this.baud;
  }

  /** Latency before the answer to `command` (`+CMGR`, `+CSQ`, `Z`, ...). */
  latencyOf(command: string): number {
    return STORAGE_COMMANDS.has(command) ? this.storageMs : this.commandMs;
  }

  /** The next +CMGS's time on the air: networkMs ± jitterMs. */
  nextNetworkMs(): number {
    this.sends++;
    return Math.round(this.networkMs + (this.#random() * 2 - 1) * this.jitterMs);
  }

  /** The network times of the first `n` sends of a fresh simulator with these settings (the bench's wire limit). */
  networkSequence(n: number): number[] {
    const random = generator(this.seed);
    return Array.from({ length: n }, () => Math.round(this.networkMs + (random() * 2 - 1) * this.jitterMs));
  }
}

/**
 * Writes in order on a line of limited speed: each chunk leaves when the line is free and its bytes
 * have had their time. Short waits (< 1 ms) are not slept: the line's time still counts for what follows,
 * so the total stays right while no timer is set per echo byte.
 */
export class Line {
  #freeAt = 0;
  readonly #now: () => number;
  constructor(now: () => number) {
    this.#now = now;
  }

  /** How long from now until a chunk of `ms` on the line (after everything before it) has left. */
  reserve(ms: number): number {
    const now = this.#now();
    this.#freeAt = Math.max(this.#freeAt, now) + ms;
    return this.#freeAt - now;
  }

  reset(): void {
    this.#freeAt = 0;
  }
}
