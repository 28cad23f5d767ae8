import type { DoctorReport } from './doctor.ts';
import type { Clock } from '../../core/clock.ts';
import { isoWithOffset, newId } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type {
  BalanceReading, DeliveryReport, InboundMessage, Message, MessageQuery, ModemDetails, ModemStatus, OutboundMessage, OutboundPart, SendAccepted, SendRequest, ServiceErrorShape, SmsService, Thread,
  ThreadMessagesQuery, ThreadQuery, UssdResult,
} from '../../core/services.ts';
import { RequestError } from '../../core/errors.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import { checkSchedule, checkSend, MAX_PARTS, type MessageChange } from '../../core/send.ts';
import type { SqlValue } from '../../core/store.ts';
import { encodeSubmit, SmsEncodeError } from '../../core/sms/index.ts';
import type { Store } from '../../core/store.ts';
import type { Balance } from './balance.ts';
import type { KeepAlive } from './keepalive.ts';
import type { ModemDriver } from './driver.ts';
import { AtError } from './errors.ts';
import { inboundFromRow, inboxColumns, type Inbox, type InboxRow } from './inbox.ts';
import { priorityName, priorityRank, refOf, type Outbox, type OutboxRow, type PartRow } from './outbox.ts';
import type { Parking } from './parking.ts';
import type { Candidate, Hold } from './policy.ts';
import { reportColumns, reportFromRow } from './reports.ts';
import { likeEscape, listThreads, threadMessageIds } from './threads.ts';

/** A request the service refuses, in the shared vocabulary; the API answers with `status`, naming `field`. */
export class SmsServiceError extends RequestError implements ServiceErrorShape {
  override name = 'SmsServiceError';
}

/**
 * A USSD request the modem could not carry, in the shared vocabulary (REST and MQTT alike): no answer
 * in time, a modem that went away, or one that refused (ERROR, +CME/+CMS ERROR, quoted).
 */
export function ussdFailure(error: unknown): unknown {
  if (!(error instanceof AtError)) return error;
  if (error.code === 'timeout') return new SmsServiceError('ussd_timeout', 'the network did not answer in time', { cause: error });
  if (error.code === 'closed') return new SmsServiceError('modem_unavailable', error.message, { cause: error });
  if (error.code === 'at_error' || error.code === 'cme_error' || error.code === 'cms_error') return new SmsServiceError('modem_error', error.message, { cause: error });
  if (error.code === 'invalid_command') return new SmsServiceError('invalid_request', `code: ${error.message}`, { field: 'code', cause: error });
  return error;
}

export interface Member {
  driver: ModemDriver;
  outbox: Outbox;
  inbox: Inbox;
  /** Unpinned queued messages leave this modem after it has been offline this long (default 120 s). */
  failoverMs?: number;
  /** The balance reader, when the modem has a `balance` option. */
  balance?: Balance;
  parking?: Parking;
  /** The keep-alive, when the modem has a `keepAlive` option. */
  keepAlive?: KeepAlive;
}

const bad = (field: string, message: string) => new SmsServiceError('invalid_request', `${field}: ${message}`, { field });

/** encodeSubmit, its refusals as invalid_request naming the field (`charsetField`: what a charset refusal blames). */
function encode(input: Parameters<typeof encodeSubmit>[0], charsetField: 'encoding' | 'text'): ReturnType<typeof encodeSubmit> {
  try {
    return encodeSubmit(input);
  } catch (error) {
    if (error instanceof SmsEncodeError) {
      const field = error.code === 'invalid_address' ? 'to' : error.code === 'charset' ? charsetField : 'text';
      throw bad(field, error.message);
    }
    throw error;
  }
}

/**
 * The `sms` service over every modem instance: the first instance provides it, later ones join.
 * send() validates, encodes and commits the message to the outbound queue before it returns.
 */
export class SmsGateway implements SmsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #events: PluginEvents | undefined;
  readonly #members = new Map<string, Member>();
  #next = 0;

  constructor(store: Store, clock: Clock, log?: Logger, events?: PluginEvents) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
    this.#events = events;
  }

  join(member: Member): void {
    this.#members.set(member.driver.id, member);
    member.outbox.onHeld = () => this.rebalance(member.driver.id);
  }

  leave(id: string): void {
    this.#members.delete(id);
  }

  get size(): number {
    return this.#members.size;
  }

  send(request: SendRequest): SendAccepted {
    // The one validation every way in shares (REST, MQTT, the front doors): a lone surrogate, a
    // 20-digit number, 11 parts or a control character in clientRef are refused whoever calls.
    const now = this.#clock.now();
    const r = checkSend(request, now);
    const to = r.to;
    const encoded = encode({ to, text: r.text, encoding: r.encoding ?? 'auto', statusReport: r.deliveryReport ?? true, validityMinutes: r.validityMinutes }, 'encoding');
    const modem = this.#pick(r.modem, { recipient: to, parts: encoded.parts.length, priority: priorityRank[r.priority ?? 'normal'] });
    // A time within the grace (or past by the clock's own drift) is "now": nothing is held.
    const at = r.sendAt === undefined ? undefined : Date.parse(r.sendAt);
    const held = at !== undefined && at > now ? at : undefined;
    const id = newId();
    this.#store.transaction(() => {
      this.#store.run(
        `INSERT INTO modem_outbox (id, modem, pinned, recipient, text, encoding, parts, status, delivery_report, ttl_seconds, client_ref, callback_url, created_ms, created_at,
           send_at_ms, send_at, priority, requested_encoding, validity_minutes)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, modem.driver.id, r.modem ? 1 : 0, to, r.text, encoded.encoding, encoded.parts.length, r.deliveryReport === false ? 0 : 1,
        r.ttlSeconds ?? null, r.clientRef ?? null, r.callbackUrl ?? null, now, isoWithOffset(now),
        held ?? null, held === undefined ? null : isoWithOffset(held), priorityRank[r.priority ?? 'normal'], r.encoding ?? 'auto', r.validityMinutes ?? null,
      );
      this.#insertParts(id, encoded);
    });
    modem.outbox.wake();
    return { id, status: 'queued', to, parts: encoded.parts.length, encoding: encoded.encoding };
  }

  #insertParts(id: string, encoded: ReturnType<typeof encodeSubmit>): void {
    encoded.parts.forEach((p, i) =>
      this.#store.run(
        `INSERT INTO modem_outbox_parts (message_id, part, pdu, tpdu_length, status) VALUES (?, ?, ?, ?, 'queued')`,
        id, i + 1, p.pdu, p.tpduLength,
      ),
    );
  }

  /**
   * The outbound message `id` while it is still only queued (no part handed to the modem), for a
   * change or a cancel; not_found or message_not_queued otherwise. Call inside a transaction: the
   * worker marks a message `sending` synchronously before its first part goes out, so nothing can
   * slip between this check and the write that follows it.
   */
  #queued(id: string): OutboxRow {
    const row = this.#store.get<OutboxRow>('SELECT * FROM modem_outbox WHERE id = ?', id);
    if (!row) throw new SmsServiceError('not_found', 'no such outbound message', { field: 'id' });
    const begun = this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM modem_outbox_parts WHERE message_id = ? AND mr IS NOT NULL', id)?.n ?? 0;
    // A send that timed out may have reached the network all the same (the modem answered too late):
    // it is not withdrawn as if it never left.
    const timedOut = (row.timeouts ?? 0) > 0;
    if (row.status !== 'queued' || begun > 0 || timedOut) {
      const why = row.status === 'queued' || row.status === 'sending' ? 'it was handed to the modem already' : `it is ${row.status}`;
      throw new SmsServiceError('message_not_queued', `the message is no longer queued: ${why}`, { field: 'id' });
    }
    return row;
  }

  cancel(id: string): OutboundMessage {
    const now = this.#clock.now();
    const row = this.#store.transaction(() => {
      const row = this.#queued(id);
      const at = isoWithOffset(now);
      this.#store.run(`UPDATE modem_outbox SET status = 'cancelled', cancelled_at = ? WHERE id = ?`, at, id);
      this.#store.run(`UPDATE modem_outbox_parts SET status = 'failed' WHERE message_id = ?`, id);
      this.#events?.emit('sms.cancelled', { ...refOf(row), cancelledAt: at });
      return row;
    });
    this.#log?.info({ messageId: id, to: row.recipient }, 'sms cancelled before it was sent');
    this.#members.get(row.modem)?.outbox.wake();
    return this.getMessage(id) as OutboundMessage;
  }

  change(id: string, change: MessageChange): OutboundMessage {
    const now = this.#clock.now();
    const at = change.sendAt === undefined || change.sendAt === null ? change.sendAt : checkSchedule(change.sendAt, now);
    const row = this.#store.transaction(() => {
      const row = this.#queued(id);
      if (change.text !== undefined) {
        const encoding = (row.requested_encoding ?? 'auto') as 'auto' | 'gsm7' | 'ucs2';
        const encoded = encode({ to: row.recipient, text: change.text, encoding, statusReport: row.delivery_report === 1, validityMinutes: row.validity_minutes ?? undefined }, 'text');
        if (encoded.parts.length > MAX_PARTS) throw bad('text', `needs more than ${MAX_PARTS} parts`);
        this.#store.run('DELETE FROM modem_outbox_parts WHERE message_id = ?', id);
        this.#insertParts(id, encoded);
        this.#store.run('UPDATE modem_outbox SET text = ?, encoding = ?, parts = ? WHERE id = ?', change.text, encoded.encoding, encoded.parts.length, id);
      }
      if (at !== undefined) {
        const held = at !== null && at > now ? at : null;
        this.#store.run('UPDATE modem_outbox SET send_at_ms = ?, send_at = ? WHERE id = ?', held, held === null ? null : isoWithOffset(held), id);
      }
      return row;
    });
    this.#log?.info({ messageId: id, text: change.text !== undefined, sendAt: at !== undefined }, 'queued sms changed');
    this.#members.get(row.modem)?.outbox.wake();
    return this.getMessage(id) as OutboundMessage;
  }

  /**
   * The named modem; or round robin over the online ones with room for `c` under all their caps (not
   * parked, not in quiet hours); when none has room, the online one whose hold ends first; when none
   * is online, round robin over all (the message waits; failover moves it later).
   */
  #pick(id: string | undefined, c: Candidate): Member {
    if (id !== undefined) {
      const m = this.#members.get(id);
      if (!m) throw new SmsServiceError('unknown_modem', `no modem "${id}"`, { field: 'modem', status: 400 });
      return m;
    }
    const all = [...this.#members.values()];
    if (all.length === 0) throw new SmsServiceError('no_modem', 'no modem is configured', { status: 503 });
    const online = all.filter((m) => m.driver.online);
    if (online.length === 0) return all[this.#next++ % all.length]!;
    const row = { id: '', status: 'queued', recipient: c.recipient, parts: c.parts, priority: c.priority } as OutboxRow;
    const holds = online.map((m) => ({ m, hold: m.outbox.hold(row) }));
    const free = holds.filter((h) => h.hold === null).map((h) => h.m);
    if (free.length) return free[this.#next++ % free.length]!;
    const until = (h: Hold | null) => h?.untilMs ?? Infinity;
    const soonest = Math.min(...holds.map((h) => until(h.hold)));
    const first = holds.filter((h) => until(h.hold) === soonest).map((h) => h.m);
    return first[this.#next++ % first.length]!;
  }

  /**
   * Moves the due messages of modem `id` that are held there (a cap, quiet hours, parked) and not pinned
   * (nor begun: the rest of a message goes from the SIM that sent its first parts) to online modems
   * with room for them, round robin. Returns how many moved. Called by the modem's worker when it finds
   * messages held, and periodically (another SIM's day may have begun).
   */
  rebalance(id: string): number {
    const m = this.#members.get(id);
    // An offline modem keeps its messages for its grace period: failover() moves them after it.
    if (!m || !m.driver.online) return 0;
    const others = [...this.#members.values()].filter((x) => x !== m && x.driver.online);
    if (others.length === 0) return 0;
    const now = this.#clock.now();
    const moved = new Set<Member>();
    let n = 0;
    this.#store.transaction(() => {
      const rows = this.#store.all<OutboxRow>(
        `SELECT * FROM modem_outbox o WHERE modem = ? AND pinned = 0 AND status = 'queued' AND (send_at_ms IS NULL OR send_at_ms <= ?)
           AND NOT EXISTS (SELECT 1 FROM modem_outbox_parts p WHERE p.message_id = o.id AND p.mr IS NOT NULL)
         ORDER BY priority, created_ms, id LIMIT 200`,
        id, now,
      );
      for (const row of rows) {
        if (m.outbox.hold(row, now) === null) continue;
        const free = others.filter((x) => x.outbox.hold(row, now) === null);
        if (free.length === 0) continue;
        const target = free[this.#next++ % free.length]!;
        this.#store.run(`UPDATE modem_outbox SET modem = ? WHERE id = ? AND modem = ? AND status = 'queued'`, target.driver.id, row.id, id);
        moved.add(target);
        n++;
      }
    });
    if (n > 0) this.#log?.info({ modem: id, moved: n, targets: [...moved].map((t) => t.driver.id) }, 'messages held on this modem moved to modems with room');
    for (const t of moved) t.outbox.wake();
    return n;
  }

  /** Puts a parked modem back to sending (POST /modems/:id/unpark); not_found for an unknown modem, false when it was not parked. */
  unpark(id: string): boolean {
    const m = this.#members.get(id);
    if (!m) throw new SmsServiceError('not_found', `no modem "${id}"`, { field: 'id' });
    const done = m.parking?.unpark('api') ?? false;
    if (done) m.outbox.wake();
    return done;
  }

  /** Why a queued, due message is not going out now (null: it goes in its turn). */
  #holdOf(row: OutboxRow, now: number): Hold | null {
    if (row.status !== 'queued' || (row.send_at_ms !== null && row.send_at_ms > now)) return null;
    const m = this.#members.get(row.modem);
    if (!m || !m.driver.online) return { reason: 'modem offline', untilMs: null };
    return m.outbox.hold(row, now);
  }

  /**
   * Moves the messages queued on modem `id` by round robin (not pinned, not begun: a message whose first
   * parts went out must finish from the same SIM, or the recipient's phone could not join the parts) to
   * the online modems, round robin, once `id` has been offline for its grace period. Returns how many
   * moved. Pinned messages stay and wait for their modem.
   */
  failover(id: string): number {
    const m = this.#members.get(id);
    if (!m) return 0;
    const since = m.driver.offlineSince;
    if (since === null || this.#clock.now() - since < (m.failoverMs ?? 120_000)) return 0;
    const targets = [...this.#members.values()].filter((x) => x !== m && x.driver.online);
    if (targets.length === 0) return 0;
    const moved = new Set<Member>();
    let n = 0;
    this.#store.transaction(() => {
      const rows = this.#store.all<{ id: string }>(
        `SELECT id FROM modem_outbox o WHERE modem = ? AND pinned = 0 AND status = 'queued'
           AND NOT EXISTS (SELECT 1 FROM modem_outbox_parts p WHERE p.message_id = o.id AND p.mr IS NOT NULL)
         ORDER BY created_ms, id`,
        id,
      );
      for (const row of rows) {
        const target = targets[this.#next++ % targets.length]!;
        this.#store.run(`UPDATE modem_outbox SET modem = ? WHERE id = ? AND modem = ? AND status = 'queued'`, target.driver.id, row.id, id);
        moved.add(target);
        n++;
      }
    });
    if (n > 0) this.#log?.warn({ modem: id, moved: n, offlineMs: this.#clock.now() - since, targets: [...moved].map((t) => t.driver.id) }, 'modem offline past its grace period; queued messages moved');
    for (const t of moved) t.outbox.wake();
    return n;
  }

  listMessages(query: MessageQuery): Message[] {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit || 50)));
    const inbound = query.direction === 'inbound';
    // Filters that mean nothing for this direction are refused rather than ignored (an empty answer
    // would look like "no such message").
    const only = inbound ? (['status', 'to', 'clientRef'] as const) : (['from', 'read'] as const);
    for (const key of only) {
      if (query[key] !== undefined) throw new SmsServiceError('invalid_query', `${key}: applies to ${inbound ? 'outbound' : 'inbound'} messages only (direction=${inbound ? 'outbound' : 'inbound'})`, { field: key });
    }
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, value: SqlValue) => {
      where.push(sql);
      params.push(value);
    };
    if (query.before !== undefined) {
      this.#checkCursor(query.before);
      add('id < ?', query.before);
    }
    if (query.status !== undefined) add('status = ?', query.status);
    if (query.to !== undefined) add('recipient = ?', query.to);
    if (query.from !== undefined) add('sender = ?', query.from);
    if (query.modem !== undefined) add('modem = ?', query.modem);
    if (query.clientRef !== undefined) add('client_ref = ?', query.clientRef);
    const time = inbound ? 'stored_ms' : 'created_ms';
    if (query.since !== undefined) add(`${time} >= ?`, query.since);
    if (query.until !== undefined) add(`${time} < ?`, query.until);
    if (query.read !== undefined) where.push(query.read ? 'read_at IS NOT NULL' : 'read_at IS NULL');
    if (query.q !== undefined) add(`text LIKE ? ESCAPE '\\'`, likeEscape(query.q));
    if (query.number !== undefined) add(`${inbound ? 'sender' : 'recipient'} LIKE ? ESCAPE '\\'`, likeEscape(query.number));
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    if (inbound) return this.#store.all<InboxRow>(`SELECT ${inboxColumns} FROM modem_inbox ${filter} ORDER BY id DESC LIMIT ?`, ...params, limit).map(inboundFromRow);
    return this.#store.all<OutboxRow>(`SELECT * FROM modem_outbox ${filter} ORDER BY id DESC LIMIT ?`, ...params, limit).map((row) => this.#outbound(row));
  }

  /** A cursor is the id of the last message of a page: one that names nothing is a mistake, not page one. */
  #checkCursor(before: string): void {
    // Either table's ids will do (both are time-ordered UUIDv7): the Twilio door pages both merged.
    if (!this.#store.get('SELECT 1 FROM modem_outbox WHERE id = ? UNION ALL SELECT 1 FROM modem_inbox WHERE id = ?', before, before))
      throw new SmsServiceError('invalid_query', 'cursor: names no message (pass the `next` of the previous page)', { field: 'cursor' });
  }

  threads(query: ThreadQuery): Thread[] {
    if (query.before !== undefined) this.#checkCursor(query.before);
    return listThreads(this.#store, query);
  }

  threadMessages(query: ThreadMessagesQuery): Message[] {
    if (query.before !== undefined) this.#checkCursor(query.before);
    return threadMessageIds(this.#store, query).map(({ id }) => this.getMessage(id)!);
  }

  #received(id: string): InboxRow {
    const row = this.#store.get<InboxRow>(`SELECT ${inboxColumns} FROM modem_inbox WHERE id = ?`, id);
    if (!row) throw new SmsServiceError('not_found', 'no such received message', { field: 'id' });
    return row;
  }

  markRead(id: string, read: boolean): InboundMessage {
    const row = this.#received(id);
    // Marking a read message read again keeps when it was first read.
    const at = read ? (row.read_at ?? isoWithOffset(this.#clock.now())) : null;
    this.#store.run('UPDATE modem_inbox SET read_at = ? WHERE id = ?', at, id);
    return inboundFromRow({ ...row, read_at: at });
  }

  deleteReceived(id: string): InboundMessage {
    const row = this.#received(id);
    this.#store.run('DELETE FROM modem_inbox WHERE id = ?', id);
    this.#log?.info({ messageId: id }, 'received sms deleted from the store (its event stays in the journal)');
    return inboundFromRow(row);
  }

  getMessage(id: string): Message | undefined {
    const inbound = this.#store.get<InboxRow>(`SELECT ${inboxColumns} FROM modem_inbox WHERE id = ?`, id);
    if (inbound) return inboundFromRow(inbound);
    const outbound = this.#store.get<OutboxRow>('SELECT * FROM modem_outbox WHERE id = ?', id);
    return outbound ? this.#outbound(outbound) : undefined;
  }

  #outbound(row: OutboxRow): OutboundMessage {
    const parts = this.#store.all<PartRow>('SELECT * FROM modem_outbox_parts WHERE message_id = ? ORDER BY part', row.id);
    const m: OutboundMessage = {
      id: row.id,
      direction: 'outbound',
      to: row.recipient,
      text: row.text,
      encoding: row.encoding,
      parts: row.parts,
      status: row.status as OutboundMessage['status'],
      modem: row.modem,
      priority: priorityName[row.priority] ?? 'normal',
      createdAt: row.created_at,
      partDetails: parts.map((p) => {
        const d: OutboundPart = { part: p.part, mr: p.mr, status: p.status as OutboundPart['status'] };
        if (p.report_status !== null) d.reportStatus = p.report_status;
        if (p.report_text !== null) d.reportText = p.report_text;
        if (p.sent_at !== null) d.sentAt = p.sent_at;
        if (p.report_at !== null) d.reportAt = p.report_at;
        return d;
      }),
    };
    if (row.client_ref !== null) m.clientRef = row.client_ref;
    if (row.send_at !== null) m.sendAt = row.send_at;
    const hold = this.#holdOf(row, this.#clock.now());
    if (hold) {
      m.held = hold.reason;
      if (hold.untilMs !== null) m.heldUntil = isoWithOffset(hold.untilMs);
    }
    if (row.cancelled_at !== null) m.cancelledAt = row.cancelled_at;
    if (row.sent_at !== null) m.sentAt = row.sent_at;
    if (row.delivered_at !== null) m.deliveredAt = row.delivered_at;
    if (row.failed_at !== null) m.failedAt = row.failed_at;
    if (row.error_message !== null) m.error = row.error_code !== null ? { code: row.error_code, message: row.error_message } : { message: row.error_message };
    return m;
  }

  listDeliveryReports(query: { limit: number; before?: string }): DeliveryReport[] {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit || 50)));
    const rows = query.before
      ? this.#store.all<Parameters<typeof reportFromRow>[0]>(`SELECT ${reportColumns} FROM modem_reports WHERE id < ? ORDER BY id DESC LIMIT ?`, query.before, limit)
      : this.#store.all<Parameters<typeof reportFromRow>[0]>(`SELECT ${reportColumns} FROM modem_reports ORDER BY id DESC LIMIT ?`, limit);
    return rows.map(reportFromRow);
  }

  #ussdModem(id: string | undefined): Member {
    if (id !== undefined) {
      const m = this.#members.get(id);
      if (!m) throw new SmsServiceError('unknown_modem', `no modem "${id}"`, { field: 'modem', status: 400 });
      return m;
    }
    const m = [...this.#members.values()].find((x) => x.driver.online) ?? [...this.#members.values()][0];
    if (!m) throw new SmsServiceError('no_modem', 'no modem is configured', { status: 503 });
    return m;
  }

  ussd(code: string, options: { modem?: string; timeoutMs?: number } = {}): Promise<UssdResult> {
    const m = this.#ussdModem(options.modem);
    if (!m.driver.online) return Promise.reject(new SmsServiceError('modem_offline', `modem "${m.driver.id}" is offline`, { status: 503 }));
    return m.driver.ussd.request(code, options.timeoutMs ?? 30_000).catch((error: unknown) => Promise.reject(ussdFailure(error)));
  }

  ussdReply(text: string, options: { modem?: string } = {}): Promise<UssdResult> {
    const m = this.#ussdModem(options.modem);
    if (!m.driver.ussd.sessionOpen) return Promise.reject(new SmsServiceError('no_ussd_session', 'no USSD session is open', { status: 409 }));
    return m.driver.ussd.request(text, 30_000, true).catch((error: unknown) => Promise.reject(ussdFailure(error)));
  }

  ussdCancel(options: { modem?: string } = {}): Promise<void> {
    return this.#ussdModem(options.modem).driver.ussd.cancel().catch((error: unknown) => Promise.reject(ussdFailure(error)));
  }

  modems(): ModemStatus[] {
    return [...this.#members.values()].map((m) => ({
      ...m.driver.status(),
      ...(m.balance ? { balance: m.balance.last() } : {}),
      sending: m.outbox.status(),
      ...(m.keepAlive ? { keepAlive: m.keepAlive.status() } : {}),
    }));
  }

  /** Home Assistant's per-modem sensors; "today" is since local midnight of the agent's clock. */
  modemDetails(): ModemDetails[] {
    const now = this.#clock.now();
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const since = midnight.getTime();
    // failed_at is ISO with the local offset: compared as text, it sorts by time within a day.
    const sinceIso = isoWithOffset(since);
    return [...this.#members.values()].map((m) => {
      const id = m.driver.id;
      const n = (sql: string, ...args: SqlValue[]) => this.#store.get<{ n: number }>(sql, ...args)?.n ?? 0;
      return {
        id,
        ...m.driver.details(),
        queued: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE modem = ? AND status IN ('queued', 'sending') AND (send_at_ms IS NULL OR send_at_ms <= ?)`, id, now),
        sentToday: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE modem = ? AND sent_ms >= ?`, id, since),
        failedToday: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE modem = ? AND status = 'failed' AND failed_at >= ?`, id, sinceIso),
      };
    });
  }

  /** Reads a modem's balance now (plugins/modem/balance.ts); undefined when there is no such modem. */
  balance(id: string): Promise<BalanceReading> | undefined {
    const m = this.#members.get(id);
    if (!m) return undefined;
    if (!m.balance) return Promise.reject(new SmsServiceError('balance_not_configured', `modem "${id}" has no balance option (ussd, pattern)`, { status: 409 }));
    return m.balance.check('request');
  }

  /** Queued, due messages held back, by reason (smsedge_outbound_held). */
  #heldCounts(now: number): Record<string, number> {
    const counts: Record<string, number> = {};
    const rows = this.#store.all<OutboxRow>(
      `SELECT * FROM modem_outbox WHERE status = 'queued' AND (send_at_ms IS NULL OR send_at_ms <= ?) ORDER BY created_ms LIMIT 1000`, now,
    );
    for (const row of rows) {
      const hold = this.#holdOf(row, now);
      if (hold) counts[hold.reason] = (counts[hold.reason] ?? 0) + 1;
    }
    return counts;
  }

  /** The setup checks of one modem (plugins/modem/doctor.ts); undefined when there is no such modem. */
  doctor(id: string): Promise<DoctorReport> | undefined {
    return this.#members.get(id)?.driver.doctor();
  }

  stats() {
    const n = (sql: string) => this.#store.get<{ n: number }>(sql)?.n ?? 0;
    const now = this.#clock.now();
    return {
      // A message held for later (sendAt) is not a backlog: counted apart, so a queue-depth alert
      // does not fire for next month's reminders.
      outboundQueued: this.#store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM modem_outbox WHERE status IN ('queued', 'sending') AND (send_at_ms IS NULL OR send_at_ms <= ?)`, now)?.n ?? 0,
      outboundScheduled: this.#store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM modem_outbox WHERE status = 'queued' AND send_at_ms > ?`, now)?.n ?? 0,
      inboundTotal: n('SELECT COUNT(*) AS n FROM modem_inbox'),
      outboundTotal: n('SELECT COUNT(*) AS n FROM modem_outbox'),
      failedTotal: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE status = 'failed'`),
      deliveryReports: n('SELECT COUNT(*) AS n FROM modem_reports'),
      decodeErrors: n('SELECT COUNT(*) AS n FROM modem_raw'),
      resets: [...this.#members.values()].reduce((s, m) => s + m.driver.resets, 0),
      unreadOnSim: [...this.#members.values()].reduce((s, m) => s + m.driver.unreadOnSim, 0),
      held: this.#heldCounts(now),
    };
  }
}
