import type { DoctorReport } from './doctor.ts';
import type { Clock } from '../../core/clock.ts';
import { isoWithOffset, newId } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type {
  DeliveryReport, Message, ModemStatus, OutboundMessage, OutboundPart, SendAccepted, SendRequest, ServiceErrorShape, SmsService, UssdResult,
} from '../../core/services.ts';
import { RequestError } from '../../core/errors.ts';
import { checkSend } from '../../core/send.ts';
import { encodeSubmit, SmsEncodeError } from '../../core/sms/index.ts';
import type { Store } from '../../core/store.ts';
import type { ModemDriver } from './driver.ts';
import { AtError } from './errors.ts';
import { inboundFromRow, inboxColumns, type Inbox, type InboxRow } from './inbox.ts';
import type { Outbox, OutboxRow, PartRow } from './outbox.ts';
import { reportColumns, reportFromRow } from './reports.ts';

/** A request the service refuses, in the shared vocabulary; the API answers with `status`, naming `field`. */
export class SmsServiceError extends RequestError implements ServiceErrorShape {
  override name = 'SmsServiceError';
}

/**
 * A USSD request the modem could not carry, in the shared vocabulary (REST and MQTT alike): no answer
 * in time, a modem that went away, or one that refused (ERROR, +CME/+CMS ERROR, quoted).
 */
function ussdFailure(error: unknown): unknown {
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
}

const bad = (field: string, message: string) => new SmsServiceError('invalid_request', `${field}: ${message}`, { field });

/**
 * The `sms` service over every modem instance: the first instance provides it, later ones join.
 * send() validates, encodes and commits the message to the outbound queue before it returns.
 */
export class SmsGateway implements SmsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #members = new Map<string, Member>();
  #next = 0;

  constructor(store: Store, clock: Clock, log?: Logger) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  join(member: Member): void {
    this.#members.set(member.driver.id, member);
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
    const r = checkSend(request);
    const to = r.to;
    const modem = this.#pick(r.modem);
    let encoded: ReturnType<typeof encodeSubmit>;
    try {
      encoded = encodeSubmit({ to, text: r.text, encoding: r.encoding ?? 'auto', statusReport: r.deliveryReport ?? true, validityMinutes: r.validityMinutes });
    } catch (error) {
      if (error instanceof SmsEncodeError) {
        const field = error.code === 'invalid_address' ? 'to' : error.code === 'charset' ? 'encoding' : 'text';
        throw bad(field, error.message);
      }
      throw error;
    }
    const id = newId();
    const now = this.#clock.now();
    this.#store.transaction(() => {
      this.#store.run(
        `INSERT INTO modem_outbox (id, modem, pinned, recipient, text, encoding, parts, status, delivery_report, ttl_seconds, client_ref, callback_url, created_ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
        id, modem.driver.id, r.modem ? 1 : 0, to, r.text, encoded.encoding, encoded.parts.length, r.deliveryReport === false ? 0 : 1,
        r.ttlSeconds ?? null, r.clientRef ?? null, r.callbackUrl ?? null, now, isoWithOffset(now),
      );
      encoded.parts.forEach((p, i) =>
        this.#store.run(
          `INSERT INTO modem_outbox_parts (message_id, part, pdu, tpdu_length, status) VALUES (?, ?, ?, ?, 'queued')`,
          id, i + 1, p.pdu, p.tpduLength,
        ),
      );
    });
    modem.outbox.wake();
    return { id, status: 'queued', to, parts: encoded.parts.length, encoding: encoded.encoding };
  }

  /** The named modem, or round robin over the online ones (over all when none is online: the message waits). */
  #pick(id: string | undefined): Member {
    if (id !== undefined) {
      const m = this.#members.get(id);
      if (!m) throw new SmsServiceError('unknown_modem', `no modem "${id}"`, { field: 'modem', status: 400 });
      return m;
    }
    const all = [...this.#members.values()];
    if (all.length === 0) throw new SmsServiceError('no_modem', 'no modem is configured', { status: 503 });
    const online = all.filter((m) => m.driver.online);
    const pool = online.length ? online : all;
    return pool[this.#next++ % pool.length]!;
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

  listMessages(query: { direction: 'inbound' | 'outbound'; limit: number; before?: string }): Message[] {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit || 50)));
    if (query.direction === 'inbound') {
      const rows = query.before
        ? this.#store.all<InboxRow>(`SELECT ${inboxColumns} FROM modem_inbox WHERE id < ? ORDER BY id DESC LIMIT ?`, query.before, limit)
        : this.#store.all<InboxRow>(`SELECT ${inboxColumns} FROM modem_inbox ORDER BY id DESC LIMIT ?`, limit);
      return rows.map(inboundFromRow);
    }
    const rows = query.before
      ? this.#store.all<OutboxRow>('SELECT * FROM modem_outbox WHERE id < ? ORDER BY id DESC LIMIT ?', query.before, limit)
      : this.#store.all<OutboxRow>('SELECT * FROM modem_outbox ORDER BY id DESC LIMIT ?', limit);
    return rows.map((row) => this.#outbound(row));
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
    return [...this.#members.values()].map((m) => m.driver.status());
  }

  /** The setup checks of one modem (plugins/modem/doctor.ts); undefined when there is no such modem. */
  doctor(id: string): Promise<DoctorReport> | undefined {
    return this.#members.get(id)?.driver.doctor();
  }

  stats() {
    const n = (sql: string) => this.#store.get<{ n: number }>(sql)?.n ?? 0;
    return {
      outboundQueued: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE status IN ('queued', 'sending')`),
      inboundTotal: n('SELECT COUNT(*) AS n FROM modem_inbox'),
      outboundTotal: n('SELECT COUNT(*) AS n FROM modem_outbox'),
      failedTotal: n(`SELECT COUNT(*) AS n FROM modem_outbox WHERE status = 'failed'`),
      deliveryReports: n('SELECT COUNT(*) AS n FROM modem_reports'),
      decodeErrors: n('SELECT COUNT(*) AS n FROM modem_raw'),
      resets: [...this.#members.values()].reduce((s, m) => s + m.driver.resets, 0),
      unreadOnSim: [...this.#members.values()].reduce((s, m) => s + m.driver.unreadOnSim, 0),
    };
  }
}
