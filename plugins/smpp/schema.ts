import type { Migration, Store } from '../../core/store.ts';

/**
 * Every submit_sm the agent accepted, under the message id its submit_sm_resp gave: which account
 * sent it, the agent's message it became (null while the other parts of a concatenated message are
 * awaited), and what the delivery receipt needs (the client's source address, registered_delivery).
 * A part waiting for the others keeps its text here, so an accepted part survives a restart.
 */
export const smppMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE smpp_messages (
        smpp_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        message_id TEXT,
        concat_key TEXT,
        seq INTEGER NOT NULL DEFAULT 1,
        total INTEGER NOT NULL DEFAULT 1,
        body TEXT,
        meta TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL);
      CREATE INDEX smpp_messages_message ON smpp_messages (message_id);
      CREATE INDEX smpp_messages_concat ON smpp_messages (concat_key, seq);
      CREATE INDEX smpp_messages_age ON smpp_messages (created_at);`,
  },
];

/** What a delivery receipt and a query_sm need of the submit_sm. */
export interface SubmitMeta {
  /** The client's source_addr and its TON/NPI (a receipt's destination). */
  source: string;
  sourceTon: number;
  sourceNpi: number;
  /** destination_addr as given, and its TON/NPI (a receipt's source). */
  destination: string;
  destTon: number;
  destNpi: number;
  /** registered_delivery's bits. */
  registered: number;
  /** The first 20 characters of the text, for the receipt's `text:` (the client's own message). */
  preview: string;
}

export type SubmitState = 'waiting' | 'queued' | 'rejected';

export interface SubmitRow {
  smppId: string;
  account: string;
  messageId: string | null;
  concatKey: string | null;
  seq: number;
  total: number;
  body: string | null;
  meta: SubmitMeta;
  state: SubmitState;
  createdAt: number;
}

interface Raw {
  smpp_id: string;
  account: string;
  message_id: string | null;
  concat_key: string | null;
  seq: number;
  total: number;
  body: string | null;
  meta: string;
  state: SubmitState;
  created_at: number;
}

const row = (r: Raw): SubmitRow => ({
  smppId: r.smpp_id,
  account: r.account,
  messageId: r.message_id,
  concatKey: r.concat_key,
  seq: r.seq,
  total: r.total,
  body: r.body,
  meta: JSON.parse(r.meta) as SubmitMeta,
  state: r.state,
  createdAt: r.created_at,
});

/** How long the agent remembers submits (for receipts and query_sm): as the other doors do. */
export const KEEP_DAYS = 30;
/** A concatenated message whose parts have not all come after this long is given up. */
export const PARTS_WAIT_MS = 3600_000;

/** The table's access, one method per question. */
export class Submits {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
    store.migrate('smpp', smppMigrations);
  }

  add(r: Omit<SubmitRow, 'createdAt'>, now: number): void {
    this.#store.run(
      'INSERT INTO smpp_messages (smpp_id, account, message_id, concat_key, seq, total, body, meta, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      r.smppId, r.account, r.messageId, r.concatKey, r.seq, r.total, r.body, JSON.stringify(r.meta), r.state, now,
    );
  }

  get(smppId: string): SubmitRow | undefined {
    const r = this.#store.get<Raw>('SELECT * FROM smpp_messages WHERE smpp_id = ?', smppId);
    return r && row(r);
  }

  /** The submits one agent message came from, in part order. */
  byMessage(messageId: string): SubmitRow[] {
    return this.#store.all<Raw>('SELECT * FROM smpp_messages WHERE message_id = ? ORDER BY seq', messageId).map(row);
  }

  /** The parts received so far of one concatenated message, in part order. */
  waiting(concatKey: string): SubmitRow[] {
    return this.#store.all<Raw>("SELECT * FROM smpp_messages WHERE concat_key = ? AND state = 'waiting' ORDER BY seq", concatKey).map(row);
  }

  /** The parts became one queued message: their text is no longer kept. */
  queued(smppIds: string[], messageId: string): void {
    for (const id of smppIds) this.#store.run("UPDATE smpp_messages SET message_id = ?, state = 'queued', body = NULL WHERE smpp_id = ?", messageId, id);
  }

  reject(smppIds: string[]): void {
    for (const id of smppIds) this.#store.run("UPDATE smpp_messages SET state = 'rejected', body = NULL WHERE smpp_id = ?", id);
  }

  /** Gives up parts that waited too long for the others, and forgets what is past KEEP_DAYS. */
  prune(now: number): { expired: number; forgotten: number } {
    const expired = this.#store.run("UPDATE smpp_messages SET state = 'rejected', body = NULL WHERE state = 'waiting' AND created_at < ?", now - PARTS_WAIT_MS).changes;
    const forgotten = this.#store.run('DELETE FROM smpp_messages WHERE created_at < ?', now - KEEP_DAYS * 86_400_000).changes;
    return { expired, forgotten };
  }
}
