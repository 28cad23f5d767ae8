// Who did what through the API: one row per call that changed something (or was refused for a
// missing scope), with the key's name, the route (its template, e.g. /sms/messages/:id, never the
// query), the id it acted on, the answer's status and error code, the client address and the request
// id. Message texts, numbers and bodies are never copied: a target is an id, nothing else.

import type { Clock } from '../../core/clock.ts';
import type { Store } from '../../core/store.ts';
import { accessMigrations } from './keys.ts';

export interface AuditEntry {
  id: string;
  at: string;
  /** The key's name; null on an API without keys (loopback). */
  key: string | null;
  method: string;
  route: string;
  target: string | null;
  status: number;
  /** The error code of a refused call; null when it succeeded. */
  code: string | null;
  client: string | null;
  requestId: string;
}

/** What a call writes: an entry without the id and time the log gives it, its optional parts left out. */
export interface AuditRecord extends Pick<AuditEntry, 'key' | 'method' | 'route' | 'status' | 'requestId'> {
  target?: string;
  code?: string;
  client?: string;
}

export interface AuditQuery {
  limit: number;
  /** The `next` of the previous page: entries older than this one. */
  cursor?: string;
  key?: string;
  route?: string;
  since?: number;
  until?: number;
}

interface Row {
  id: number;
  at: number;
  key_name: string | null;
  method: string;
  route: string;
  target: string | null;
  status: number;
  code: string | null;
  client: string | null;
  request_id: string;
}

/** An id an audit row may name: ids are short tokens; anything longer is cut (never a text). */
const MAX_TARGET = 200;

/**
 * The audit log in the store. Rows older than `retentionDays` are removed when the log opens and
 * then once every 1000 rows written.
 *
 * @example
 * const audit = new AuditLog(store, clock, 90);
 * audit.record({ key: 'app', method: 'POST', route: '/sms/send', target: id, status: 202, requestId });
 * audit.page({ limit: 50 }) // { items: [...], next: '41' }
 */
export class AuditLog {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #retentionMs: number;
  #written = 0;

  constructor(store: Store, clock: Clock, retentionDays = 90) {
    this.#store = store;
    this.#clock = clock;
    this.#retentionMs = retentionDays * 86_400_000;
    store.migrate('access', accessMigrations);
    this.prune();
  }

  /**
   * Writes one row. Not while the disk is full: nothing the call did was stored either, and a small
   * row that fits would tell the store writes work again while sends still fail.
   */
  record(r: AuditRecord): void {
    if (this.#store.storage().status === 'fail') return;
    this.#store.run(
      'INSERT INTO audit_log (at, key_name, method, route, target, status, code, client, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      this.#clock.now(), r.key, r.method, r.route, r.target?.slice(0, MAX_TARGET) ?? null, r.status, r.code ?? null, r.client ?? null, r.requestId,
    );
    if (++this.#written % 1000 === 0) this.prune();
  }

  /** Removes the rows past the retention; returns how many. */
  prune(): number {
    return this.#store.run('DELETE FROM audit_log WHERE at < ?', this.#clock.now() - this.#retentionMs).changes;
  }

  /** A page, newest first; `next` is the cursor of the following page, null on the last one. */
  page(q: AuditQuery): { items: AuditEntry[]; next: string | null } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.cursor !== undefined) where.push('id < ?'), params.push(Number(q.cursor));
    if (q.key !== undefined) where.push('key_name = ?'), params.push(q.key);
    if (q.route !== undefined) where.push('route = ?'), params.push(q.route);
    if (q.since !== undefined) where.push('at >= ?'), params.push(q.since);
    if (q.until !== undefined) where.push('at < ?'), params.push(q.until);
    const rows = this.#store.all<Row>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      ...params, q.limit,
    );
    const items = rows.map((r) => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      key: r.key_name,
      method: r.method,
      route: r.route,
      target: r.target,
      status: r.status,
      code: r.code,
      client: r.client,
      requestId: r.request_id,
    }));
    return { items, next: items.length >= q.limit && items.length ? items[items.length - 1]!.id : null };
  }
}
