import { ConstantBackoff, ExponentialBackoff, handleWhen, retry, type IBackoff, type IBackoffFactory, type RetryPolicy } from 'cockatiel';
import type { Clock } from '../../core/clock.ts';
import type { OutboundRef, SmsFailed } from '../../core/events.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { Store } from '../../core/store.ts';
import { AtError, isPermanent } from './errors.ts';
import type { Parking, ParkedState } from './parking.ts';
import type { Hold, PolicyCounters, SendPolicy } from './policy.ts';

export interface RetryOptions {
  /** Retries after the first attempt (cockatiel's maxAttempts counts retries). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface OutboxDeps {
  store: Store;
  events: PluginEvents;
  clock: Clock;
  log: Logger;
  modem: string;
  retry: RetryOptions;
  /** Caps, pause and quiet hours of this SIM. */
  policy: SendPolicy;
  /** Parks this modem after permanent failures in a row. */
  parking: Parking;
}

/** The sending side of one modem for /health, /metrics and MQTT. */
export interface SendingStatus {
  counts: PolicyCounters;
  caps: Partial<PolicyCounters>;
  /** Why a new one-part message to a new number would wait now, and until when (null: it would go). */
  held: string | null;
  heldUntil: string | null;
  parked: ParkedState | null;
  /** Permanent send failures in a row. */
  failures: number;
}

/** What the worker needs from the modem. */
export interface PartSender {
  readonly online: boolean;
  /** AT+CMGS; resolves with the TP-MR the modem assigned. */
  sendPart(pdu: string, tpduLength: number): Promise<number>;
}

export interface OutboxRow {
  id: string;
  modem: string;
  recipient: string;
  text: string;
  encoding: 'gsm7' | 'ucs2';
  parts: number;
  status: string;
  /** Sends that timed out (the modem may have sent it all the same). */
  timeouts?: number;
  delivery_report: number;
  ttl_seconds: number | null;
  client_ref: string | null;
  callback_url: string | null;
  created_ms: number;
  created_at: string;
  sent_at: string | null;
  sent_ms: number | null;
  delivered_at: string | null;
  failed_at: string | null;
  error_code: number | null;
  error_message: string | null;
  send_at_ms: number | null;
  send_at: string | null;
  /** 0 high, 1 normal, 2 low. */
  priority: number;
  requested_encoding: string | null;
  validity_minutes: number | null;
  cancelled_at: string | null;
}

/** The queue order of each priority (the `priority` column). */
export const priorityRank = { high: 0, normal: 1, low: 2 } as const;
export const priorityName = ['high', 'normal', 'low'] as const;

export interface PartRow {
  message_id: string;
  part: number;
  pdu: string;
  tpdu_length: number;
  mr: number | null;
  status: string;
  report_status: number | null;
  report_text: string | null;
  sent_at: string | null;
  sent_ms: number | null;
  report_at: string | null;
}

/** The fields every event about an outbound message carries. */
export function refOf(row: OutboxRow): OutboundRef {
  const ref: OutboundRef = { messageId: row.id, to: row.recipient, modem: row.modem };
  if (row.client_ref !== null) ref.clientRef = row.client_ref;
  if (row.callback_url !== null) ref.callbackUrl = row.callback_url;
  return ref;
}

/**
 * The send worker of one modem: takes queued messages in order, sends their parts with AT+CMGS, keeps
 * each part's TP-MR, retries transient errors, expires messages whose TTL ran out, and holds back for
 * the SIM's policy (caps, pause, quiet hours: policy.ts) and while it is parked (parking.ts). Progress is committed part by part, so a restart resumes with the
 * first part not yet accepted (a modem that accepted a part but died before answering may get that
 * part twice: at-least-once, never lost).
 */
export class Outbox {
  readonly #d: OutboxDeps;
  readonly #policy: RetryPolicy;
  readonly #backoff: IBackoffFactory<undefined>;
  #wake: (() => void) | undefined;
  #woken = false;

  constructor(deps: OutboxDeps) {
    this.#d = deps;
    this.#backoff =
      deps.retry.initialDelayMs <= 0
        ? new ConstantBackoff(0)
        : new ExponentialBackoff({ initialDelay: deps.retry.initialDelayMs, maxDelay: deps.retry.maxDelayMs });
    // Only an answer known to be final fails a message (isPermanent): anything else the modem says is
    // retried. A closed port and a timeout are not retried here: the message goes back to the queue until
    // the modem is back (a timeout may be a hang, which the health check resets; retrying at once would
    // only block the queue behind another long wait).
    // cockatiel decides and counts; its own wait is zero, because it waits on the global timer: the
    // backoff is slept on the injected clock at the start of each retry (see #attempt).
    this.#policy = retry(
      handleWhen((e) => e instanceof AtError && !isPermanent(e) && e.code !== 'closed' && e.code !== 'timeout'),
      { maxAttempts: deps.retry.attempts, backoff: new ConstantBackoff(0) },
    );
    this.#policy.onRetry((r) => deps.log.warn({ err: 'error' in r ? r.error : undefined, attempt: r.attempt }, 'send failed; retrying'));
  }

  /** Sends one part under the retry policy, each retry after the backoff delay on the injected clock. */
  #attempt(part: PartRow, sender: PartSender, signal: AbortSignal): Promise<number> {
    let backoff: IBackoff<undefined> | undefined;
    return this.#policy.execute(async ({ attempt, signal: stop }) => {
      if (attempt > 0) {
        backoff = (backoff ?? this.#backoff).next(undefined);
        if (backoff.duration > 0) {
          this.#d.log.debug({ attempt, delayMs: Math.round(backoff.duration) }, 'send retry waits');
          await this.#d.clock.sleep(backoff.duration, stop);
        }
      }
      return sender.sendPart(part.pdu, part.tpdu_length);
    }, signal);
  }

  /** Something changed (a message queued, the modem came back): look again now. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  depth(): number {
    return this.#d.store.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM modem_outbox WHERE modem = ? AND status IN ('queued', 'sending') AND (send_at_ms IS NULL OR send_at_ms <= ?)`,
      this.#d.modem, this.#d.clock.now(),
    )?.n ?? 0;
  }

  /** Runs until `signal` aborts. */
  async run(sender: PartSender, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.#d;
    while (!signal.aborted) {
      this.#woken = false;
      try {
        this.expire();
        if (this.#d.parking.retryIfDue()) continue;
        let waitMs = 60_000;
        if (sender.online) {
          const { next, heldUntil, held } = this.#choose();
          if (next) {
            await this.#send(next, sender, signal);
            continue;
          }
          // Held here: the messages not pinned to this SIM may have room on another one.
          if (held && (this.onHeld?.() ?? 0) > 0) continue;
          if (heldUntil !== null) waitMs = Math.min(waitMs, Math.max(1, heldUntil - clock.now()));
        }
        const parked = this.#d.parking.parked;
        if (parked?.retryAtMs != null) waitMs = Math.min(waitMs, Math.max(1, parked.retryAtMs - clock.now()));
        const expiry = this.#nextExpiryMs();
        if (expiry !== null) waitMs = Math.min(waitMs, Math.max(0, expiry - clock.now()));
        // A scheduled message wakes the worker when it is due (online or not: then it simply waits on).
        const due = this.#nextDueMs();
        if (due !== null) waitMs = Math.min(waitMs, Math.max(0, due - clock.now()));
        await this.#sleep(waitMs, signal);
      } catch (error) {
        if (signal.aborted) return;
        log.error({ err: error }, 'send worker error');
        await this.#sleep(1000, signal);
      }
    }
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken) return;
    const local = new AbortController();
    const onAbort = () => local.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#wake = () => local.abort();
    try {
      await this.#d.clock.sleep(ms, local.signal);
    } catch {
      // woken or stopped
    } finally {
      this.#wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Called when due messages are held here; returns how many moved to another modem (the gateway's rebalance). */
  onHeld: (() => number) | undefined;

  /**
   * The due messages in the order they go: one begun first (its remaining parts; the recipient's phone
   * joins them), then by priority (high first), then in the order they were queued. A scheduled one is
   * not a candidate before its time.
   */
  #candidates(limit: number): OutboxRow[] {
    return this.#d.store.all<OutboxRow>(
      `SELECT * FROM modem_outbox WHERE modem = ? AND status IN ('queued', 'sending') AND (send_at_ms IS NULL OR send_at_ms <= ?)
       ORDER BY status = 'sending' DESC, priority, created_ms, id LIMIT ?`,
      this.#d.modem, this.#d.clock.now(), limit,
    );
  }

  /**
   * The first due message the policy lets go now (a later one may: a high-priority code in quiet
   * hours, a known recipient under a full recipient cap); else when the earliest hold ends.
   */
  #choose(): { next?: OutboxRow; held: boolean; heldUntil: number | null } {
    let heldUntil: number | null = null;
    let held = false;
    for (const row of this.#candidates(200)) {
      const hold = this.hold(row);
      if (!hold) return { next: row, held, heldUntil };
      held = true;
      if (hold.untilMs !== null) heldUntil = heldUntil === null ? hold.untilMs : Math.min(heldUntil, hold.untilMs);
    }
    return { held, heldUntil };
  }

  /** Why `row` may not go from this modem now (parked, or the policy), null when it may. */
  hold(row: OutboxRow, now = this.#d.clock.now()): Hold | null {
    const parked = this.#d.parking.parked;
    if (parked) return { reason: 'parked', untilMs: parked.retryAtMs };
    const begun = row.status === 'sending' && (this.#d.store.get('SELECT 1 FROM modem_outbox_parts WHERE message_id = ? AND mr IS NOT NULL', row.id) !== undefined);
    return this.#d.policy.hold({ recipient: row.recipient, parts: row.parts, priority: row.priority, begun }, now);
  }

  /** Counters, caps and the state of this modem's sending. */
  status(): SendingStatus {
    const { policy, parking, clock } = this.#d;
    const now = clock.now();
    const parked = parking.parked;
    const hold = parked ? { reason: 'parked', untilMs: parked.retryAtMs } : policy.hold({ recipient: '', parts: 1, priority: 1 }, now);
    return {
      counts: policy.counters(now),
      caps: policy.caps(),
      held: hold?.reason ?? null,
      heldUntil: hold?.untilMs != null ? isoWithOffset(hold.untilMs) : null,
      parked: parked ? { since: parked.since, reason: parked.reason, failures: parked.failures, retryAt: parked.retryAt } : null,
      failures: parking.failures,
    };
  }

  /** When the earliest message held for later falls due (null: none is held). */
  #nextDueMs(): number | null {
    return (
      this.#d.store.get<{ at: number | null }>(
        `SELECT MIN(send_at_ms) AS at FROM modem_outbox WHERE modem = ? AND status = 'queued' AND send_at_ms > ?`,
        this.#d.modem, this.#d.clock.now(),
      )?.at ?? null
    );
  }

  /** Ends every message of this modem whose TTL ran out before it was sent. */
  expire(): number {
    const { store, events, clock, modem } = this.#d;
    const now = clock.now();
    const due = store.all<OutboxRow>(
      `SELECT * FROM modem_outbox WHERE modem = ? AND status IN ('queued', 'sending') AND ttl_seconds IS NOT NULL AND MAX(created_ms, COALESCE(send_at_ms, 0)) + ttl_seconds * 1000 <= ?`,
      modem, now,
    );
    for (const row of due) {
      // A message whose parts are partly accepted is finished rather than cut in half.
      const sentParts = store.get<{ n: number }>('SELECT COUNT(*) AS n FROM modem_outbox_parts WHERE message_id = ? AND mr IS NOT NULL', row.id)?.n ?? 0;
      if (sentParts > 0) continue;
      store.transaction(() => {
        store.run(`UPDATE modem_outbox SET status = 'expired', failed_at = ? WHERE id = ?`, isoWithOffset(now), row.id);
        events.emit('sms.expired', { ...refOf(row), ttlSeconds: row.ttl_seconds! });
      });
      this.#d.log.info({ messageId: row.id, to: row.recipient, ttlSeconds: row.ttl_seconds }, 'sms expired before it could be sent');
    }
    return due.length;
  }

  #nextExpiryMs(): number | null {
    return (
      this.#d.store.get<{ at: number | null }>(
        `SELECT MIN(MAX(created_ms, COALESCE(send_at_ms, 0)) + ttl_seconds * 1000) AS at FROM modem_outbox WHERE modem = ? AND status IN ('queued', 'sending') AND ttl_seconds IS NOT NULL`,
        this.#d.modem,
      )?.at ?? null
    );
  }

  async #send(row: OutboxRow, sender: PartSender, signal: AbortSignal): Promise<void> {
    const { store, events, clock, log } = this.#d;
    store.run(`UPDATE modem_outbox SET status = 'sending' WHERE id = ? AND status = 'queued'`, row.id);
    const parts = store.all<PartRow>('SELECT * FROM modem_outbox_parts WHERE message_id = ? ORDER BY part', row.id);
    for (const part of parts) {
      if (part.mr !== null) continue;
      let mr: number;
      try {
        mr = await this.#attempt(part, sender, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof AtError && error.code === 'timeout') {
          const timeouts = (store.get<{ timeouts: number }>('SELECT timeouts FROM modem_outbox WHERE id = ?', row.id)?.timeouts ?? 0) + 1;
          if (timeouts <= this.#d.retry.attempts) {
            store.run(`UPDATE modem_outbox SET status = 'queued', timeouts = ? WHERE id = ?`, timeouts, row.id);
            log.warn({ messageId: row.id, part: part.part, timeouts }, 'send timed out; the message waits for the modem');
            return;
          }
        }
        if (error instanceof AtError && error.code === 'closed') {
          // The modem went away: the message waits, its accepted parts keep their references.
          store.run(`UPDATE modem_outbox SET status = 'queued' WHERE id = ?`, row.id);
          log.warn({ messageId: row.id, part: part.part }, 'modem gone while sending; the message waits for it');
          return;
        }
        this.#fail(row, error);
        return;
      }
      const now = clock.now();
      store.transaction(() => {
        store.run(
          `UPDATE modem_outbox_parts SET mr = ?, status = 'sent', sent_at = ?, sent_ms = ? WHERE message_id = ? AND part = ?`,
          mr, isoWithOffset(now), now, row.id, part.part,
        );
        // The SIM's counters move with the part the network accepted (the operator counts parts).
        this.#d.policy.record(row.recipient, row.id);
      });
    }
    const done = store.all<PartRow>('SELECT * FROM modem_outbox_parts WHERE message_id = ? ORDER BY part', row.id);
    const now = clock.now();
    store.transaction(() => {
      store.run(`UPDATE modem_outbox SET status = 'sent', sent_at = ?, sent_ms = ? WHERE id = ?`, isoWithOffset(now), now, row.id);
      events.emit('sms.sent', { ...refOf(row), parts: row.parts, sentAt: isoWithOffset(now), references: done.map((p) => p.mr!) });
      this.#d.parking.succeeded();
    });
    this.#d.policy.finished();
    log.info({ messageId: row.id, to: row.recipient, parts: row.parts }, 'sms sent');
    this.onSent?.(row.id);
  }

  /** Called after a message is marked sent (delivery reports that came early are settled then). */
  onSent: ((messageId: string) => void) | undefined;

  #fail(row: OutboxRow, error: unknown): void {
    const { store, events, clock, log } = this.#d;
    const at = error instanceof AtError ? error : undefined;
    const reason = at ? at.meaning : (error as Error)?.message ?? String(error);
    const code = at?.number;
    const now = clock.now();
    let parked = false;
    store.transaction(() => {
      store.run(
        `UPDATE modem_outbox SET status = 'failed', failed_at = ?, error_code = ?, error_message = ? WHERE id = ?`,
        isoWithOffset(now), code ?? null, reason, row.id,
      );
      store.run(`UPDATE modem_outbox_parts SET status = 'failed' WHERE message_id = ? AND mr IS NULL`, row.id);
      const data: SmsFailed = { ...refOf(row), reason, stage: 'send', state: 'failed' };
      if (code !== undefined) data.code = code;
      events.emit('sms.failed', data);
      // Only an answer known to be final counts towards parking (a SIM out of credit or barred).
      parked = at !== undefined && isPermanent(at) && this.#d.parking.failed(reason);
    });
    log.warn({ messageId: row.id, to: row.recipient, err: error }, 'sms failed');
    if (parked) this.onHeld?.();
  }
}
