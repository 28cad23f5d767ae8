import type { Store } from '../../core/store.ts';

export const rulesMigrations = [
  {
    version: 1,
    up: `CREATE TABLE rules_results (
        event_id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        blocked INTEGER NOT NULL,
        tags TEXT NOT NULL,
        matched TEXT NOT NULL,
        actions TEXT NOT NULL,
        updated_ms INTEGER NOT NULL);
      CREATE INDEX rules_results_message ON rules_results (message_id);
      CREATE INDEX rules_results_updated ON rules_results (updated_ms);
      CREATE TABLE rules_replies (
        number TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        text_hash TEXT NOT NULL);
      CREATE INDEX rules_replies_number ON rules_replies (number, at_ms);
      CREATE INDEX rules_replies_hash ON rules_replies (text_hash, at_ms);
      CREATE TABLE rules_optouts (
        number TEXT PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        rule TEXT NOT NULL);`,
  },
];

/** What became of one action of a matched rule. */
export interface ActionResult {
  /** `<rule index>.<action index>` in the config. */
  key: string;
  rule: string;
  action: 'forward' | 'reply' | 'optOut' | 'optIn';
  /** The channel, for a forward. */
  target?: string;
  status: 'pending' | 'done' | 'failed' | 'skipped';
  attempts: number;
  /** Why it failed or was skipped (`cooldown`, `rate_limited`, `not_replyable`, `own_reply`, `opted_out`, a channel error code). */
  reason?: string;
  /** The SMS an answered reply queued. */
  messageId?: string;
  at: string;
}

/** The rules' verdict on one event, as stored and shown on the message in the API. */
export interface RuleResult {
  eventId: string;
  eventType: string;
  blocked: boolean;
  tags: string[];
  matched: string[];
  actions: ActionResult[];
}

interface Row {
  event_id: string;
  event_type: string;
  blocked: number;
  tags: string;
  matched: string;
  actions: string;
}

const toResult = (row: Row): RuleResult => ({
  eventId: row.event_id,
  eventType: row.event_type,
  blocked: row.blocked === 1,
  tags: JSON.parse(row.tags),
  matched: JSON.parse(row.matched),
  actions: JSON.parse(row.actions),
});

/** How long results and reply records are kept. */
const keepMs = 90 * 24 * 3600_000;

/** The rules plugin's tables: results per event, the replies sent (rate limits), the opt-out list. */
export class RulesStore {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
    store.migrate('rules', rulesMigrations);
  }

  get store(): Store {
    return this.#store;
  }

  result(eventId: string): RuleResult | undefined {
    const row = this.#store.get<Row>('SELECT * FROM rules_results WHERE event_id = ?', eventId);
    return row ? toResult(row) : undefined;
  }

  /** Every event's result about one message (its sms.received; a sent message's sent/delivered/failed). */
  forMessage(messageId: string): RuleResult[] {
    return this.#store.all<Row>('SELECT * FROM rules_results WHERE message_id = ? ORDER BY updated_ms, event_id', messageId).map(toResult);
  }

  save(messageId: string, result: RuleResult, now: number): void {
    this.#store.run(
      `INSERT INTO rules_results (event_id, message_id, event_type, blocked, tags, matched, actions, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET blocked = excluded.blocked, tags = excluded.tags, matched = excluded.matched, actions = excluded.actions, updated_ms = excluded.updated_ms`,
      result.eventId,
      messageId,
      result.eventType,
      result.blocked ? 1 : 0,
      JSON.stringify(result.tags),
      JSON.stringify(result.matched),
      JSON.stringify(result.actions),
      now,
    );
  }

  /** Replies sent to `number` since `sinceMs`, newest first. */
  repliesTo(number: string, sinceMs: number): number[] {
    return this.#store.all<{ at_ms: number }>('SELECT at_ms FROM rules_replies WHERE number = ? AND at_ms >= ? ORDER BY at_ms DESC', number, sinceMs).map((r) => r.at_ms);
  }

  /** Whether a reply with this text was sent (to anyone) since `sinceMs`. */
  sentText(hash: string, sinceMs: number): boolean {
    return this.#store.get('SELECT 1 AS x FROM rules_replies WHERE text_hash = ? AND at_ms >= ?', hash, sinceMs) !== undefined;
  }

  recordReply(number: string, hash: string, now: number): void {
    this.#store.run('INSERT INTO rules_replies (number, at_ms, text_hash) VALUES (?, ?, ?)', number, now, hash);
  }

  optedOut(number: string): boolean {
    return this.#store.get('SELECT 1 AS x FROM rules_optouts WHERE number = ?', number) !== undefined;
  }

  optOut(number: string, rule: string, now: number): void {
    this.#store.run('INSERT OR IGNORE INTO rules_optouts (number, at_ms, rule) VALUES (?, ?, ?)', number, now, rule);
  }

  optIn(number: string): boolean {
    return this.#store.run('DELETE FROM rules_optouts WHERE number = ?', number).changes > 0;
  }

  optOuts(): { number: string; at: string; rule: string }[] {
    return this.#store
      .all<{ number: string; at_ms: number; rule: string }>('SELECT number, at_ms, rule FROM rules_optouts ORDER BY at_ms DESC')
      .map((r) => ({ number: r.number, at: new Date(r.at_ms).toISOString(), rule: r.rule }));
  }

  prune(now: number): void {
    this.#store.run('DELETE FROM rules_results WHERE updated_ms < ?', now - keepMs);
    this.#store.run('DELETE FROM rules_replies WHERE at_ms < ?', now - 24 * 3600_000);
  }
}
