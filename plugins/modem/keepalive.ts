// SIM care: a prepaid SIM that sends nothing for months is switched off by its operator. A keep-alive
// sends an SMS (or runs a USSD code) when the SIM has been idle this long.
import * as v from 'valibot';
import type { Clock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import { phone } from '../../core/send.ts';
import type { KeepAliveStatus, SendAccepted, SendRequest, UssdResult } from '../../core/services.ts';
import type { Store } from '../../core/store.ts';
import { runWhenDue } from './due.ts';

/** `modem({ keepAlive: { everyDays: 60, sms: { to: '+4917...', text: 'keep-alive' } } })`, or `ussd: '*100#'`. */
export const keepAliveOptions = v.pipe(
  v.strictObject({
    /** Act when the SIM has sent nothing (no SMS, no keep-alive) for this many days. */
    everyDays: v.optional(v.pipe(v.number(), v.minValue(0.01)), 30),
    /** An SMS to this number (e.g. your own phone, or a free operator number). */
    sms: v.optional(v.strictObject({
      to: phone,
      text: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(160)), 'keep-alive'),
    })),
    /** Or a USSD code (a balance enquiry counts as activity with many operators). */
    ussd: v.optional(v.pipe(v.string(), v.regex(/^[0-9*#+]{1,182}$/, 'a USSD code of digits, * and # (e.g. *100#)'))),
  }),
  v.check((o) => (o.sms === undefined) !== (o.ussd === undefined), 'give either sms or ussd (one of them)'),
);

export type KeepAliveOptions = v.InferOutput<typeof keepAliveOptions>;

export interface KeepAliveDeps {
  modem: string;
  store: Store;
  clock: Clock;
  events: PluginEvents;
  log: Logger;
  online(): boolean;
  /** Queues an SMS pinned to this modem (the gateway's send: caps and quiet hours apply). */
  send(request: SendRequest): SendAccepted;
  ussd(code: string): Promise<UssdResult>;
}

const DAY = 86_400_000;
const RETRY_MS = 3_600_000;

/**
 * One modem's keep-alive. The last activity is the later of the last part this SIM sent
 * (modem_sends, modem_outbox) and the last keep-alive (modem_state), so a SIM in daily use never
 * gets one and a restart does not send one again. On a SIM the agent has no record of, the count
 * starts when the agent first runs with a keep-alive (kept in modem_state too).
 */
export class KeepAlive {
  readonly #o: KeepAliveOptions;
  readonly #d: KeepAliveDeps;

  constructor(options: KeepAliveOptions, deps: KeepAliveDeps) {
    this.#o = options;
    this.#d = deps;
  }

  /** The last time this SIM sent something (ms), null when never. */
  lastActivity(): number | null {
    const { store, modem } = this.#d;
    const n = (sql: string) => store.get<{ t: number | null }>(sql, modem)?.t ?? null;
    // modem_sends (indexed) holds the policy's windows only; older sends are in the outbox.
    const sent = n('SELECT MAX(sent_ms) AS t FROM modem_sends WHERE modem = ?') ?? n('SELECT MAX(sent_ms) AS t FROM modem_outbox WHERE modem = ?');
    const times = [
      sent,
      this.#state('keepalive_ms'),
      // The agent's first start with a keep-alive on a SIM it had no record of: the count starts there.
      this.#state('keepalive_since_ms'),
    ].filter((t): t is number => t !== null);
    return times.length ? Math.max(...times) : null;
  }

  #mark(key: 'keepalive_ms' | 'keepalive_since_ms', ms: number): void {
    this.#d.store.run(
      'INSERT INTO modem_state (modem, key, value) VALUES (?, ?, ?) ON CONFLICT (modem, key) DO UPDATE SET value = excluded.value',
      this.#d.modem, key, String(ms),
    );
  }

  #state(key: 'keepalive_ms' | 'keepalive_since_ms'): number | null {
    return this.#d.store.get<{ t: number }>('SELECT CAST(value AS INTEGER) AS t FROM modem_state WHERE modem = ? AND key = ?', this.#d.modem, key)?.t ?? null;
  }

  /** When the next keep-alive is due; null while the agent has no record of this SIM (before run()). */
  due(): number | null {
    const last = this.lastActivity();
    return last === null ? null : last + this.#o.everyDays * DAY;
  }

  /** For /health: the kind, the last activity and keep-alive, and when the next one is due. */
  status(): KeepAliveStatus {
    const iso = (ms: number | null) => (ms === null ? null : isoWithOffset(ms));
    return {
      kind: this.#o.sms ? 'sms' : 'ussd',
      everyDays: this.#o.everyDays,
      lastActivityAt: iso(this.lastActivity()),
      lastKeepAliveAt: iso(this.#state('keepalive_ms')),
      dueAt: iso(this.due()),
    };
  }

  /** Sends the keep-alive now; records `sim.keepalive`. Throws what the USSD request threw. */
  async now(): Promise<void> {
    const { modem, clock, events, log } = this.#d;
    const idleSince = this.lastActivity();
    const data = { modem, idleSince: idleSince === null ? null : isoWithOffset(idleSince), at: '' };
    if (this.#o.sms) {
      const accepted = this.#d.send({ to: this.#o.sms.to, text: this.#o.sms.text, modem, deliveryReport: false, priority: 'low', clientRef: 'keep-alive' });
      const now = clock.now();
      this.#mark('keepalive_ms', now);
      events.emit('sim.keepalive', { ...data, at: isoWithOffset(now), kind: 'sms', messageId: accepted.id });
    } else {
      const result = await this.#d.ussd(this.#o.ussd!);
      const now = clock.now();
      this.#mark('keepalive_ms', now);
      events.emit('sim.keepalive', { ...data, at: isoWithOffset(now), kind: 'ussd', code: this.#o.ussd!, answer: result.response });
    }
    log.info({ modem, kind: this.#o.sms ? 'sms' : 'ussd' }, 'keep-alive done: the SIM had been idle');
  }

  /** Until `signal` aborts: acts whenever the SIM has been idle for everyDays and the modem is online. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log, modem } = this.#d;
    if (this.lastActivity() === null) this.#mark('keepalive_since_ms', clock.now());
    await runWhenDue({
      clock,
      due: () => this.due() ?? clock.now(),
      online: () => this.#d.online(),
      attempt: async () => {
        try {
          await this.now();
        } catch (error) {
          log.warn({ modem, err: error }, 'keep-alive failed; trying again in an hour');
          throw error;
        }
      },
      retryAt: () => clock.now() + RETRY_MS,
    }, signal);
  }
}
