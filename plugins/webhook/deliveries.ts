// The delivery log in the store: one row per (event, subscription) or (event, callback URL), with its
// attempts. Only this file writes SQL for deliveries.
import type { AnyEvent } from '../../core/events.ts';
import { newId } from '../../core/ids.ts';
import { rowToEvent } from '../../core/journal.ts';
import { redactString } from '../../core/redact.ts';
import type { Store } from '../../core/store.ts';
import { displayUrl } from './url.ts';
import type { PreparedRequest } from './request.ts';

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'held';
export const deliveryStatuses: readonly DeliveryStatus[] = ['pending', 'retrying', 'delivered', 'failed', 'held'];

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  subscription_id: string | null;
  url: string | null;
  endpoint: string;
  replay: number;
  status: DeliveryStatus;
  held_reason: string | null;
  attempts: number;
  tries: number;
  next_at: number | null;
  backoff: string | null;
  last_status: number | null;
  last_error_class: string | null;
  last_error: string | null;
  created_at: number;
  last_attempt_at: number | null;
  delivered_at: number | null;
  updated_at: number;
}

/** A due delivery with its event, as the scheduler takes it: the columns it reads, nothing more. */
export interface DueDelivery extends Pick<DeliveryRow, 'id' | 'subscription_id' | 'url' | 'endpoint' | 'status' | 'attempts' | 'tries' | 'next_at' | 'backoff' | 'created_at'> {
  event: AnyEvent | undefined;
  /** The event's data as the journal recorded it (JSON text), when the event is there. */
  eventData: string | undefined;
  /** Its request, built with its page ahead of the attempt (request.ts; a promise for an asynchronous format); the scheduler's, never stored. */
  request: PreparedRequest | Promise<PreparedRequest> | undefined;
}

export interface NewDelivery {
  eventId: string;
  eventType: string;
  subscriptionId: string | null;
  /** Per-message callbacks only: subscriptions hold their own URL. */
  url: string | null;
  endpoint: string;
  replay?: boolean;
  status?: DeliveryStatus;
  heldReason?: string | null;
  /** For a delivery that is refused before any attempt (a callback URL that is not allowed). */
  error?: { errorClass: string; message: string };
}

export interface AttemptRecord {
  /** 1-based number of this try (counted or not). */
  n: number;
  at: number;
  durationMs: number;
  outcome: string;
  /** False for attempts that did not spend the delivery's budget (the agent was offline). */
  counted: boolean;
  httpStatus: number | null;
  errorClass: string | null;
  error: string | null;
}

/** The new state of a delivery after an attempt (or a decision without one). */
export interface Outcome {
  id: string;
  status: DeliveryStatus;
  heldReason?: string | null;
  nextAt: number | null;
  backoff?: string | null;
  attempt?: AttemptRecord;
  deliveredAt?: number | null;
  /** When set without an attempt: the reason it ended or waits. */
  lastErrorClass?: string | null;
  lastError?: string | null;
}

// A due delivery and its event in one row, as an array (Store.arrays: read once per delivery while a
// backlog drains, so it becomes a plain object here, built by one literal).
const DUE_SELECT = `SELECT d.id, d.subscription_id, d.url, d.endpoint, d.status, d.attempts, d.tries, d.next_at, d.backoff, d.created_at,
    e.seq, e.id, e.type, e.ts, e.data
  FROM webhook_deliveries d LEFT JOIN journal_events e ON e.id = d.event_id`;
type DueArray = [
  id: string, subscription_id: string | null, url: string | null, endpoint: string, status: DeliveryStatus, attempts: number,
  tries: number, next_at: number | null, backoff: string | null, created_at: number,
  e_seq: number | null, e_id: string | null, e_type: string | null, e_ts: string | null, e_data: string | null,
];

function toDue(a: DueArray): DueDelivery {
  return {
    id: a[0], subscription_id: a[1], url: a[2], endpoint: a[3], status: a[4], attempts: a[5], tries: a[6], next_at: a[7], backoff: a[8], created_at: a[9],
    event: a[11] === null ? undefined : rowToEvent({ seq: a[10]!, id: a[11], type: a[12]!, ts: a[13]!, data: a[14]! }),
    eventData: a[11] === null ? undefined : a[14]!,
    request: undefined,
  };
}

export class Deliveries {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Inserts deliveries; ones that exist (the same event and target) are skipped. Returns those inserted. */
  insert(items: readonly NewDelivery[], now: number): { id: string; endpoint: string; nextAt: number | null }[] {
    const out: { id: string; endpoint: string; nextAt: number | null }[] = [];
    for (const d of items) {
      const id = newId();
      const status = d.status ?? 'pending';
      const nextAt = status === 'pending' || status === 'retrying' || d.heldReason === 'clock' ? now : null;
      const r = this.#store.run(
        `INSERT OR IGNORE INTO webhook_deliveries (id, event_id, event_type, subscription_id, url, endpoint, replay, status, held_reason,
          next_at, last_error_class, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, d.eventId, d.eventType, d.subscriptionId, d.url, d.endpoint, d.replay ? 1 : 0, status, d.heldReason ?? null,
        nextAt, d.error?.errorClass ?? null, d.error ? redactString(d.error.message) : null, now, now,
      );
      if (r.changes) out.push({ id, endpoint: d.endpoint, nextAt });
    }
    return out;
  }

  /**
   * Due deliveries of one endpoint, oldest due first, with their events; with `after`, only those
   * past that (next_at, id) position (keyset paging: rows already handed out are not read again).
   */
  due(endpoint: string, now: number, limit: number, after?: { at: number; id: string }): DueDelivery[] {
    const select = `${DUE_SELECT} WHERE d.endpoint = ? AND d.next_at IS NOT NULL AND d.next_at <= ?`;
    const rows = after
      ? this.#store.arrays<DueArray>(`${select} AND (d.next_at, d.id) > (?, ?) ORDER BY d.next_at, d.id LIMIT ?`,
          endpoint, now, after.at, after.id, limit)
      : this.#store.arrays<DueArray>(`${select} ORDER BY d.next_at, d.id LIMIT ?`, endpoint, now, limit);
    return rows.map(toDue);
  }

  /** One delivery with its event. */
  withEvent(id: string): DueDelivery | undefined {
    const [row] = this.#store.arrays<DueArray>(`${DUE_SELECT} WHERE d.id = ?`, id);
    return row ? toDue(row) : undefined;
  }

  /** The earliest `next_at` of an endpoint's waiting deliveries after `after`, if any. */
  nextDue(endpoint: string, after: number): number | undefined {
    return this.#store.get<{ at: number | null }>('SELECT MIN(next_at) AS at FROM webhook_deliveries WHERE endpoint = ? AND next_at > ?', endpoint, after)?.at ?? undefined;
  }

  /** Endpoints with waiting deliveries, and the earliest due time of each. */
  waitingEndpoints(): { endpoint: string; at: number }[] {
    return this.#store.all<{ endpoint: string; at: number }>(
      'SELECT endpoint, MIN(next_at) AS at FROM webhook_deliveries WHERE next_at IS NOT NULL GROUP BY endpoint',
    );
  }

  /** Waiting deliveries (due, scheduled or held by the clock) created at or before `cutoff`: past their maximum age. */
  expired(cutoff: number, limit: number): { id: string; endpoint: string }[] {
    return this.#store.all<{ id: string; endpoint: string }>(
      `SELECT id, endpoint FROM webhook_deliveries WHERE status IN ('pending', 'retrying', 'held') AND next_at IS NOT NULL AND created_at <= ? LIMIT ?`,
      cutoff, limit,
    );
  }

  /** When the oldest waiting delivery was created, if any waits. */
  oldestWaiting(): number | undefined {
    return this.#store.get<{ at: number | null }>(
      `SELECT MIN(created_at) AS at FROM webhook_deliveries WHERE status IN ('pending', 'retrying', 'held') AND next_at IS NOT NULL`,
    )?.at ?? undefined;
  }

  /**
   * Deliveries created while the clock was not trustworthy carry a wrong creation time (a Pi without
   * RTC reads 1970 or its image date): once it is set, their age counts from then, not from that.
   */
  rebaseCreated(notBefore: number, now: number): number {
    return this.#store.run('UPDATE webhook_deliveries SET created_at = ? WHERE created_at < ? AND next_at IS NOT NULL', now, notBefore).changes;
  }

  /**
   * The lowest journal sequence number an unfinished delivery (pending, retrying, held) still needs,
   * or null: the journal keeps that event and later ones from being pruned (Journal.retain).
   */
  lowestSeq(): number | null {
    return this.#store.get<{ seq: number | null }>(
      `SELECT MIN(e.seq) AS seq FROM webhook_deliveries d JOIN journal_events e ON e.id = d.event_id
       WHERE d.status IN ('pending', 'retrying', 'held')`,
    )?.seq ?? null;
  }

  /** Whether this endpoint ever answered (any HTTP status) in the delivery log kept. */
  answered(endpoint: string): boolean {
    return this.#store.get('SELECT 1 AS x FROM webhook_deliveries WHERE endpoint = ? AND last_status IS NOT NULL LIMIT 1', endpoint) !== undefined;
  }

  get(id: string): DeliveryRow | undefined {
    return this.#store.get<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?', id);
  }

  /** Writes outcomes (the caller wraps several in one transaction). */
  apply(outcome: Outcome, now: number): void {
    const a = outcome.attempt;
    if (a) {
      const n = a.n;
      this.#store.run(
        `INSERT INTO webhook_attempts (delivery_id, n, at, duration_ms, outcome, counted, http_status, error_class, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        outcome.id, n, a.at, Math.round(a.durationMs), a.outcome, a.counted ? 1 : 0, a.httpStatus, a.errorClass,
        a.error === null ? null : redactString(a.error),
      );
      this.#store.run(
        `UPDATE webhook_deliveries SET status = ?, held_reason = ?, next_at = ?, backoff = COALESCE(?, backoff), tries = ?,
          attempts = attempts + ?, last_status = ?, last_error_class = ?, last_error = ?, last_attempt_at = ?,
          delivered_at = COALESCE(?, delivered_at), updated_at = ? WHERE id = ?`,
        outcome.status, outcome.heldReason ?? null, outcome.nextAt, outcome.backoff ?? null, n, a.counted ? 1 : 0,
        a.httpStatus, a.errorClass, a.error === null ? null : redactString(a.error), a.at, outcome.deliveredAt ?? null, now, outcome.id,
      );
      return;
    }
    this.#store.run(
      `UPDATE webhook_deliveries SET status = ?, held_reason = ?, next_at = ?, last_error_class = COALESCE(?, last_error_class),
        last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?`,
      outcome.status, outcome.heldReason ?? null, outcome.nextAt, outcome.lastErrorClass ?? null,
      outcome.lastError ? redactString(outcome.lastError) : null, now, outcome.id,
    );
  }

  /** Holds every waiting delivery (the clock is not trustworthy); they keep their schedule. */
  holdAll(reason: string, now: number): number {
    return this.#store.run(
      `UPDATE webhook_deliveries SET status = 'held', held_reason = ?, updated_at = ? WHERE next_at IS NOT NULL AND status != 'held'`,
      reason, now,
    ).changes;
  }

  /** Releases deliveries held for `reason`. Ones held without a schedule (a disabled subscription) become due now. */
  release(reason: string, now: number, subscriptionId?: string): number {
    return this.#store.run(
      `UPDATE webhook_deliveries SET status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END, held_reason = NULL,
        next_at = COALESCE(next_at, ?), updated_at = ? WHERE status = 'held' AND held_reason = ?${subscriptionId ? ' AND subscription_id = ?' : ''}`,
      ...(subscriptionId ? [now, now, reason, subscriptionId] : [now, now, reason]),
    ).changes;
  }

  /** Holds or ends the waiting deliveries of one subscription (disabled, deleted). */
  settleForSubscription(subscriptionId: string, how: { status: 'held' | 'failed'; reason: string; message: string }, now: number): number {
    return this.#store.run(
      `UPDATE webhook_deliveries SET status = ?, held_reason = ?, next_at = NULL, last_error_class = 'local', last_error = ?, updated_at = ?
       WHERE subscription_id = ? AND next_at IS NOT NULL`,
      how.status, how.status === 'held' ? how.reason : null, how.message, now, subscriptionId,
    ).changes;
  }

  /** Makes a delivery due now (a manual retry), whatever its state; returns it, or undefined if unknown. */
  retryNow(id: string, now: number): DeliveryRow | undefined {
    this.#store.run(
      `UPDATE webhook_deliveries SET status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END, held_reason = NULL,
        next_at = ?, updated_at = ? WHERE id = ? AND status != 'delivered'`,
      now, now, id,
    );
    return this.get(id);
  }

  counts(): Record<DeliveryStatus, number> {
    const out: Record<DeliveryStatus, number> = { pending: 0, retrying: 0, delivered: 0, failed: 0, held: 0 };
    for (const r of this.#store.all<{ status: DeliveryStatus; n: number }>('SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status'))
      out[r.status] = r.n;
    return out;
  }

  list(query: { limit: number; status?: DeliveryStatus; webhookId?: string; before?: string }): DeliveryRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.webhookId) {
      where.push('subscription_id = ?');
      params.push(query.webhookId);
    }
    if (query.before) {
      where.push('id < ?');
      params.push(query.before);
    }
    params.push(query.limit);
    return this.#store.all<DeliveryRow>(
      `SELECT * FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      ...params,
    );
  }

  attempts(id: string): { n: number; at: number; duration_ms: number; outcome: string; counted: number; http_status: number | null; error_class: string | null; error: string | null }[] {
    return this.#store.all('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY n', id);
  }

  /**
   * Retention: finished deliveries (delivered, failed) older than `maxAgeMs` go, and beyond the
   * newest `maxRows` finished ones. Waiting deliveries are never pruned. Returns how many went.
   */
  prune(now: number, maxAgeMs: number, maxRows: number): number {
    return this.#store.transaction(() => {
      let n = this.#store.run(
        `DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < ?`, now - maxAgeMs,
      ).changes;
      const cut = this.#store.get<{ id: string }>(
        `SELECT id FROM webhook_deliveries WHERE status IN ('delivered', 'failed') ORDER BY id DESC LIMIT 1 OFFSET ?`, maxRows,
      );
      if (cut) n += this.#store.run(`DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND id <= ?`, cut.id).changes;
      return n;
    });
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A delivery as the API shows it: ids, type, the URL as scheme://host/path, status, counts,
 * timestamps, and per attempt its time, duration and outcome. Never a body, secret or phone number.
 */
export function publicDelivery(row: DeliveryRow, attempts?: ReturnType<Deliveries['attempts']>) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    webhookId: row.subscription_id,
    callback: row.subscription_id === null,
    replay: row.replay === 1,
    url: displayUrl(row.endpoint),
    status: row.status,
    heldReason: row.held_reason,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error_class ? { class: row.last_error_class, message: row.last_error } : null,
    createdAt: iso(row.created_at),
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: iso(row.next_at),
    deliveredAt: iso(row.delivered_at),
    ...(attempts
      ? {
          attemptLog: attempts.map((a) => ({
            n: a.n,
            at: iso(a.at),
            durationMs: a.duration_ms,
            outcome: a.outcome,
            counted: a.counted === 1,
            status: a.http_status,
            errorClass: a.error_class,
            error: a.error,
          })),
        }
      : {}),
  };
}
