import type { Clock } from '../../core/clock.ts';
import type { SmsFailed } from '../../core/events.ts';
import { isoWithOffset, newId } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { DeliveryReport } from '../../core/services.ts';
import { statusState, type DecodedStatusReport } from '../../core/sms/index.ts';
import type { Store } from '../../core/store.ts';
import { refOf, type OutboxRow, type PartRow } from './outbox.ts';

export type ReportState = DeliveryReport['state'];

/**
 * 23.040 9.2.3.15 TP-ST in the states integrations know. Whether it is final comes from the codec's
 * statusState(): group 0 delivered; 0x20-0x3F a temporary error the SC is still trying (pending, a later
 * report follows); 0x40-0x7F final failures, named expired (0x46 validity period expired) or rejected
 * (0x41 incompatible destination, 0x42 connection rejected by the recipient, 0x63 service rejected and
 * given up) where that says more; reserved values 0x80+ are failed, as the codec treats them (the TP-ST
 * itself stays in the event). `unknown` is for a failure without any report status.
 */
export function reportState(status: number): ReportState {
  const { state } = statusState(status);
  if (state !== 'failed') return state;
  const st = status & 0xff;
  if (st === 0x46) return 'expired';
  if (st === 0x41 || st === 0x42 || st === 0x63) return 'rejected';
  return 'failed';
}

/** Same subscriber? Networks report `+4915...` for a message sent to `015...`: compare the tail. */
export function sameNumber(a: string, b: string): boolean {
  const x = a.replace(/\D/g, '');
  const y = b.replace(/\D/g, '');
  if (x === y) return true;
  const n = Math.min(x.length, y.length);
  return n >= 7 && x.slice(-Math.min(n, 9)) === y.slice(-Math.min(n, 9));
}

export interface ReportsDeps {
  store: Store;
  events: PluginEvents;
  clock: Clock;
  log: Logger;
  modem: string;
  /** A report matches a part sent at most this long ago (TP-MR wraps at 255). */
  windowMs: number;
}

/**
 * Delivery reports: matched to the part they report on by (TP-MR, recipient) among parts this modem
 * sent within the window, newest first. A message is delivered when all its parts are, failed when
 * one fails for good; either is announced once per message.
 */
export class Reports {
  readonly #d: ReportsDeps;

  constructor(deps: ReportsDeps) {
    this.#d = deps;
  }

  /** Stores a report and settles its message; runs inside the caller's transaction when there is one. */
  accept(report: DecodedStatusReport): DeliveryReport {
    const { store, clock, modem, windowMs } = this.#d;
    return store.transaction(() => {
      const now = clock.now();
      const candidates = store.all<PartRow & { recipient: string }>(
        `SELECT p.*, m.recipient FROM modem_outbox_parts p JOIN modem_outbox m ON m.id = p.message_id
         WHERE m.modem = ? AND p.mr = ? AND p.sent_ms >= ? ORDER BY p.sent_ms DESC`,
        modem, report.mr, now - windowMs,
      );
      const part = candidates.find((c) => sameNumber(c.recipient, report.recipient));
      const state = reportState(report.status);
      const row: DeliveryReport = {
        id: newId(),
        messageId: part?.message_id ?? null,
        to: report.recipient,
        mr: report.mr,
        status: report.status,
        state,
        statusText: report.meaning,
        dischargeTime: report.dischargeTime ?? null,
        receivedAt: isoWithOffset(now),
        modem,
      };
      store.run(
        `INSERT INTO modem_reports (id, message_id, recipient, mr, status, state, status_text, discharge_time, received_at, received_ms, modem)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id, row.messageId, row.to, row.mr, row.status, row.state, row.statusText, row.dischargeTime, row.receivedAt, now, modem,
      );
      if (!part) {
        this.#d.log.info({ mr: report.mr, to: report.recipient, status: report.status }, 'delivery report matches no sent part');
        return row;
      }
      const partStatus = state === 'delivered' ? 'delivered' : state === 'pending' ? 'pending' : 'failed';
      // A late "still trying" report (reports can overtake each other) never undoes a final one.
      store.run(
        `UPDATE modem_outbox_parts SET status = ?, report_status = ?, report_text = ?, report_at = ?
         WHERE message_id = ? AND part = ? AND (? != 'pending' OR status NOT IN ('delivered', 'failed'))`,
        partStatus, report.status, report.meaning, row.receivedAt, part.message_id, part.part, partStatus,
      );
      this.settle(part.message_id);
      return row;
    });
  }

  /** Moves a sent message to delivered or failed once its parts' reports say so; emits once. */
  settle(messageId: string): void {
    const { store, events, clock, log } = this.#d;
    store.transaction(() => {
      const msg = store.get<OutboxRow>('SELECT * FROM modem_outbox WHERE id = ?', messageId);
      // Only a sent message moves on: delivered/failed are final, and an unsent one is settled when sent.
      if (!msg || msg.status !== 'sent') return;
      const parts = store.all<PartRow>('SELECT * FROM modem_outbox_parts WHERE message_id = ? ORDER BY part', messageId);
      const failed = parts.find((p) => p.status === 'failed');
      const now = isoWithOffset(clock.now());
      if (failed) {
        const state = failed.report_status === null ? 'unknown' : reportState(failed.report_status);
        store.run(`UPDATE modem_outbox SET status = 'failed', failed_at = ?, error_code = ?, error_message = ? WHERE id = ?`, now, failed.report_status, failed.report_text, messageId);
        const data: SmsFailed = {
          ...refOf(msg),
          reason: failed.report_text ?? 'delivery failed',
          stage: 'delivery',
          state: state === 'rejected' || state === 'expired' || state === 'unknown' ? state : 'failed',
        };
        if (failed.report_status !== null) data.code = failed.report_status;
        events.emit('sms.failed', data);
        log.info({ messageId, to: msg.recipient, status: failed.report_status }, 'sms delivery failed');
        return;
      }
      if (parts.every((p) => p.status === 'delivered')) {
        const last = [...parts].sort((a, b) => (a.report_at ?? '').localeCompare(b.report_at ?? ''))[parts.length - 1]!;
        store.run(`UPDATE modem_outbox SET status = 'delivered', delivered_at = ? WHERE id = ?`, now, messageId);
        events.emit('sms.delivered', {
          ...refOf(msg),
          deliveredAt: now,
          status: last.report_status ?? 0,
          statusText: last.report_text ?? 'received by the recipient',
        });
        log.info({ messageId, to: msg.recipient }, 'sms delivered');
      }
    });
  }
}

export const reportColumns = 'id, message_id, recipient, mr, status, state, status_text, discharge_time, received_at, modem';

export function reportFromRow(r: {
  id: string; message_id: string | null; recipient: string; mr: number; status: number; state: ReportState;
  status_text: string; discharge_time: string | null; received_at: string; modem: string;
}): DeliveryReport {
  return {
    id: r.id, messageId: r.message_id, to: r.recipient, mr: r.mr, status: r.status, state: r.state,
    statusText: r.status_text, dischargeTime: r.discharge_time, receivedAt: r.received_at, modem: r.modem,
  };
}
