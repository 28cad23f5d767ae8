import type { Clock } from '../../core/clock.ts';
import type { SendCounters } from '../../core/services.ts';
import type { Store } from '../../core/store.ts';
import { dayBounds, minutesOf, monthBounds, windowEnd } from './zoned.ts';

/** One modem's sending policy (`modem({ policy })`), resolved: caps count SMS parts, as operators bill them. */
export interface PolicySettings {
  perMinute?: number;
  perHour?: number;
  perDay?: number;
  perMonth?: number;
  /** Distinct recipients in any rolling 30 days (some "unlimited" plans allow 99-250). */
  recipientsPer30Days?: number;
  /** A random pause between two sends of this SIM, in seconds. */
  pauseSeconds?: { min: number; max: number };
  /** A daily window without sends (`22:00`-`07:00`); high-priority messages pass it. */
  quietHours?: { from: string; to: string };
  /** The IANA zone of the SIM's calendar days, months and quiet hours. */
  timeZone: string;
}

/** Why a queued message is not going out now, in the words the API, MQTT and metrics show. */
export type HeldReason =
  | 'minute cap' | 'hourly cap' | 'daily cap' | 'monthly cap' | 'recipient cap' | 'quiet hours' | 'pause' | 'parked' | 'modem offline';

export const heldReasons: readonly HeldReason[] = [
  'minute cap', 'hourly cap', 'daily cap', 'monthly cap', 'recipient cap', 'quiet hours', 'pause', 'parked', 'modem offline',
];

export interface Hold {
  reason: HeldReason;
  /** When it may go (null: not known, e.g. a modem that is offline). */
  untilMs: number | null;
}

/** What a hold is decided on. */
export interface Candidate {
  recipient: string;
  parts: number;
  /** 0 high, 1 normal, 2 low. */
  priority: number;
  /** Some parts went out already: the rest follow without a new cap check (the phone joins them). */
  begun?: boolean;
}

/** The counters of one SIM, as /health, /metrics and MQTT show them. */
export type PolicyCounters = SendCounters;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAYS_30 = 30 * 86_400_000;
/** Sends older than this are of no cap's concern (the longest window: a 31-day month, the 30 rolling days). */
const KEEP_MS = 32 * 86_400_000;

/**
 * The caps, pause and quiet hours of one SIM. Each part accepted by the network is a row in
 * `modem_sends` (committed with the part), so the counters are the store's and survive restarts;
 * the day and month are the calendar's in the policy's time zone.
 *
 * @example
 * const policy = new SendPolicy({ store, clock, modem: 'a', settings: { perDay: 100, timeZone: 'Europe/Berlin' } });
 * policy.hold({ recipient: '+4915...', parts: 1, priority: 1 }); // null, or { reason: 'daily cap', untilMs }
 */
export class SendPolicy {
  readonly settings: PolicySettings;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #modem: string;
  readonly #random: () => number;
  /** The pause after the last send ends here (ms); from the store's last send after a restart. */
  #pauseUntil: number | undefined;
  #prunedAt = 0;

  constructor(deps: { store: Store; clock: Clock; modem: string; settings: PolicySettings; random?: () => number }) {
    this.settings = deps.settings;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#modem = deps.modem;
    this.#random = deps.random ?? Math.random;
  }

  /** Counts one part sent to `recipient` now (call in the statement's transaction that marks it sent). */
  record(recipient: string, messageId: string | null = null): void {
    this.#store.run('INSERT INTO modem_sends (modem, recipient, sent_ms, message_id) VALUES (?, ?, ?, ?)', this.#modem, recipient, this.#clock.now(), messageId);
  }

  /** A whole message went out: the next one waits for a pause drawn between min and max. */
  finished(): void {
    const now = this.#clock.now();
    const pause = this.settings.pauseSeconds;
    if (pause) this.#pauseUntil = now + (pause.min + (pause.max - pause.min) * this.#random()) * 1000;
    if (now - this.#prunedAt >= HOUR) this.prune();
  }

  /** Forgets sends no window looks at any more. */
  prune(): number {
    this.#prunedAt = this.#clock.now();
    return Number(this.#store.run('DELETE FROM modem_sends WHERE modem = ? AND sent_ms < ?', this.#modem, this.#clock.now() - KEEP_MS).changes);
  }

  counters(now = this.#clock.now()): PolicyCounters {
    const tz = this.settings.timeZone;
    const count = (since: number) => this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM modem_sends WHERE modem = ? AND sent_ms >= ?', this.#modem, since)?.n ?? 0;
    return {
      minute: count(now - MINUTE + 1),
      hour: count(now - HOUR + 1),
      day: count(dayBounds(now, tz).start),
      month: count(monthBounds(now, tz).start),
      recipients30Days: this.#store.get<{ n: number }>('SELECT COUNT(DISTINCT recipient) AS n FROM modem_sends WHERE modem = ? AND sent_ms > ?', this.#modem, now - DAYS_30)?.n ?? 0,
    };
  }

  /** The caps that are set, by the counter each limits. */
  caps(): Partial<PolicyCounters> {
    const s = this.settings;
    const caps: Partial<PolicyCounters> = {};
    if (s.perMinute) caps.minute = s.perMinute;
    if (s.perHour) caps.hour = s.perHour;
    if (s.perDay) caps.day = s.perDay;
    if (s.perMonth) caps.month = s.perMonth;
    if (s.recipientsPer30Days) caps.recipients30Days = s.recipientsPer30Days;
    return caps;
  }

  /**
   * Why `m` may not go from this SIM now, and until when; null when it may. The longest hold wins:
   * a message under a full daily cap and in quiet hours waits for whichever ends later.
   */
  hold(m: Candidate, now = this.#clock.now()): Hold | null {
    const s = this.settings;
    const holds: Hold[] = [];
    if (s.quietHours && m.priority > 0) {
      const end = windowEnd(now, s.timeZone, minutesOf(s.quietHours.from), minutesOf(s.quietHours.to));
      if (end !== null) holds.push({ reason: 'quiet hours', untilMs: end });
    }
    if (!m.begun) {
      const pauseUntil = this.#pause();
      if (pauseUntil !== undefined && pauseUntil > now) holds.push({ reason: 'pause', untilMs: pauseUntil });
      // A message needs room for all its parts (a cap smaller than the message: the whole cap).
      const rolling = (cap: number | undefined, windowMs: number, reason: HeldReason) => {
        if (!cap) return;
        const need = Math.min(m.parts, cap);
        const times = this.#store.all<{ t: number }>('SELECT sent_ms AS t FROM modem_sends WHERE modem = ? AND sent_ms > ? ORDER BY sent_ms', this.#modem, now - windowMs).map((r) => r.t);
        const over = times.length + need - cap;
        if (over > 0) holds.push({ reason, untilMs: times[over - 1]! + windowMs });
      };
      const calendar = (cap: number | undefined, bounds: { start: number; end: number }, reason: HeldReason) => {
        if (!cap) return;
        const n = this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM modem_sends WHERE modem = ? AND sent_ms >= ?', this.#modem, bounds.start)?.n ?? 0;
        if (n + Math.min(m.parts, cap) > cap) holds.push({ reason, untilMs: bounds.end });
      };
      rolling(s.perMinute, MINUTE, 'minute cap');
      rolling(s.perHour, HOUR, 'hourly cap');
      calendar(s.perDay, dayBounds(now, s.timeZone), 'daily cap');
      calendar(s.perMonth, monthBounds(now, s.timeZone), 'monthly cap');
      const recipientHold = this.#recipientHold(m.recipient, now);
      if (recipientHold) holds.push(recipientHold);
    }
    if (holds.length === 0) return null;
    return holds.reduce((a, b) => ((b.untilMs ?? Infinity) > (a.untilMs ?? Infinity) ? b : a));
  }

  /** A new recipient needs room among the distinct ones of the last 30 days; one written to already does not. */
  #recipientHold(recipient: string, now: number): Hold | null {
    const cap = this.settings.recipientsPer30Days;
    if (!cap) return null;
    const since = now - DAYS_30;
    if (this.#store.get('SELECT 1 FROM modem_sends WHERE modem = ? AND recipient = ? AND sent_ms > ? LIMIT 1', this.#modem, recipient, since)) return null;
    // Each recipient leaves the window 30 days after the last message to them.
    const last = this.#store.all<{ t: number }>(
      'SELECT MAX(sent_ms) AS t FROM modem_sends WHERE modem = ? AND sent_ms > ? GROUP BY recipient ORDER BY t', this.#modem, since,
    ).map((r) => r.t);
    const over = last.length + 1 - cap;
    return over > 0 ? { reason: 'recipient cap', untilMs: last[over - 1]! + DAYS_30 } : null;
  }

  /** The end of the pause after the last send; after a restart, the shortest pause after the store's last send. */
  #pause(): number | undefined {
    const pause = this.settings.pauseSeconds;
    if (!pause) return undefined;
    if (this.#pauseUntil === undefined) {
      const last = this.#store.get<{ t: number | null }>('SELECT MAX(sent_ms) AS t FROM modem_sends WHERE modem = ?', this.#modem)?.t ?? null;
      this.#pauseUntil = last === null ? 0 : last + pause.min * 1000;
    }
    return this.#pauseUntil;
  }
}
