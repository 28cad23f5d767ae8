// The delivery scheduler: takes due deliveries from the store, endpoint by endpoint, within the
// limits on attempts in flight, circuit breakers, Retry-After pauses and rate limits, POSTs them
// (each attempt signed for itself: built with its page at most 5 s before, see request.ts, or then)
// and writes the outcome back in batches. The store is the truth; memory holds only what is claimed
// right now, so a crash loses nothing but attempts in flight (which are simply made again).
import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Store } from '../../core/store.ts';
import type { RetryPolicy } from './backoff.ts';
import type { Deliveries, DeliveryRow, DeliveryStatus, DueDelivery, Outcome } from './deliveries.ts';
import { Deadlines } from './deadline.ts';
import { Endpoint, ReceiverError, type BreakerOptions, type Route, type SavedBreaker } from './endpoint.ts';
import type { Subscriptions } from './subscriptions.ts';
import type { DestinationPolicy, Resolver } from './destination.ts';
import { classifyError, createHttpTransport, type ErrorClass, type HttpTransport, type Transport } from './transport.ts';
import { displayUrl, hostAllowed, requestTarget } from './url.ts';
import { Reachability } from './reach.ts';
import { buildRequest, stillValid, type RequestContext } from './request.ts';
import { judge, nextAttempt } from './verdict.ts';

export interface EngineOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  agentId: string;
  /** See FormatInput: what the `cloudevents` format needs besides the event. */
  messageText?(messageId: string): string | undefined;
  phoneNumber?: string;
  subscriptions: Subscriptions;
  deliveries: Deliveries;
  retry: RetryPolicy;
  /** Per-attempt timeout unless the subscription sets its own. */
  timeoutMs: number;
  /** Attempts in flight per endpoint at most. */
  perEndpoint: number;
  /** Attempts in flight overall at most. */
  global: number;
  breaker: BreakerOptions;
  /** Longest `Retry-After` honoured; longer ones are clamped to this. */
  retryAfterMaxMs: number;
  /** Deliveries are held while the clock reads earlier than this (see sanity.ts). */
  notBefore: number;
  /** SMSEDGE_WEBHOOK_SECRET: signs per-message callbacks and /sms/subscribe subscriptions. */
  defaultSecret?: string;
  allowHosts?: readonly string[];
  transport?: Transport;
  /** Where the default transport may connect (ignored with `transport`). */
  destinations?: DestinationPolicy;
  /** Resolves receiver names for the default transport (tests pass a fake one). */
  resolver?: Resolver;
  /** Outcome writes are gathered this long into one transaction (0: the next turn of the event loop). */
  flushIntervalMs: number;
  /** While offline, one probe attempt this often. */
  offlineProbeMs: number;
  /** Called once per attempt with its outcome (metrics). */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

/** What one attempt came to, as counted in metrics. */
export type AttemptOutcome = 'delivered' | 'retry' | 'rejected' | 'gone' | 'timeout' | 'network' | 'offline' | 'circuit_open';

/** The result of an attempt made on request (POST /webhooks/:id/test, a manual retry). */
export interface AttemptResult {
  deliveryId: string;
  status: DeliveryStatus;
  /** `delivered`, `retry`, `rejected`, ... or `held` / `circuit_open` / `skipped` when no request was made. */
  outcome: string;
  httpStatus: number | null;
  errorClass: string | null;
  error: string | null;
  durationMs: number;
  nextAttemptAt: string | null;
}

interface Verdict {
  outcome?: Outcome;
  result: AttemptResult;
  metric?: AttemptOutcome;
  disable?: string;
  /** No store change: put the delivery back as it was. */
  release?: boolean;
}

/** Offline is judged on the attempts of this window (see reach.ts). */
const OFFLINE_WINDOW_MS = 10 * 60_000;
// Due deliveries read (and their requests built, see request.ts) at once. The fewer times the scheduler
// leaves its HTTP exchanges for this work, the less each costs: alternating 10,000-event drains gave
// 210 -> 201 µs main-thread CPU per event going from 64 to 256 (1,024: no better).
const PAGE = 256;
const WOKEN = new Error('woken');
/** Request targets are parsed once per URL (a `new URL` per attempt showed in profiles); bounded like the key caches. */
const TARGETS_MAX = 256;

export class Engine {
  readonly #o: EngineOptions;
  readonly #transport: Transport;
  /** The transport this engine made itself (closed on stop). */
  #own: HttpTransport | undefined;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #claimed = new Set<string>();
  readonly #abort = new AbortController();
  readonly #deadlines = new Deadlines();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #waiters = new Map<string, ((r: AttemptResult) => void)[]>();
  readonly #targets = new Map<string, ReturnType<typeof requestTarget>>();
  readonly #reach: Reachability;
  readonly #requests: RequestContext;
  #writes: { verdict: Verdict; ep: Endpoint; id: string }[] = [];
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #inFlight = 0;
  /** Scheduled attempts in flight (a person's are not counted against the limits). */
  #scheduled = 0;
  #wake: (() => void) | undefined;
  /** The loop's pending timed wake-up (see #sleep). */
  #timer: { at: number; ctrl: AbortController } | undefined;
  #dirty = false;
  #done: Promise<void> = Promise.resolve();
  #clockTrusted: boolean | undefined;
  #offline = false;
  #lastProbeAt = 0;
  #settledWaiters: (() => void)[] = [];
  /** Clock time of the next look for deliveries past their maximum age. */
  #sweepAt = 0;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#requests = {
      agentId: options.agentId,
      ...(options.messageText ? { messageText: options.messageText } : {}),
      ...(options.phoneNumber ? { phoneNumber: options.phoneNumber } : {}),
      secrets: (sub, now) => (sub ? options.subscriptions.signingSecrets(sub, options.defaultSecret, now) : options.defaultSecret ? [options.defaultSecret] : []),
      target: (url) => this.#target(url),
    };
    if (options.transport) this.#transport = options.transport;
    else this.#transport = this.#own = createHttpTransport({ policy: options.destinations, resolver: options.resolver });
    this.#reach = new Reachability(OFFLINE_WINDOW_MS, (endpoint) => options.deliveries.answered(endpoint));
  }

  start(): void {
    for (const { endpoint, at } of this.#o.deliveries.waitingEndpoints()) this.#endpoint(endpoint).nextDue = at;
    this.#done = this.#loop().catch((error) => {
      if (!this.#abort.signal.aborted) this.#o.log.error({ err: error }, 'webhook scheduler stopped');
    });
  }

  /** Stops taking work, aborts attempts in flight (they are made again after a restart), writes what is pending. */
  async stop(): Promise<void> {
    const stopping = new Error('webhook engine stopping');
    this.#abort.abort(stopping);
    // Attempts in flight are aborted too (made again after the restart).
    this.#deadlines.stop(stopping);
    this.#wake?.();
    await this.#done;
    // The loop's timer (a sweep up to 48 h away) must not keep the process alive.
    this.#timer?.ctrl.abort(WOKEN);
    this.#timer = undefined;
    await this.settled();
    this.#flush();
    await this.#own?.close();
  }

  /** New or rescheduled work for an endpoint. */
  notify(endpoint: string, nextAt: number | null): void {
    if (nextAt === null) return;
    const ep = this.#endpoint(endpoint);
    ep.nextDue = ep.nextDue === undefined ? nextAt : Math.min(ep.nextDue, nextAt);
    this.#sweepAt = Math.min(this.#sweepAt, nextAt + this.#o.retry.maxAgeMs);
    this.#poke();
  }

  /** Drops prefetched deliveries (a subscription changed): they are read again, fresh. */
  invalidate(): void {
    // Deliveries may have started waiting again (a subscription enabled): their age is looked at anew.
    this.#sweepAt = 0;
    for (const ep of this.#endpoints.values()) {
      for (const row of ep.queue as DueDelivery[]) this.#claimed.delete(row.id);
      if (ep.queue.length) ep.nextDue = this.#o.clock.now();
      ep.queue = [];
      ep.cursor = undefined;
    }
    this.#poke();
  }

  /** Resolves when nothing is in flight and every outcome is written (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#inFlight > 0 || this.#writes.length) {
      if (this.#inFlight === 0) this.#flush();
      else await new Promise<void>((resolve) => this.#settledWaiters.push(resolve));
    }
  }

  /** True while deliveries are held because the clock is not trustworthy. */
  holding(): boolean {
    return !this.#checkClock(this.#o.clock.now());
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Makes one attempt of a delivery now, outside the schedule (but through its endpoint's breaker),
   * and resolves with the result. A delivery already in flight resolves with that attempt's result.
   */
  async attemptNow(id: string): Promise<AttemptResult | undefined> {
    if (this.#claimed.has(id)) {
      for (const ep of this.#endpoints.values()) {
        const at = (ep.queue as DueDelivery[]).findIndex((r) => r.id === id);
        if (at >= 0) {
          const [row] = ep.queue.splice(at, 1) as DueDelivery[];
          return this.#dispatch(ep, row!, true);
        }
      }
      return new Promise((resolve) => this.#waiters.set(id, [...(this.#waiters.get(id) ?? []), resolve]));
    }
    const row = this.#o.deliveries.retryNow(id, this.#o.clock.now());
    if (!row) return undefined;
    if (row.status === 'delivered') return resultOf(row.id, 'delivered', 'skipped', { error: 'already delivered' });
    if (!this.#checkClock(this.#o.clock.now()))
      return resultOf(row.id, 'held', 'held', { errorClass: 'clock', error: 'the system clock is not trustworthy yet' });
    const due = this.#o.deliveries.withEvent(id);
    if (!due) return undefined;
    const ep = this.#endpoint(row.endpoint);
    this.#claim(ep, due);
    return this.#dispatch(ep, due, true);
  }

  /**
   * Why a delivery that is not done waits, and until when, from the scheduler's own state: a hold, an
   * untrusted clock, offline, the endpoint's open breaker or Retry-After pause, the subscription's rate
   * limit, the backoff. The latest of them is when it can go (`until` null: until someone acts).
   */
  waiting(row: Pick<DeliveryRow, 'status' | 'held_reason' | 'endpoint' | 'subscription_id' | 'next_at' | 'attempts'>): { reason: string; until: string | null } | null {
    if (row.status === 'delivered' || row.status === 'failed') return null;
    const now = this.#o.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    if (row.status === 'held') {
      if (row.held_reason === 'disabled') return { reason: 'held: the subscription is disabled (enabling it resumes the delivery)', until: null };
      if (row.held_reason === 'clock') return { reason: `held: the system clock reads before ${iso(this.#o.notBefore)} and is not trusted yet`, until: null };
      return { reason: `held: ${row.held_reason ?? 'no reason recorded'}`, until: null };
    }
    if (now < this.#o.notBefore) return { reason: `held: the system clock reads before ${iso(this.#o.notBefore)} and is not trusted yet`, until: null };
    const waits: { reason: string; until: number }[] = [];
    const due = row.next_at ?? now;
    waits.push({ reason: row.attempts > 0 ? `retry ${row.attempts + 1}, after the backoff` : 'first attempt', until: due });
    const ep = this.#endpoints.get(row.endpoint);
    if (ep) {
      if (ep.pausedUntil > now) waits.push({ reason: 'the receiver asked to wait (Retry-After)', until: ep.pausedUntil });
      if (ep.state !== 'closed' && ep.openUntil !== null && ep.openUntil > now)
        waits.push({ reason: `circuit breaker open after ${this.#o.breaker.threshold} failures in a row`, until: ep.openUntil });
    }
    if (this.#offline) waits.push({ reason: 'offline: no webhook endpoint is reachable (DNS or network); one probe at a time', until: Math.max(now, this.#lastProbeAt + this.#o.offlineProbeMs) });
    const sub = row.subscription_id ? this.#o.subscriptions.get(row.subscription_id) : undefined;
    const bucket = sub ? this.#buckets.get(sub.id) : undefined;
    if (sub?.rateLimitPerMinute && bucket) {
      const limit = sub.rateLimitPerMinute;
      const tokens = Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / 60_000);
      if (tokens < 1) waits.push({ reason: `rate limit of ${limit} per minute`, until: now + Math.ceil(((1 - tokens) * 60_000) / limit) });
    }
    // The latest wait decides; on a tie the more specific reason (listed later) is the one given.
    const last = waits.reduce((a, b) => (b.until >= a.until ? b : a));
    if (last.until <= now) return { reason: `due now${ep && ep.inFlight ? ' (an attempt to the same receiver is in flight)' : ''}`, until: iso(now) };
    return { reason: last.reason, until: iso(last.until) };
  }

  health() {
    const now = this.#o.clock.now();
    const open = [...this.#endpoints.values()].filter((e) => e.state !== 'closed').map((e) => ({
      endpoint: displayUrl(e.key),
      state: e.state,
      until: e.openUntil ? new Date(e.openUntil).toISOString() : null,
    }));
    return {
      clockTrusted: this.#checkClock(now),
      offline: this.#offline,
      inFlight: this.#inFlight,
      openCircuits: open,
    };
  }

  // ---- the loop -------------------------------------------------------------------------------

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      this.#dirty = false;
      const now = this.#o.clock.now();
      let wakeAt = Number.POSITIVE_INFINITY;
      if (!this.#checkClock(now)) wakeAt = now + 60_000;
      else {
        // Every way of waiting (offline, an open circuit, a held clock, a rate limit, Retry-After) ends
        // at the maximum age: nothing waits forever.
        if (now >= this.#sweepAt) this.#expire(now);
        wakeAt = this.#sweepAt;
        this.#offline = this.#isOffline(now);
        let budget = Number.POSITIVE_INFINITY;
        if (this.#offline) {
          // Offline: one probe at a time, every offlineProbeMs; nothing else spends attempts.
          const probeAt = this.#lastProbeAt + this.#o.offlineProbeMs;
          budget = this.#inFlight === 0 && now >= probeAt ? 1 : 0;
          if (!budget) wakeAt = Math.max(probeAt, now + 1);
        }
        for (const ep of [...this.#endpoints.values()]) {
          if (budget <= 0 || this.#o.global - this.#scheduled <= 0) break;
          if (!ep.queue.length && (ep.nextDue === undefined || ep.nextDue > now)) {
            if (ep.nextDue !== undefined) wakeAt = Math.min(wakeAt, ep.nextDue);
            else this.#forget(ep);
            continue;
          }
          const cap = ep.capacity(now);
          if (cap.slots <= 0) {
            if (cap.until !== undefined) wakeAt = Math.min(wakeAt, cap.until);
            continue;
          }
          let slots = Math.min(cap.slots, this.#o.global - this.#scheduled, budget);
          let sent = false;
          while (slots > 0) {
            const row = this.#next(ep, now);
            if (!row) break;
            const wait = this.#rateWait(row, now);
            if (wait > 0) {
              ep.queue.unshift(row);
              wakeAt = Math.min(wakeAt, now + wait);
              break;
            }
            if (this.#offline) this.#lastProbeAt = now;
            void this.#dispatch(ep, row, false);
            sent = true;
            slots--;
            budget--;
          }
          if (!ep.queue.length && ep.nextDue !== undefined && ep.nextDue > now) wakeAt = Math.min(wakeAt, ep.nextDue);
          if (sent) {
            // Round robin: an endpoint that just sent goes to the back, so a busy one cannot starve others.
            this.#endpoints.delete(ep.key);
            this.#endpoints.set(ep.key, ep);
          }
        }
      }
      if (this.#dirty) continue;
      await this.#sleep(wakeAt);
    }
  }

  #poke(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** Until `until` (clock time) or a poke; stop() pokes too. */
  async #sleep(until: number): Promise<void> {
    // One timer for the loop, kept from turn to turn while the time to wake at is the same. While a
    // backlog drains the loop turns on every settled attempt and that time (the next maximum-age
    // sweep) does not move: a timer, an AbortController and an abort per turn showed in profiles.
    const timer = this.#timer;
    if (timer && timer.at !== until) {
      this.#timer = undefined;
      timer.ctrl.abort(WOKEN);
    }
    if (!this.#timer && Number.isFinite(until)) {
      const next = { at: until, ctrl: new AbortController() };
      this.#timer = next;
      this.#o.clock.sleep(Math.max(0, until - this.#o.clock.now()), next.ctrl.signal).then(() => {
        if (this.#timer !== next) return;
        this.#timer = undefined;
        this.#poke();
      }, () => {});
    }
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (this.#dirty || this.#abort.signal.aborted) resolve();
    });
    this.#wake = undefined;
  }

  #endpoint(key: string): Endpoint {
    let ep = this.#endpoints.get(key);
    if (!ep) {
      const saved = this.#o.store.get<{ breaker: string; open_until: number | null }>('SELECT breaker, open_until FROM webhook_endpoints WHERE endpoint = ?', key);
      const state: SavedBreaker | undefined = saved ? { state: JSON.parse(saved.breaker), openUntil: saved.open_until } : undefined;
      ep = new Endpoint(key, this.#o.perEndpoint, this.#o.clock, this.#o.breaker, state, (e) => this.#saveBreaker(e));
      this.#endpoints.set(key, ep);
    }
    return ep;
  }

  /** An endpoint with nothing to do and a closed breaker is dropped from memory (callback URLs come and go). */
  #forget(ep: Endpoint): void {
    if (ep.inFlight || ep.queue.length || ep.claimed || ep.state !== 'closed' || ep.pausedUntil > this.#o.clock.now()) return;
    this.#endpoints.delete(ep.key);
  }

  /** cockatiel's toJSON, saved whenever the circuit opens, half-opens or closes: it survives restarts. */
  #saveBreaker(ep: Endpoint): void {
    if (this.#o.store.closed) return;
    try {
      if (ep.state === 'closed') this.#o.store.run('DELETE FROM webhook_endpoints WHERE endpoint = ?', ep.key);
      else {
        const saved = ep.save();
        this.#o.store.run(
          `INSERT INTO webhook_endpoints (endpoint, breaker, open_until, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (endpoint) DO UPDATE SET breaker = excluded.breaker, open_until = excluded.open_until, updated_at = excluded.updated_at`,
          ep.key, JSON.stringify(saved.state), saved.openUntil, this.#o.clock.now(),
        );
      }
      this.#o.log.info({ endpoint: displayUrl(ep.key), circuit: ep.state }, 'webhook circuit changed');
    } catch (error) {
      this.#o.log.error({ err: error }, 'could not save circuit state');
    }
  }

  #claim(ep: Endpoint, row: DueDelivery): void {
    this.#claimed.add(row.id);
    ep.claimed++;
  }

  #unclaim(ep: Endpoint, id: string): void {
    if (this.#claimed.delete(id)) ep.claimed--;
  }

  /** The next due delivery of an endpoint: from what was prefetched, else a page from the store. */
  #next(ep: Endpoint, now: number): DueDelivery | undefined {
    // Two rounds at most: paging on from the cursor, then (if that ran dry) once from the start.
    for (let round = 0; round < 2 && !ep.queue.length; round++) {
      if (ep.nextDue === undefined || ep.nextDue > now) return undefined;
      // Claimed rows stay due in the store until their outcome is written. While a backlog drains,
      // page on from the last row read; otherwise read from the start and skip the claimed ones.
      const paging = ep.cursor !== undefined;
      const limit = paging ? PAGE : ep.claimed + PAGE;
      const rows = this.#o.deliveries.due(ep.key, now, limit, ep.cursor);
      for (const row of rows) {
        if (this.#claimed.has(row.id)) continue;
        this.#claim(ep, row);
        this.#prepare(row, now);
        ep.queue.push(row);
      }
      const last = rows[rows.length - 1];
      if (last && rows.length === limit) ep.cursor = { at: last.next_at!, id: last.id };
      else {
        ep.cursor = undefined;
        // Dry after paging: rows before the cursor (released, retried by hand) get a look from the start.
        ep.nextDue = paging ? now : this.#o.deliveries.nextDue(ep.key, now);
      }
    }
    return ep.queue.shift() as DueDelivery | undefined;
  }

  /**
   * Builds a due delivery's request now, with the rest of its page (see request.ts); one that cannot
   * be sent as things are (no event, a deleted or disabled subscription) is left to its attempt,
   * which says why.
   */
  #prepare(row: DueDelivery, now: number): void {
    const sub = row.subscription_id ? this.#o.subscriptions.get(row.subscription_id) : undefined;
    if (!row.event || (row.subscription_id && (!sub || !sub.enabled))) return;
    const url = sub ? sub.url : row.url;
    if (!url) return;
    try {
      const built = buildRequest(this.#requests, row, sub, url, now);
      // A format that answers with a promise (cloudevents) is kept as one; its attempt awaits it. A
      // rejection is left to the attempt, which builds again and reports what failed.
      if (built instanceof Promise) built.catch(() => {});
      row.request = built;
    } catch {
      // Left to the attempt, which builds it again and reports what failed.
    }
  }

  /** Token bucket per subscription (`rateLimitPerMinute`): ms until the next token, 0 when one was taken. */
  #rateWait(row: DueDelivery, now: number): number {
    const sub = row.subscription_id ? this.#o.subscriptions.get(row.subscription_id) : undefined;
    const limit = sub?.rateLimitPerMinute;
    if (!sub || !limit) return 0;
    const b = this.#buckets.get(sub.id) ?? { tokens: limit, at: now };
    b.tokens = Math.min(limit, b.tokens + ((now - b.at) * limit) / 60_000);
    b.at = now;
    this.#buckets.set(sub.id, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 60_000) / limit);
  }

  #checkClock(now: number): boolean {
    const trusted = now >= this.#o.notBefore;
    if (trusted === this.#clockTrusted) return trusted;
    this.#clockTrusted = trusted;
    if (this.#o.store.closed) return trusted;
    if (!trusted) {
      const n = this.#o.deliveries.holdAll('clock', now);
      this.#o.log.warn({ clock: new Date(now).toISOString(), notBefore: new Date(this.#o.notBefore).toISOString(), held: n },
        'system clock is earlier than the release date: webhook deliveries are held until it is set');
    } else {
      const rebased = this.#o.deliveries.rebaseCreated(this.#o.notBefore, now);
      if (rebased) this.#o.log.info({ deliveries: rebased }, 'webhook deliveries created under the untrusted clock count their age from now');
      this.#sweepAt = 0;
      const n = this.#o.deliveries.release('clock', now);
      if (n) this.#o.log.info({ released: n }, 'system clock is trustworthy: held webhook deliveries resume');
      for (const ep of this.#endpoints.values()) {
        ep.nextDue = now;
        ep.cursor = undefined;
      }
      for (const { endpoint, at } of this.#o.deliveries.waitingEndpoints()) this.#endpoint(endpoint).nextDue = at;
    }
    return trusted;
  }

  /**
   * Ends waiting deliveries past the maximum age (`retry.maxAgeHours`) as failed. Ones in flight are
   * left to their attempt (whose outcome checks the age too); ones claimed but waiting in an
   * endpoint's queue are taken out of it first.
   */
  #expire(now: number): void {
    const o = this.#o;
    const maxAgeMs = o.retry.maxAgeMs;
    const SWEEP = 500;
    const rows = o.store.closed ? [] : o.deliveries.expired(now - maxAgeMs, SWEEP);
    const ended: string[] = [];
    let inFlight = false;
    for (const row of rows) {
      if (this.#claimed.has(row.id)) {
        const ep = this.#endpoints.get(row.endpoint);
        const at = ep ? (ep.queue as DueDelivery[]).findIndex((r) => r.id === row.id) : -1;
        if (!ep || at < 0) {
          inFlight = true;
          continue;
        }
        ep.queue.splice(at, 1);
        this.#unclaim(ep, row.id);
      }
      ended.push(row.id);
    }
    if (ended.length) {
      const hours = Math.round((maxAgeMs / 3600_000) * 100) / 100;
      const lastError = `not delivered within ${hours} h of the event (the maximum age): no more attempts`;
      try {
        o.store.transaction(() => {
          for (const id of ended) o.deliveries.apply({ id, status: 'failed', heldReason: null, nextAt: null, lastErrorClass: 'expired', lastError }, now);
        });
        o.log.warn({ deliveries: ended.length, maxAgeHours: hours }, 'webhook deliveries past their maximum age end failed');
      } catch (error) {
        o.log.error({ err: error }, 'could not end webhook deliveries past their maximum age');
      }
    }
    if (rows.length === SWEEP && ended.length) this.#sweepAt = now;
    else {
      const oldest = o.store.closed ? undefined : o.deliveries.oldestWaiting();
      // One in flight past its age keeps the oldest in the past: look again a second later, not in a spin.
      this.#sweepAt = oldest === undefined ? Number.POSITIVE_INFINITY : Math.max(oldest + maxAgeMs, inFlight ? now + 1000 : now + 1);
    }
  }

  #isOffline(now: number): boolean {
    return this.#setOffline(this.#reach.offline(now));
  }

  #setOffline(offline: boolean): boolean {
    if (offline !== this.#offline) {
      if (offline) this.#o.log.warn('no webhook endpoint is reachable (DNS or network failing): deliveries wait without spending attempts');
      else this.#o.log.info('a webhook endpoint is reachable again: deliveries resume');
      this.#offline = offline;
    }
    return offline;
  }

  // ---- one attempt ----------------------------------------------------------------------------

  async #dispatch(ep: Endpoint, row: DueDelivery, direct: boolean): Promise<AttemptResult> {
    ep.inFlight++;
    this.#inFlight++;
    if (!direct) {
      ep.scheduled++;
      this.#scheduled++;
    }
    // One async frame rather than a .finally/.catch/.then chain: fewer promises per attempt.
    let verdict: Verdict;
    try {
      verdict = await this.#attempt(ep, row, direct);
    } catch (error) {
      this.#o.log.error({ err: error, delivery: row.id }, 'webhook attempt failed unexpectedly (bug)');
      verdict = { release: true, result: resultOf(row.id, row.status, 'skipped', { errorClass: 'local', error: 'internal error' }) };
    }
    if (!direct) {
      ep.scheduled--;
      this.#scheduled--;
    }
    this.#settle(ep, row, verdict);
    // Asked for by a person: the answer and the delivery log must agree, so write it now.
    if (direct) this.#flush();
    return verdict.result;
  }

  async #attempt(ep: Endpoint, row: DueDelivery, direct: boolean): Promise<Verdict> {
    const o = this.#o;
    const now = o.clock.now();
    const sub = row.subscription_id ? o.subscriptions.get(row.subscription_id) : undefined;
    if (row.subscription_id && !sub) return this.#end(row, 'failed', 'local', 'the subscription was deleted');
    if (sub && !sub.enabled) {
      return {
        outcome: { id: row.id, status: 'held', heldReason: 'disabled', nextAt: null, lastErrorClass: 'local', lastError: 'the subscription is disabled' },
        result: resultOf(row.id, 'held', 'held', { errorClass: 'local', error: 'the subscription is disabled' }),
      };
    }
    if (!row.event) return this.#end(row, 'failed', 'local', 'the event is no longer in the journal');
    const url = sub ? sub.url : row.url;
    if (!url) return this.#end(row, 'failed', 'local', 'no URL');
    if (!sub && o.allowHosts?.length && !hostAllowed(new URL(url).hostname, o.allowHosts))
      return this.#end(row, 'failed', 'local', 'the callback host is not in allowHosts');

    // Built ahead with its page (#next) unless that is no longer what this attempt would send.
    let ahead = row.request;
    row.request = undefined;
    if (ahead instanceof Promise) ahead = await ahead.catch(() => undefined);
    const built = ahead && stillValid(ahead, sub, now) ? ahead : buildRequest(this.#requests, row, sub, url, now);
    const request = built instanceof Promise ? await built : built;

    const timeoutMs = sub?.timeoutMs ?? o.timeoutMs;
    // A person's test or retry is made now, whatever the limits on attempts in flight say (the loop
    // checks them before it starts one) and even while the circuit is open (they may just have fixed
    // the receiver); a success then closes the circuit.
    const route: Route = direct && ep.state !== 'closed' ? 'bypass' : 'breaker';
    const started = performance.now();
    let status: number | null = null;
    let retryAfter: string | null = null;
    let failure: { errorClass: ErrorClass; message: string } | undefined;
    try {
      const send = async (signal: AbortSignal) => {
        const r = await this.#transport({ url: request.url, headers: request.headers, body: request.body, signal });
        // 5xx and 408 are the receiver failing: they count for the breaker (thrown inside it).
        if (r.status !== null && (r.status >= 500 || r.status === 408)) throw new ReceiverError(r.status, r.retryAfter);
        return r;
      };
      // The breaker outermost, the deadline inside it (see endpoint.ts); a bypass has the deadline alone.
      const timed = () => this.#deadlines.run(timeoutMs, send);
      const response = await (route === 'breaker' ? ep.breaker.execute(timed) : timed());
      status = response.status;
      retryAfter = response.retryAfter;
      if (response.redirect) failure = { errorClass: 'redirect', message: 'the receiver answered a redirect (301, 302, 303, 307 or 308; redirects are not followed)' };
      if (route === 'bypass' && status !== null && status >= 200 && status < 300) ep.reset();
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        // cockatiel still counts the circuit open (a restored state): look again in a second.
        ep.openUntil = Math.max(ep.openUntil ?? 0, o.clock.now() + 1000);
        return { release: true, metric: 'circuit_open', result: resultOf(row.id, row.status, 'circuit_open', { errorClass: 'circuit-open', error: 'the circuit is open' }) };
      }
      if (this.#abort.signal.aborted) {
        // Stopping: the attempt is abandoned, not counted; it is made again after the restart.
        return { release: true, result: resultOf(row.id, row.status, 'skipped', { errorClass: 'local', error: 'stopping' }) };
      }
      if (error instanceof ReceiverError) {
        status = error.status;
        retryAfter = error.retryAfter;
      } else if (error instanceof TaskCancelledError) failure = { errorClass: 'timeout', message: `no answer within ${timeoutMs} ms` };
      else failure = classifyError(error);
    }
    const durationMs = performance.now() - started;
    const at = o.clock.now();
    const reached = !(failure && (failure.errorClass === 'dns' || failure.errorClass === 'unreachable'));
    this.#reach.record(ep.host, ep.key, at, reached);
    const base = { n: row.tries + 1, at: now, durationMs, httpStatus: status };

    const judged = judge(status, failure);
    if (judged.kind === 'delivered') {
      return {
        metric: 'delivered',
        outcome: { id: row.id, status: 'delivered', nextAt: null, deliveredAt: at, attempt: { ...base, outcome: 'delivered', counted: true, errorClass: null, error: null } },
        result: resultOf(row.id, 'delivered', 'delivered', { httpStatus: status, durationMs }),
      };
    }
    if (judged.kind === 'gone' || judged.kind === 'rejected') {
      const { kind, errorClass, error } = judged;
      return {
        metric: kind,
        ...(kind === 'gone' ? { disable: sub?.id } : {}),
        outcome: { id: row.id, status: 'failed', nextAt: null, attempt: { ...base, outcome: kind, counted: true, errorClass, error } },
        result: resultOf(row.id, 'failed', kind, { httpStatus: status, errorClass, error, durationMs }),
      };
    }

    // A failure that may pass: schedule the next attempt, unless the agent itself is offline.
    const { errorClass, error, metric } = judged;
    if (!reached && this.#isOffline(at)) {
      return {
        metric: 'offline',
        outcome: { id: row.id, status: row.status === 'held' ? 'pending' : row.status, nextAt: row.next_at ?? at, attempt: { ...base, outcome: 'offline', counted: false, errorClass, error } },
        result: resultOf(row.id, row.status, 'offline', { errorClass, error, durationMs, nextAttemptAt: row.next_at }),
      };
    }
    const attempt = { ...base, outcome: metric, counted: true, errorClass, error };
    const next = nextAttempt({
      status, retryAfter, at, attempts: row.attempts + 1, maxAttempts: sub?.maxAttempts ?? o.retry.maxAttempts, createdAt: row.created_at,
      backoff: row.backoff, retry: o.retry, retryAfterMaxMs: o.retryAfterMaxMs,
    });
    if (next.end) {
      return {
        metric,
        outcome: { id: row.id, status: 'failed', nextAt: null, attempt },
        result: resultOf(row.id, 'failed', metric, { httpStatus: status, errorClass, error, durationMs }),
      };
    }
    const nextAt = at + next.delayMs;
    // The receiver asked every sender to wait: nothing goes to this endpoint before then.
    if (next.pause) ep.pausedUntil = Math.max(ep.pausedUntil, nextAt);
    return {
      metric,
      outcome: { id: row.id, status: 'retrying', nextAt, backoff: next.backoff, attempt },
      result: resultOf(row.id, 'retrying', metric, { httpStatus: status, errorClass, error, durationMs, nextAttemptAt: nextAt }),
    };
  }

  #target(url: string): ReturnType<typeof requestTarget> {
    let target = this.#targets.get(url);
    if (!target) {
      target = requestTarget(url);
      if (this.#targets.size >= TARGETS_MAX) this.#targets.clear();
      this.#targets.set(url, target);
    }
    return target;
  }

  #end(row: DueDelivery, status: 'failed', errorClass: string, error: string): Verdict {
    return {
      outcome: { id: row.id, status, nextAt: null, lastErrorClass: errorClass, lastError: error },
      result: resultOf(row.id, status, 'skipped', { errorClass, error }),
    };
  }

  #settle(ep: Endpoint, row: DueDelivery, verdict: Verdict): void {
    ep.inFlight--;
    this.#inFlight--;
    if (verdict.metric) this.#o.onAttempt?.(verdict.metric);
    if (verdict.release || !verdict.outcome) {
      this.#unclaim(ep, row.id);
      if (!this.#abort.signal.aborted) ep.nextDue = Math.min(ep.nextDue ?? Infinity, this.#o.clock.now());
    } else {
      this.#writes.push({ verdict, ep, id: row.id });
      this.#scheduleFlush();
    }
    const waiters = this.#waiters.get(row.id);
    if (waiters) {
      this.#waiters.delete(row.id);
      for (const w of waiters) w(verdict.result);
    }
    if (this.#inFlight === 0) for (const w of this.#settledWaiters.splice(0)) w();
    this.#poke();
  }

  #scheduleFlush(): void {
    if (this.#flushTimer) return;
    if (this.#writes.length >= 512 || this.#o.flushIntervalMs <= 0) this.#flushTimer = setImmediate(() => this.#flush());
    else {
      this.#flushTimer = setTimeout(() => this.#flush(), this.#o.flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  /**
   * Writes gathered outcomes in one transaction, without waiting for the disk (store.relaxed): a
   * killed process loses nothing, and an outcome lost to a power cut only means the same delivery
   * (the same webhook-id, which receivers de-duplicate on) is attempted again. The delivery rows
   * themselves were committed with an fsync before any attempt (intake.ts). On a Pi's SD card an
   * fsync takes milliseconds on the event loop; these came 20 times a second while a backlog drained.
   */
  #flush(): void {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer as NodeJS.Timeout);
      clearImmediate(this.#flushTimer as NodeJS.Immediate);
      this.#flushTimer = undefined;
    }
    const batch = this.#writes;
    if (!batch.length) return;
    this.#writes = [];
    const now = this.#o.clock.now();
    if (this.#o.store.closed) return;
    try {
      this.#o.store.relaxed(() => this.#o.store.transaction(() => {
        for (const { verdict } of batch) {
          try {
            this.#o.deliveries.apply(verdict.outcome!, now);
          } catch (error) {
            this.#o.log.error({ err: error, delivery: verdict.outcome!.id }, 'could not record a webhook attempt');
          }
          if (verdict.disable) {
            this.#o.subscriptions.disable(verdict.disable, 'the receiver answered 410 Gone');
            this.#o.deliveries.settleForSubscription(verdict.disable, { status: 'held', reason: 'disabled', message: 'the subscription is disabled (410 Gone)' }, now);
            this.#o.log.warn({ webhookId: verdict.disable }, 'webhook subscription disabled: the receiver answered 410 Gone');
          }
        }
      }));
    } catch (error) {
      this.#o.log.error({ err: error }, 'could not write webhook outcomes; the deliveries will be attempted again');
    }
    for (const { verdict, ep, id } of batch) {
      this.#unclaim(ep, id);
      const nextAt = verdict.outcome!.nextAt;
      if (nextAt !== null) ep.nextDue = Math.min(ep.nextDue ?? Infinity, nextAt);
    }
    if (batch.some((b) => b.verdict.disable)) this.invalidate();
    if (this.#inFlight === 0) for (const w of this.#settledWaiters.splice(0)) w();
    this.#poke();
  }
}

function resultOf(
  deliveryId: string,
  status: DeliveryStatus,
  outcome: string,
  more: { httpStatus?: number | null; errorClass?: string | null; error?: string | null; durationMs?: number; nextAttemptAt?: number | null } = {},
): AttemptResult {
  return {
    deliveryId,
    status,
    outcome,
    httpStatus: more.httpStatus ?? null,
    errorClass: more.errorClass ?? null,
    error: more.error ?? null,
    durationMs: Math.round(more.durationMs ?? 0),
    nextAttemptAt: more.nextAttemptAt ? new Date(more.nextAttemptAt).toISOString() : null,
  };
}
