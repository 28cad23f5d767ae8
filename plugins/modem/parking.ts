import type { Clock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { Store } from '../../core/store.ts';

export interface ParkingSettings {
  /** Permanent send failures in a row that park the modem for sends; 0 = never. */
  afterFailures: number;
  /** A parked modem tries again after this long (one more failure parks it again); 0 = only by hand. */
  retryMinutes: number;
}

/** A parked modem, as /health, MQTT and the `modem.parked` event show it. */
export interface ParkedState {
  since: string;
  reason: string;
  failures: number;
  /** When it tries again by itself (null: only `POST /modems/:id/unpark`). */
  retryAt: string | null;
}

interface Stored extends ParkedState {
  retryAtMs: number | null;
}

/**
 * Takes a modem out of sending after N permanent failures in a row (a SIM out of credit, barred or
 * blocked by the operator fails every message the same way), so its messages go to other modems
 * instead of failing one by one. Both the count and the parked state live in `modem_state`: a restart
 * does not unpark a SIM the operator blocked.
 */
export class Parking {
  readonly #d: { store: Store; clock: Clock; events: PluginEvents; log: Logger; modem: string; settings: ParkingSettings };

  constructor(deps: { store: Store; clock: Clock; events: PluginEvents; log: Logger; modem: string; settings: ParkingSettings }) {
    this.#d = deps;
  }

  #read<T>(key: string): T | undefined {
    const row = this.#d.store.get<{ value: string }>('SELECT value FROM modem_state WHERE modem = ? AND key = ?', this.#d.modem, key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #write(key: string, value: unknown): void {
    if (value === undefined) this.#d.store.run('DELETE FROM modem_state WHERE modem = ? AND key = ?', this.#d.modem, key);
    else this.#d.store.run('INSERT INTO modem_state (modem, key, value) VALUES (?, ?, ?) ON CONFLICT (modem, key) DO UPDATE SET value = excluded.value', this.#d.modem, key, JSON.stringify(value));
  }

  /** Permanent failures in a row so far. */
  get failures(): number {
    return this.#read<number>('send_failures') ?? 0;
  }

  /** The parked state, or null when the modem may send. */
  get parked(): (ParkedState & { retryAtMs: number | null }) | null {
    return this.#read<Stored>('parked') ?? null;
  }

  /** A message went out: the run of failures is over. */
  succeeded(): void {
    if (this.failures !== 0) this.#write('send_failures', undefined);
  }

  /**
   * A send failed permanently (`reason`: the network's words); parks the modem when that makes N in a
   * row. Call inside the transaction that fails the message. Returns true when it parked now.
   */
  failed(reason: string): boolean {
    const { afterFailures, retryMinutes } = this.#d.settings;
    const failures = this.failures + 1;
    this.#write('send_failures', failures);
    if (afterFailures === 0 || failures < afterFailures || this.parked) return false;
    const now = this.#d.clock.now();
    const retryAtMs = retryMinutes > 0 ? now + retryMinutes * 60_000 : null;
    const state: Stored = { since: isoWithOffset(now), reason, failures, retryAt: retryAtMs === null ? null : isoWithOffset(retryAtMs), retryAtMs };
    this.#write('parked', state);
    this.#d.events.emit('modem.parked', { modem: this.#d.modem, reason, failures, retryAt: state.retryAt });
    this.#d.log.warn({ modem: this.#d.modem, failures, reason, retryAt: state.retryAt }, 'modem parked for sends after permanent failures in a row');
    return true;
  }

  /**
   * Back to sending: by hand (`api`: the count starts over) or when the retry time came (`timer`: one
   * more permanent failure parks it again). False when it was not parked.
   */
  unpark(by: 'api' | 'timer'): boolean {
    const { store, events, log, modem, settings } = this.#d;
    const was = this.parked;
    if (!was) return false;
    store.transaction(() => {
      this.#write('parked', undefined);
      this.#write('send_failures', by === 'timer' ? Math.max(0, settings.afterFailures - 1) : undefined);
      events.emit('modem.unparked', { modem, by, parkedSince: was.since });
    });
    log.info({ modem, by }, 'modem unparked: sending again');
    return true;
  }

  /** Unparks when the retry time has come; true when it did. */
  retryIfDue(): boolean {
    const p = this.parked;
    if (!p || p.retryAtMs === null || p.retryAtMs > this.#d.clock.now()) return false;
    return this.unpark('timer');
  }
}
