import type { Migration, Store } from '../../core/store.ts';

/**
 * Who wrote to a number last (the thread an SMS answer from that number goes back to), and which
 * mails were turned into SMS already (a client that lost our 250 sends the same mail again: it is
 * answered 250 without a second SMS).
 */
export const smtpMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE smtp_threads (
        number TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        writer TEXT NOT NULL,
        subject TEXT NOT NULL,
        mail_id TEXT,
        refs TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL);
      CREATE TABLE smtp_mails (
        sender TEXT NOT NULL,
        mail_id TEXT NOT NULL,
        number TEXT NOT NULL,
        message_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (sender, mail_id, number));
      CREATE INDEX smtp_mails_age ON smtp_mails (created_at);`,
  },
];

/** How long a mail's Message-ID is remembered to refuse a resent copy. */
export const SEEN_DAYS = 7;

/** `+4917...`, `004917...` and `4917...` are one number; a national `017...` is another. */
export function numberKey(number: string): string {
  return number.replace(/^\+/, '').replace(/^00/, '');
}

export interface Thread {
  /** The number as the mail named it (`+4917...@domain`): the answer's Reply-To. */
  address: string;
  /** Where the answer goes. */
  writer: string;
  subject: string;
  /** The last mail's Message-ID (for In-Reply-To), and its References chain. */
  mailId: string | null;
  refs: string;
  updatedAt: number;
}

/**
 * The plugin's view of its two tables.
 *
 * @example
 * const threads = new Threads(ctx.store);
 * threads.remember('+15550100100', { writer: 'ops@example.com', subject: 'disk', mailId: '<a@b>', refs: '' }, now);
 */
export class Threads {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
    store.migrate('smtp', smtpMigrations);
  }

  /** Call inside the transaction that queued the SMS: a crash keeps both or neither. */
  remember(number: string, thread: Omit<Thread, 'address' | 'updatedAt'>, now: number): void {
    this.#store.run(
      `INSERT INTO smtp_threads (number, address, writer, subject, mail_id, refs, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (number) DO UPDATE SET address = excluded.address, writer = excluded.writer, subject = excluded.subject,
         mail_id = excluded.mail_id, refs = excluded.refs, updated_at = excluded.updated_at`,
      numberKey(number), number, thread.writer, thread.subject, thread.mailId, thread.refs, now,
    );
  }

  /** The thread of a number, when someone wrote to it since `since` (ms). */
  of(number: string, since: number): Thread | undefined {
    const r = this.#store.get<{ address: string; writer: string; subject: string; mail_id: string | null; refs: string; updated_at: number }>(
      'SELECT * FROM smtp_threads WHERE number = ? AND updated_at >= ?', numberKey(number), since,
    );
    return r && { address: r.address, writer: r.writer, subject: r.subject, mailId: r.mail_id, refs: r.refs, updatedAt: r.updated_at };
  }

  /** The SMS a mail (by sender and Message-ID) became for a number before, if it was seen. */
  seen(sender: string, mailId: string, number: string): string | undefined {
    return this.#store.get<{ message_id: string }>('SELECT message_id FROM smtp_mails WHERE sender = ? AND mail_id = ? AND number = ?', sender, mailId, numberKey(number))
      ?.message_id;
  }

  /** Records that a mail became this SMS (inside the queueing transaction). */
  markSeen(sender: string, mailId: string, number: string, messageId: string, now: number): void {
    this.#store.run('INSERT OR IGNORE INTO smtp_mails (sender, mail_id, number, message_id, created_at) VALUES (?, ?, ?, ?, ?)', sender, mailId, numberKey(number), messageId, now);
  }

  /** Forgets seen mails past SEEN_DAYS and threads older than `threadDays`. */
  prune(now: number, threadDays: number): void {
    this.#store.run('DELETE FROM smtp_mails WHERE created_at < ?', now - SEEN_DAYS * 86_400_000);
    this.#store.run('DELETE FROM smtp_threads WHERE updated_at < ?', now - threadDays * 86_400_000);
  }
}
