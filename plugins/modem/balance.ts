// SIM care: the prepaid balance, read with a USSD code (27.007 7.15) on a schedule and on demand.
import * as v from 'valibot';
import type { Clock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { BalanceReading, UssdResult } from '../../core/services.ts';
import type { Migration, Store } from '../../core/store.ts';
import { RequestError } from '../../core/errors.ts';
import { runWhenDue } from './due.ts';

/** A pattern compiles and names its `amount` group (a config error names the key otherwise). */
const amountPattern = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      return new RegExp(s).source.includes('?<amount>');
    } catch {
      return false;
    }
  }, 'a regular expression with a named group (?<amount>...), e.g. "(?<amount>[0-9]+[.,][0-9]{2})"'),
);

/** `modem({ balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+)', everyHours: 24, low: 2 } })` */
export const balanceOptions = v.strictObject({
  /** The operator's balance code. */
  ussd: v.pipe(v.string(), v.regex(/^[0-9*#+]{1,182}$/, 'a USSD code of digits, * and # (e.g. *100#)')),
  /** Finds the amount in the answer: a named group `amount` (and optionally `currency`). */
  pattern: v.optional(amountPattern, '(?<amount>[0-9]+(?:[.,][0-9]+)?)'),
  /** Read it every this many hours; 0 = only on demand. */
  everyHours: v.optional(v.pipe(v.number(), v.minValue(0)), 24),
  /** Below this amount, a `sim.balance_low` event. */
  low: v.optional(v.number()),
  /** How long to wait for the network's answer. */
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000)), 30_000),
});

export type BalanceOptions = v.InferOutput<typeof balanceOptions>;

export const balanceMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE sim_balance (
      modem TEXT PRIMARY KEY, amount REAL NOT NULL, currency TEXT, answer TEXT NOT NULL, checked_ms INTEGER NOT NULL, checked_at TEXT NOT NULL,
      error TEXT, error_ms INTEGER)`,
  },
];

interface Row {
  amount: number;
  currency: string | null;
  answer: string;
  checked_ms: number;
  checked_at: string;
  error: string | null;
  error_ms: number | null;
}

/**
 * The amount in a USSD answer: the pattern's `amount` group, a decimal comma read as a point, and the
 * `currency` group when the pattern has one. Null when the pattern does not find a number.
 *
 * @example readAmount('Your balance is 5,00 EUR.', /(?<amount>[0-9,]+) (?<currency>[A-Z]{3})/) // { amount: 5, currency: 'EUR' }
 */
export function readAmount(answer: string, pattern: RegExp): { amount: number; currency: string | null } | null {
  const m = pattern.exec(answer);
  const raw = m?.groups?.amount?.trim();
  if (!raw) return null;
  // "1.234,56" and "1,234.56": the last separator is the decimal one, the other groups thousands.
  const lastSep = Math.max(raw.lastIndexOf('.'), raw.lastIndexOf(','));
  const normal = lastSep < 0 ? raw : `${raw.slice(0, lastSep).replace(/[.,\s]/g, '')}.${raw.slice(lastSep + 1)}`;
  const amount = Number(normal.replace(/\s/g, ''));
  if (!Number.isFinite(amount)) return null;
  return { amount, currency: m?.groups?.currency?.trim() || null };
}

export interface BalanceDeps {
  modem: string;
  store: Store;
  clock: Clock;
  events: PluginEvents;
  log: Logger;
  /** Runs the code on this modem (the driver's USSD, mapped to the service's errors). */
  ussd(code: string, timeoutMs: number): Promise<UssdResult>;
  /** Whether the modem can be asked now. */
  online(): boolean;
}

/** After a failed scheduled read, try again this much later (or at the next regular time, if sooner). */
const RETRY_MS = 15 * 60_000;

/**
 * One modem's balance: the last reading is kept in the store (so /health, /metrics and Home
 * Assistant show it after a restart, and a restart does not ask the network again before it is due).
 */
export class Balance {
  readonly options: BalanceOptions;
  readonly #deps: BalanceDeps;
  readonly #pattern: RegExp;
  #running: Promise<BalanceReading> | undefined;

  constructor(options: BalanceOptions, deps: BalanceDeps) {
    this.options = options;
    this.#deps = deps;
    this.#pattern = new RegExp(options.pattern, 'u');
  }

  /** The last reading, with the last failure when the latest attempt failed; null before the first. */
  last(): BalanceReading | null {
    const r = this.#deps.store.get<Row>('SELECT amount, currency, answer, checked_ms, checked_at, error, error_ms FROM sim_balance WHERE modem = ?', this.#deps.modem);
    if (!r) return null;
    return this.#reading(r);
  }

  #reading(r: Row): BalanceReading {
    const out: BalanceReading = {
      modem: this.#deps.modem,
      amount: r.amount,
      currency: r.currency,
      answer: r.answer,
      checkedAt: r.checked_at,
      low: this.options.low !== undefined && r.amount < this.options.low,
    };
    // A reading clears the error, so an error in the row came after it (whatever the clock says: a
    // Pi's clock may step back when NTP first sets it).
    if (r.error !== null && r.error_ms !== null) out.lastError = { message: r.error, at: isoWithOffset(r.error_ms) };
    return out;
  }

  /**
   * Asks the network now (one request at a time: a second caller shares the first's answer), records
   * `sim.balance` and, below `low`, `sim.balance_low`. Throws the service's errors (modem_offline,
   * ussd_timeout, modem_error) or balance_unreadable when the pattern finds no amount in the answer.
   */
  check(trigger: 'schedule' | 'request'): Promise<BalanceReading> {
    this.#running ??= this.#check(trigger).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #check(trigger: 'schedule' | 'request'): Promise<BalanceReading> {
    const { modem, store, clock, events } = this.#deps;
    try {
      if (!this.#deps.online()) throw new RequestError('modem_offline', `modem "${modem}" is offline`, { status: 503 });
      const result = await this.#deps.ussd(this.options.ussd, this.options.timeoutMs);
      const found = readAmount(result.response, this.#pattern);
      if (!found) {
        // The answer is the operator's text, not a secret: quoted so the pattern can be fixed.
        throw new RequestError('balance_unreadable', `the pattern found no amount in the answer to ${this.options.ussd}: "${result.response.slice(0, 160)}"`);
      }
      const now = clock.now();
      const at = isoWithOffset(now);
      store.run(
        `INSERT INTO sim_balance (modem, amount, currency, answer, checked_ms, checked_at, error, error_ms) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)
         ON CONFLICT (modem) DO UPDATE SET amount = excluded.amount, currency = excluded.currency, answer = excluded.answer,
           checked_ms = excluded.checked_ms, checked_at = excluded.checked_at, error = NULL, error_ms = NULL`,
        modem, found.amount, found.currency, result.response, now, at,
      );
      const low = this.options.low !== undefined && found.amount < this.options.low;
      events.emit('sim.balance', { modem, amount: found.amount, currency: found.currency, answer: result.response, checkedAt: at, low, trigger });
      if (low) events.emit('sim.balance_low', { modem, amount: found.amount, currency: found.currency, threshold: this.options.low!, checkedAt: at });
      return { modem, amount: found.amount, currency: found.currency, answer: result.response, checkedAt: at, low };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Kept beside the last good reading (health shows both); a first failure has no reading to keep.
      store.run('UPDATE sim_balance SET error = ?, error_ms = ? WHERE modem = ?', message, clock.now(), modem);
      this.#deps.log.warn({ modem, err: error, trigger }, 'balance check failed');
      throw error;
    }
  }

  /** When the next scheduled read is due: everyHours after the last one, at once when there is none. */
  #due(): number {
    const r = this.#deps.store.get<Pick<Row, 'checked_ms'>>('SELECT checked_ms FROM sim_balance WHERE modem = ?', this.#deps.modem);
    return r ? r.checked_ms + this.options.everyHours * 3600_000 : this.#deps.clock.now();
  }

  /** The schedule: until `signal` aborts, reads the balance whenever it is due and the modem online. */
  async run(signal: AbortSignal): Promise<void> {
    if (!(this.options.everyHours > 0)) return;
    const { clock } = this.#deps;
    await runWhenDue({
      clock,
      due: () => this.#due(),
      online: () => this.#deps.online(),
      attempt: async () => void (await this.check('schedule')),
      retryAt: () => clock.now() + Math.min(RETRY_MS, this.options.everyHours * 3600_000),
    }, signal);
  }
}
