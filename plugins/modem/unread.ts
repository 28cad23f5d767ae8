// Stored messages that could not be read whole (line noise spoiling every read, a PDU whose lengths do
// not add up): they stay on the SIM and are read again later, with a pause that grows each time, so a
// noisy line neither loses them nor floods the modem. Counted for health and metrics while they wait.

export interface UnreadSlot {
  mem: string;
  index: number;
  /** Reads that failed so far. */
  attempts: number;
  /** Clock ms of the first failed read. */
  since: number;
  /** Clock ms before which the slot is not read again. */
  nextAt: number;
  why: string;
}

/** First pause after a failed read; doubled each time, at most MAX_PAUSE_MS. */
export const FIRST_PAUSE_MS = 30_000;
export const MAX_PAUSE_MS = 3600_000;

export class UnreadSlots {
  readonly #slots = new Map<string, UnreadSlot>();

  /** Records a read that did not give a whole message; returns the slot with its next try. */
  failed(mem: string, index: number, why: string, now: number): UnreadSlot {
    const key = `${mem}:${index}`;
    const slot = this.#slots.get(key) ?? { mem, index, attempts: 0, since: now, nextAt: now, why };
    slot.attempts++;
    slot.why = why;
    slot.nextAt = now + Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (slot.attempts - 1));
    this.#slots.set(key, slot);
    return slot;
  }

  /** The slot was taken in, deleted, or found empty or someone's draft: nothing waits there any more. */
  cleared(mem: string, index: number): void {
    this.#slots.delete(`${mem}:${index}`);
  }

  /** True while the slot waits for its next try (a sweep passes it by). */
  waiting(mem: string, index: number, now: number): boolean {
    const slot = this.#slots.get(`${mem}:${index}`);
    return slot !== undefined && slot.nextAt > now;
  }

  due(now: number): UnreadSlot[] {
    return [...this.#slots.values()].filter((s) => s.nextAt <= now);
  }

  get size(): number {
    return this.#slots.size;
  }

  /** For health: how many wait, since when the oldest waits, and why the last read failed. */
  summary(): { count: number; since: number | null; slots: string[] } {
    const all = [...this.#slots.values()];
    return {
      count: all.length,
      since: all.length ? Math.min(...all.map((s) => s.since)) : null,
      slots: all.map((s) => `${s.mem}#${s.index} (${s.attempts} reads: ${s.why})`),
    };
  }
}
