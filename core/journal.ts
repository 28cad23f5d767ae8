import type { Clock } from './clock.ts';
import type { AgentEvent, AnyEvent, EventMap, EventType } from './events.ts';
import { isoWithOffset, newId } from './ids.ts';
import type { Logger } from './log.ts';
import { redactString } from './redact.ts';
import type { Store } from './store.ts';

/**
 * A sink's handler. Resolving acknowledges the event; rejecting means "later": the journal retries it
 * under the sink's backoff, and with `concurrency: 1` (the default) nothing after it is handed out
 * first, so order is kept.
 */
export type SinkHandler = (event: AnyEvent) => Promise<void> | void;

export interface SinkOptions {
  /** Event types this sink wants; others are acknowledged for it without a call. Default: all. */
  types?: readonly EventType[];
  /** Extra predicate; events it rejects are acknowledged without a call. */
  filter?: (event: AnyEvent) => boolean;
  /** Events handled at once. 1 keeps strict order. */
  concurrency?: number;
  /** Delay before retry `attempt` (1-based) of a rejected event. Default: 1 s doubling to 5 min. */
  backoff?: (attempt: number) => number;
}

export interface SinkSubscription {
  readonly name: string;
  /** Events appended but not yet acknowledged by this sink. */
  lag(): number;
  /** Stops handing out events; resolves when handlers in flight have settled or been abandoned. */
  stop(): Promise<void>;
}

export interface JournalOptions {
  clock: Clock;
  log: Logger;
  /** Acknowledged events older than this are pruned. Default 7 days (webhook replay reads them). */
  retentionMs?: number;
  /** A sink that has not acknowledged anything for this long no longer holds events back. Default 30 days. */
  staleSinkMs?: number;
}

export interface EventRow {
  seq: number;
  id: string;
  type: string;
  ts: string;
  data: string;
}

const defaultBackoff = (attempt: number) => Math.min(300_000, 1000 * 2 ** (attempt - 1));

export const journalMigrations = [
  {
    version: 1,
    up: `CREATE TABLE journal_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        ts TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        data TEXT NOT NULL);
      CREATE INDEX journal_events_created ON journal_events (created_ms);
      CREATE TABLE journal_cursors (
        sink TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL);`,
  },
  {
    // The newest events of a kind (GET /calls): without it, a rare type meant reading the whole journal.
    version: 2,
    up: 'CREATE INDEX journal_events_type ON journal_events (type, seq)',
  },
];

/**
 * The event journal: the backbone of "nothing lost". Every event is committed here before any sink
 * or listener sees it; each sink has a durable cursor and gets every event after it at least once,
 * across crashes and restarts.
 */
export class Journal {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #retentionMs: number;
  readonly #staleSinkMs: number;
  readonly #runners = new Set<SinkRunner>();
  readonly #listeners = new Set<(event: AnyEvent) => void>();
  readonly #floors = new Map<string, () => number | null>();
  /** The head when this process opened the journal: where a sink never seen before starts. */
  readonly #bootHead: number;

  constructor(store: Store, options: JournalOptions) {
    this.#store = store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.#staleSinkMs = options.staleSinkMs ?? 30 * 24 * 3600_000;
    store.migrate('journal', journalMigrations);
    this.#bootHead = this.head();
  }

  /**
   * Records an event durably. Inside a `store.transaction` it commits with the rest; listeners and
   * sinks hear of it only after the commit. Appending an id that exists returns the stored event.
   */
  append<T extends EventType>(
    type: T,
    data: EventMap[T],
    options: { id?: string; timestamp?: string } = {},
  ): AgentEvent<T> {
    const now = this.#clock.now();
    const event: AgentEvent<T> = {
      id: options.id ?? newId(),
      type,
      timestamp: options.timestamp ?? isoWithOffset(now),
      data,
    };
    const inserted = this.#store.run(
      'INSERT OR IGNORE INTO journal_events (id, type, ts, created_ms, data) VALUES (?, ?, ?, ?, ?)',
      event.id,
      type,
      event.timestamp,
      now,
      JSON.stringify(data),
    );
    if (inserted.changes === 0) return this.get(event.id) as AgentEvent<T>;
    event.seq = inserted.lastInsertRowid;
    this.#store.afterCommit(() => this.#announce(event as AnyEvent));
    return event;
  }

  #announce(event: AnyEvent): void {
    for (const runner of this.#runners) runner.wake();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error({ err: error, event: event.type }, 'event listener threw');
      }
    }
  }

  /** In-process notification of committed events (not durable: use `subscribe` for that). */
  listen(listener: (event: AnyEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(id: string): AnyEvent | undefined {
    const row = this.#store.get<EventRow>('SELECT seq, id, type, ts, data FROM journal_events WHERE id = ?', id);
    return row ? rowToEvent(row) : undefined;
  }

  /** Events in journal order, for replay and inspection. */
  range(query: { afterSeq?: number; since?: string; until?: string; types?: readonly string[]; limit?: number } = {}): AnyEvent[] {
    const where: string[] = ['seq > ?'];
    const params: (string | number)[] = [query.afterSeq ?? 0];
    if (query.since) {
      where.push('created_ms >= ?');
      params.push(Date.parse(query.since));
    }
    if (query.until) {
      where.push('created_ms <= ?');
      params.push(Date.parse(query.until));
    }
    if (query.types?.length) {
      where.push(`type IN (${query.types.map(() => '?').join(',')})`);
      params.push(...query.types);
    }
    params.push(query.limit ?? 1000);
    return this.#store
      .all<EventRow>(`SELECT seq, id, type, ts, data FROM journal_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`, ...params)
      .map(rowToEvent);
  }

  /**
   * The newest events of the given types first; with `beforeId`, those appended before that event
   * (keyset paging). An id the journal no longer has (pruned) ends the listing: nothing is returned.
   */
  latest(query: { types: readonly string[]; beforeId?: string; limit?: number }): AnyEvent[] {
    const types = query.types.map(() => '?').join(',');
    const before = query.beforeId === undefined ? '' : ' AND seq < (SELECT seq FROM journal_events WHERE id = ?)';
    return this.#store
      .all<EventRow>(
        `SELECT seq, id, type, ts, data FROM journal_events WHERE type IN (${types})${before} ORDER BY seq DESC LIMIT ?`,
        ...query.types,
        ...(query.beforeId === undefined ? [] : [query.beforeId]),
        query.limit ?? 50,
      )
      .map(rowToEvent);
  }

  /** The highest sequence number appended so far. */
  head(): number {
    return this.#store.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM journal_events')?.seq ?? 0;
  }

  cursor(sink: string): number {
    const row = this.#store.get<{ seq: number }>('SELECT seq FROM journal_cursors WHERE sink = ?', sink);
    if (row) return row.seq;
    // A sink never seen before gets what happens from this run on, not all history; starting at the
    // run's first event (not the current head) keeps events that plugins started earlier emitted.
    const start = this.#bootHead;
    this.#store.run('INSERT INTO journal_cursors (sink, seq, updated_ms) VALUES (?, ?, ?)', sink, start, this.#clock.now());
    return start;
  }

  /**
   * Unacknowledged events per sink subscribed in this run. A sink no longer configured keeps its
   * cursor (it resumes where it stopped if it comes back) but is not listed: its "lag" would only grow.
   */
  lags(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#runners) out[r.name] = r.lag();
    return out;
  }

  /** The last failure of each running sink's handler (scrubbed), and when; absent for a sink that never failed. */
  sinkErrors(): Record<string, { message: string; at: string; failing: boolean }> {
    const out: Record<string, { message: string; at: string; failing: boolean }> = {};
    for (const r of this.#runners) if (r.lastError) out[r.name] = { ...r.lastError };
    return out;
  }

  /**
   * Hands every event after the sink's durable cursor to `handler`, then each new one as it commits.
   * The sink name is its identity across restarts: keep it stable.
   */
  subscribe(sink: string, handler: SinkHandler, options: SinkOptions = {}): SinkSubscription {
    for (const r of this.#runners) if (r.name === sink) throw new Error(`sink "${sink}" is already subscribed`);
    const runner = new SinkRunner(sink, handler, options, {
      store: this.#store,
      clock: this.#clock,
      log: this.#log,
      start: this.cursor(sink),
      onStop: () => this.#runners.delete(runner),
    });
    this.#runners.add(runner);
    runner.run();
    return runner;
  }

  /**
   * Keeps events from being pruned while a plugin still needs them after acknowledging them (the
   * webhook plugin's deliveries that wait for a retry read their event from here). `floor` returns
   * the lowest sequence number still needed, or null. Returns an unregister function.
   */
  retain(name: string, floor: () => number | null): () => void {
    this.#floors.set(name, floor);
    return () => this.#floors.delete(name);
  }

  /**
   * Deletes events that every subscribed sink has acknowledged, that no plugin retains, and that are
   * older than the retention. Returns how many were deleted.
   */
  prune(): number {
    // Sinks not running now (an optional one that failed to start, one left out of the config for a
    // while) keep their events too, unless their cursor has not moved for staleSinkMs: a sink removed
    // for good must not make the database grow forever.
    const running = new Map([...this.#runners].map((r) => [r.name, r.acked]));
    const stale = this.#clock.now() - this.#staleSinkMs;
    let floor = this.head();
    for (const c of this.#store.all<{ sink: string; seq: number; updated_ms: number }>('SELECT sink, seq, updated_ms FROM journal_cursors')) {
      const seq = running.get(c.sink) ?? (c.updated_ms >= stale ? c.seq : Infinity);
      floor = Math.min(floor, seq);
    }
    for (const retained of this.#floors.values()) {
      const seq = retained();
      if (seq !== null) floor = Math.min(floor, seq - 1);
    }
    const cutoff = this.#clock.now() - this.#retentionMs;
    return this.#store.run('DELETE FROM journal_events WHERE seq <= ? AND created_ms < ?', floor, cutoff).changes;
  }
}

export function rowToEvent(row: EventRow): AnyEvent {
  return { seq: row.seq, id: row.id, type: row.type, timestamp: row.ts, data: JSON.parse(row.data) } as AnyEvent;
}

interface RunnerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  start: number;
  onStop: () => void;
}

class SinkRunner implements SinkSubscription {
  readonly name: string;
  /** Highest seq such that it and everything before it is acknowledged. */
  acked: number;
  readonly #handler: SinkHandler;
  readonly #opts: Required<Pick<SinkOptions, 'concurrency' | 'backoff'>> & SinkOptions;
  readonly #deps: RunnerDeps;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #dirty = false;
  #done: Promise<void> = Promise.resolve();
  #saveScheduled = false;
  /** The handler's last failure (its message scrubbed); `failing` until an event is handled again. */
  lastError: { message: string; at: string; failing: boolean } | null = null;

  constructor(name: string, handler: SinkHandler, options: SinkOptions, deps: RunnerDeps) {
    this.name = name;
    this.#handler = handler;
    this.#opts = { concurrency: 1, backoff: defaultBackoff, ...options };
    this.#deps = deps;
    this.acked = deps.start;
  }

  wake(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  lag(): number {
    return (
      this.#deps.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal_events WHERE seq > ?', this.acked)?.n ?? 0
    );
  }

  run(): void {
    this.#done = this.#loop().catch((error) => {
      if (!this.#abort.signal.aborted) this.#deps.log.error({ err: error, sink: this.name }, 'sink runner stopped');
    });
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    const { concurrency } = this.#opts;
    // Events acknowledged out of order wait here until everything before them is acknowledged too;
    // bounded so that one stuck event cannot make the window grow without limit.
    const maxWindow = concurrency * 64;
    let fetchedUpTo = this.acked;
    const window: { seq: number; done: boolean; promise: Promise<void> }[] = [];
    while (!signal.aborted) {
      this.#dirty = false;
      const inFlight = window.filter((s) => !s.done);
      const room = Math.min(concurrency - inFlight.length, maxWindow - window.length);
      if (room > 0) {
        // As arrays (Store.arrays): a backlog is read here event by event.
        const rows = this.#deps.store.arrays<[seq: number, id: string, type: string, ts: string, data: string]>(
          'SELECT seq, id, type, ts, data FROM journal_events WHERE seq > ? ORDER BY seq LIMIT ?',
          fetchedUpTo,
          room,
        );
        for (const [seq, id, type, ts, data] of rows) {
          fetchedUpTo = seq;
          const slot = { seq, done: false, promise: Promise.resolve() };
          slot.promise = this.#deliver(rowToEvent({ seq, id, type, ts, data })).then(() => {
            slot.done = true;
          });
          window.push(slot);
          inFlight.push(slot);
        }
        if (rows.length === room) this.#dirty = true; // there may be more behind them
      }
      let advanced = false;
      while (window.length && window[0]!.done) {
        this.acked = window.shift()!.seq;
        advanced = true;
      }
      if (advanced) this.#scheduleSave();
      const busy = inFlight.filter((s) => !s.done);
      if (this.#dirty && busy.length < concurrency && window.length < maxWindow) continue;
      // Sleep until an event settles, a new one is committed, or we are stopped.
      await Promise.race([
        ...busy.map((s) => s.promise),
        new Promise<void>((resolve) => {
          this.#wake = resolve;
          // stop() and wake() call #wake; check the flags they set in case they ran before this.
          if (signal.aborted || (this.#dirty && busy.length < concurrency)) resolve();
        }),
      ]);
      this.#wake = undefined;
    }
  }

  async #deliver(event: AnyEvent): Promise<void> {
    const { types, filter } = this.#opts;
    if (types && !types.includes(event.type)) return;
    if (filter && !filter(event)) return;
    const signal = this.#abort.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.#handler(event);
        if (this.lastError) this.lastError.failing = false;
        return;
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = { message: redactString(error instanceof Error ? error.message : String(error)), at: isoWithOffset(this.#deps.clock.now()), failing: true };
        const delay = this.#opts.backoff(attempt);
        this.#deps.log.warn({ err: error, sink: this.name, event: event.id, attempt, retryInMs: delay }, 'sink will retry event');
        await this.#deps.clock.sleep(delay, signal).catch(() => {});
      }
    }
    // Stopped before acknowledgement: never settle, so the cursor stays before this event.
    await new Promise(() => {});
  }

  #scheduleSave(): void {
    if (this.#saveScheduled) return;
    this.#saveScheduled = true;
    // Coalesce cursor writes: losing one only means a redelivery, which at-least-once allows.
    setImmediate(() => {
      this.#saveScheduled = false;
      this.#save();
    });
  }

  /**
   * While running, without waiting for the disk: a cursor lost at a power failure only hands events
   * over again (at-least-once), and with several sinks acknowledging a backlog, an fsync per sink per
   * turn of the event loop was most of the agent's time. The last save at stop waits for the disk.
   */
  #save(durable = false): void {
    const { store } = this.#deps;
    if (store.closed) return;
    const save = () =>
      store.run('UPDATE journal_cursors SET seq = ?, updated_ms = ? WHERE sink = ? AND seq < ?', this.acked, this.#deps.clock.now(), this.name, this.acked);
    if (durable) save();
    else store.relaxed(save);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#done;
    this.#save(true);
    this.#deps.onStop();
  }
}
