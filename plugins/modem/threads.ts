// Conversations over the stored messages: a thread is every message to and from one number through
// one modem (both tables, merged by id: ids are UUIDv7, so they sort by time across the two).
import type { OutboundStatus, Thread, ThreadMessagesQuery, ThreadQuery } from '../../core/services.ts';
import type { SqlValue, Store } from '../../core/store.ts';

/** Both directions as one relation: the columns a thread needs. */
const BOTH = `SELECT id, modem, sender AS number, text, 'inbound' AS direction, stored_at AS at, NULL AS status FROM modem_inbox
  UNION ALL SELECT id, modem, recipient AS number, text, 'outbound' AS direction, created_at AS at, status FROM modem_outbox`;

/** `%` and `_` match themselves in a LIKE pattern. */
export const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

interface ThreadRow {
  number: string;
  modem: string;
  last_id: string;
  n: number;
  inbound: number;
}

interface LastRow {
  id: string;
  direction: 'inbound' | 'outbound';
  text: string | null;
  at: string;
  status: string | null;
}

/**
 * Threads, newest activity first. `q` matches a thread whose number contains its digits (when it has
 * any) or any of whose messages contains it as text. A full scan of both tables: fine for the tens of
 * thousands of messages a gateway on a Pi keeps.
 */
export function listThreads(store: Store, query: ThreadQuery): Thread[] {
  const limit = Math.max(1, Math.min(500, Math.floor(query.limit || 50)));
  const where: string[] = [];
  const having: string[] = [];
  const params: SqlValue[] = [];
  const havingParams: SqlValue[] = [];
  if (query.modem !== undefined) {
    where.push('modem = ?');
    params.push(query.modem);
  }
  if (query.before !== undefined) {
    having.push('MAX(id) < ?');
    havingParams.push(query.before);
  }
  if (query.q !== undefined) {
    // "+1 555 0100" finds +15550100…: the number is matched on its digits when the query has nothing else.
    const digits = query.q.replace(/[\s()+.-]/g, '');
    having.push(`(number LIKE ? ESCAPE '\\' OR SUM(text LIKE ? ESCAPE '\\') > 0)`);
    havingParams.push(likeEscape(/^\d+$/.test(digits) ? digits : query.q), likeEscape(query.q));
  }
  const rows = store.all<ThreadRow>(
    `SELECT number, modem, MAX(id) AS last_id, COUNT(*) AS n, SUM(direction = 'inbound') AS inbound
       FROM (${BOTH}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY number, modem ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
      ORDER BY last_id DESC LIMIT ?`,
    ...params, ...havingParams, limit,
  );
  return rows.map((r) => {
    const last = store.get<LastRow>(`SELECT id, direction, text, at, status FROM (${BOTH}) WHERE id = ?`, r.last_id)!;
    return {
      number: r.number,
      modem: r.modem,
      messages: r.n,
      inbound: r.inbound,
      last: { id: last.id, direction: last.direction, text: last.text, at: last.at, ...(last.status === null ? {} : { status: last.status as OutboundStatus }) },
    };
  });
}

/** The ids of one thread's messages, newest first (the caller reads each message whole). */
export function threadMessageIds(store: Store, query: ThreadMessagesQuery): { id: string; direction: 'inbound' | 'outbound' }[] {
  const limit = Math.max(1, Math.min(500, Math.floor(query.limit || 50)));
  const params: SqlValue[] = [query.number, query.modem, query.number, query.modem];
  const before = query.before === undefined ? '' : 'WHERE id < ?';
  if (query.before !== undefined) params.push(query.before);
  return store.all<{ id: string; direction: 'inbound' | 'outbound' }>(
    `SELECT id, direction FROM (
       SELECT id, 'inbound' AS direction FROM modem_inbox WHERE sender = ? AND modem = ?
       UNION ALL SELECT id, 'outbound' AS direction FROM modem_outbox WHERE recipient = ? AND modem = ?) ${before}
     ORDER BY id DESC LIMIT ?`,
    ...params, limit,
  );
}
