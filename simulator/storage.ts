// 27.005 3.1: message storages (`SM` SIM, `ME` phone memory, `SR` status reports) with a capacity and
// indices, and the message status <stat> each stored message carries.

export type StorageName = 'SM' | 'ME' | 'SR';

/** 27.005 3.1 <stat> in PDU mode: 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT. */
export type Stat = 0 | 1 | 2 | 3;

export const STAT_TEXT = ['REC UNREAD', 'REC READ', 'STO UNSENT', 'STO SENT'] as const;

export interface StoredMessage {
  index: number;
  stat: Stat;
  kind: 'deliver' | 'status-report' | 'submit';
  /** Hex PDU with the SMSC field, as +CMGR prints it. */
  pdu: string;
  /** TPDU octets (without the SMSC field): the <length> of +CMGR/+CMGL. */
  tpduLength: number;
}

export class Storage {
  readonly name: StorageName;
  capacity: number;
  readonly firstIndex: number;
  readonly #slots = new Map<number, StoredMessage>();
  /** Called after every change (a message stored, deleted, or its <stat> changed). */
  onChange: (() => void) | null = null;

  constructor(name: StorageName, capacity: number, firstIndex: number) {
    this.name = name;
    this.capacity = capacity;
    this.firstIndex = firstIndex;
  }

  get used(): number {
    return this.#slots.size;
  }

  get full(): boolean {
    return this.#slots.size >= this.capacity;
  }

  /** Stores in the lowest free index; null when full. */
  store(msg: Omit<StoredMessage, 'index'>): StoredMessage | null {
    if (this.full) return null;
    for (let i = this.firstIndex; i < this.firstIndex + this.capacity; i++) {
      if (!this.#slots.has(i)) {
        const stored = { ...msg, index: i };
        this.#slots.set(i, stored);
        this.changed();
        return stored;
      }
    }
    return null;
  }

  /** Whether `index` is a valid location of this storage (empty or not). */
  valid(index: number): boolean {
    return Number.isInteger(index) && index >= this.firstIndex && index < this.firstIndex + this.capacity;
  }

  get(index: number): StoredMessage | undefined {
    return this.#slots.get(index);
  }

  delete(index: number): boolean {
    const gone = this.#slots.delete(index);
    if (gone) this.changed();
    return gone;
  }

  /** Puts a message back at its own index (storage loaded from a file); false when the index is invalid or taken. */
  restore(msg: StoredMessage): boolean {
    if (!this.valid(msg.index) || this.#slots.has(msg.index)) return false;
    this.#slots.set(msg.index, { ...msg });
    return true;
  }

  /** Tells the owner that something changed in place (a message's <stat>). */
  changed(): void {
    this.onChange?.();
  }

  /** Messages in index order; `stat` 4 means all (27.005 3.4.2 +CMGL). */
  list(stat: number = 4): StoredMessage[] {
    return [...this.#slots.values()].filter((m) => stat === 4 || m.stat === stat).sort((a, b) => a.index - b.index);
  }

  clear(): void {
    this.#slots.clear();
    this.changed();
  }
}
