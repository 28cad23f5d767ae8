import type { Migration, Store } from '../../core/store.ts';

/** The front doors: the other gateways' send APIs the agent also answers. */
export type Door = 'smsgate' | 'httpsms' | 'kannel' | 'twilio';

/**
 * One table for the four doors: which of the agent's messages came in through which door, under that
 * API's own id (several rows share one for an SMS Gateway message to several numbers), and what that
 * API's answers and callbacks need later (the sender it named, a status callback URL, a DLR mask).
 */
export const doorMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE door_messages (
        message_id TEXT PRIMARY KEY,
        door TEXT NOT NULL,
        door_id TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        meta TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL);
      CREATE INDEX door_messages_door ON door_messages (door, door_id, position);
      CREATE INDEX door_messages_age ON door_messages (created_at);`,
  },
];

export interface DoorRow<M = Record<string, unknown>> {
  messageId: string;
  doorId: string;
  position: number;
  meta: M;
  createdAt: number;
}

/** How long a door remembers its messages: as long as anyone polls a status or waits for a report. */
export const LEDGER_DAYS = 30;

/**
 * A door's view of the table.
 *
 * @example
 * const ledger = new Ledger(ctx.store, 'kannel');
 * ledger.add([{ messageId: accepted.id, doorId: accepted.id, meta: { dlrUrl } }], Date.now());
 */
export class Ledger<M = Record<string, unknown>> {
  readonly #store: Store;
  readonly #door: Door;

  constructor(store: Store, door: Door) {
    this.#store = store;
    this.#door = door;
    store.migrate('doors', doorMigrations);
  }

  /** Call inside the transaction that queued the messages: a crash keeps both or neither. */
  add(rows: { messageId: string; doorId: string; meta?: M }[], now: number): void {
    rows.forEach((r, position) =>
      this.#store.run(
        'INSERT INTO door_messages (message_id, door, door_id, position, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        r.messageId, this.#door, r.doorId, position, JSON.stringify(r.meta ?? {}), now,
      ),
    );
  }

  /** The rows of one door id, in recipient order (empty when unknown). */
  byDoorId(doorId: string): DoorRow<M>[] {
    return this.#store
      .all<Raw>('SELECT * FROM door_messages WHERE door = ? AND door_id = ? ORDER BY position', this.#door, doorId)
      .map((r) => row<M>(r));
  }

  /** The row of one of the agent's messages, when it came in through this door. */
  byMessageId(messageId: string): DoorRow<M> | undefined {
    const r = this.#store.get<Raw>('SELECT * FROM door_messages WHERE message_id = ? AND door = ?', messageId, this.#door);
    return r && row<M>(r);
  }

  /** Forgets rows older than LEDGER_DAYS. */
  prune(now: number): number {
    return this.#store.run('DELETE FROM door_messages WHERE door = ? AND created_at < ?', this.#door, now - LEDGER_DAYS * 86_400_000).changes;
  }
}

interface Raw {
  message_id: string;
  door_id: string;
  position: number;
  meta: string;
  created_at: number;
}

function row<M>(r: Raw): DoorRow<M> {
  return { messageId: r.message_id, doorId: r.door_id, position: r.position, meta: JSON.parse(r.meta) as M, createdAt: r.created_at };
}
