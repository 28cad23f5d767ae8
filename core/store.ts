import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { checkFile, isFull, problemOf, quickCheck, type FileProblemCode } from './integrity.ts';

/** One schema step. `up` is SQL or a function run inside the migration's transaction. */
export interface Migration {
  version: number;
  up: string | ((db: DatabaseSync) => void);
}

export interface StoreOptions {
  /** `:memory:` for a throwaway store. */
  path: string;
  /**
   * SQLite `synchronous`. FULL (the default) fsyncs the WAL on every commit, so an acknowledged SMS
   * survives power loss, not only a crashed process; NORMAL survives `kill -9` but may lose the last
   * commits on power loss. See docs/architecture.md ("Durability") for why this is the default.
   */
  synchronous?: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
  /** The clock for health's `since` (the agent's clock; tests pass a manual one). Default Date.now. */
  now?: () => number;
}

/** Whether the store can write: `fail` with `storage_full` while the disk has no room (since when). */
export type StorageHealth = { status: 'pass' } | { status: 'fail'; reason: 'storage_full'; message: string; since: number };

/** Largest write-ahead log kept after a checkpoint, in bytes: one that grew on a burst gives the space back. */
const WAL_LIMIT_BYTES = 16 * 1024 * 1024;
/** Pages of write-ahead log between checkpoints once the disk has been full (256 KB of 4 KB pages). */
const TIGHT_CHECKPOINT_PAGES = 64;

export type StoreErrorCode = 'migration_failed' | 'closed' | FileProblemCode;

/**
 * What the store refuses or cannot do. `store_empty`, `store_corrupt` and `store_read_only` stop the
 * start (the message says what was found and what to do).
 */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  /** 503 for storage_full: the API answers it as is (the request may be tried again later). */
  readonly status?: number;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    if (code === 'storage_full') this.status = 503;
  }
}

/**
 * The durable store: one SQLite database in WAL mode. It owns the migration table; every plugin
 * registers its own migrations under its namespace.
 *
 * @example
 * const store = openStore({ path: 'data/smsedge.db' });
 * store.migrate('inbox', [{ version: 1, up: 'CREATE TABLE inbox (id TEXT PRIMARY KEY)' }]);
 * store.transaction(() => store.run('INSERT INTO inbox (id) VALUES (?)', 'x'));
 */
export class Store {
  readonly db: DatabaseSync;
  readonly path: string;
  #statements = new Map<string, StatementSync>();
  /** The same SQL prepared to return rows as arrays (see arrays()). */
  #arrayStatements = new Map<string, StatementSync>();
  #depth = 0;
  #afterCommit: (() => void)[] = [];
  #closed = false;
  readonly #synchronous: string;
  readonly #now: () => number;
  readonly #storageListeners = new Set<(state: StorageHealth) => void>();
  #storage: StorageHealth = { status: 'pass' };

  constructor(options: StoreOptions) {
    this.path = options.path;
    this.#synchronous = options.synchronous ?? 'FULL';
    this.#now = options.now ?? Date.now;
    const file = options.path !== ':memory:';
    let db: DatabaseSync | undefined;
    try {
      // The database holds SMS bodies, numbers and webhook secrets: readable by the agent's user only.
      // SQLite gives the -wal and -shm files the database file's permissions.
      if (file) makeDataDir(dirname(options.path));
      // Empty, cut short or not SQLite: refused before SQLite would take it for a new database.
      const problem = file ? checkFile(options.path) : undefined;
      if (problem) throw new StoreError(problem.code, problem.message);
      db = new DatabaseSync(options.path);
      if (file) chmodSync(options.path, 0o600);
      db.exec(`PRAGMA journal_mode = WAL`);
      db.exec(`PRAGMA synchronous = ${this.#synchronous}`);
      db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      db.exec(`PRAGMA foreign_keys = ON`);
      db.exec(`PRAGMA journal_size_limit = ${WAL_LIMIT_BYTES}`);
      const damage = file ? quickCheck(db, options.path) : undefined;
      if (damage) throw new StoreError(damage.code, damage.message);
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        namespace TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
        PRIMARY KEY (namespace, version))`);
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Already failing: the first error is the one to report.
      }
      if (error instanceof StoreError) throw error;
      const problem = problemOf(error, options.path);
      if (problem) throw new StoreError(problem.code, problem.message, { cause: error });
      throw error;
    }
    this.db = db;
  }

  /** Applies the migrations of `namespace` not yet applied, each in its own transaction, in order. */
  migrate(namespace: string, migrations: Migration[]): void {
    const applied = new Set(
      this.all<{ version: number }>('SELECT version FROM schema_migrations WHERE namespace = ?', namespace).map(
        (r) => r.version,
      ),
    );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      try {
        this.transaction(() => {
          if (typeof m.up === 'string') this.db.exec(m.up);
          else m.up(this.db);
          this.run(
            'INSERT INTO schema_migrations (namespace, version, applied_at) VALUES (?, ?, ?)',
            namespace,
            m.version,
            new Date().toISOString(),
          );
        });
      } catch (error) {
        throw new StoreError('migration_failed', `migration ${namespace}#${m.version} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  }

  /** A cached prepared statement. */
  statement(sql: string): StatementSync {
    return this.#prepared(this.#statements, sql, false);
  }

  #prepared(cache: Map<string, StatementSync>, sql: string, arrays: boolean): StatementSync {
    if (this.#closed) throw new StoreError('closed', 'store is closed');
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (arrays) stmt.setReturnArrays(true);
      cache.set(sql, stmt);
    }
    return stmt;
  }

  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    let r;
    if (this.#depth === 0 && this.#storage.status === 'fail') this.#makeRoom();
    try {
      r = this.statement(sql).run(...params);
    } catch (error) {
      throw this.#failed(error);
    }
    if (this.#depth === 0 && this.#storage.status === 'fail') this.#writable();
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Calls `listener` when writes start failing for lack of space, and when they work again. Returns its remover. */
  onStorage(listener: (state: StorageHealth) => void): () => void {
    this.#storageListeners.add(listener);
    return () => this.#storageListeners.delete(listener);
  }

  #tell(): void {
    for (const listener of this.#storageListeners) listener(this.#storage);
  }

  /** Whether writes work; `fail` (storage_full) from a write that found no room until one works again. */
  storage(): StorageHealth {
    return this.#storage;
  }

  /**
   * While the disk is full, tries one small write (the agent calls it every few seconds, so the store
   * recovers when nothing else writes), after a checkpoint like every write then (#makeRoom). Returns
   * whether writes work.
   */
  probe(): boolean {
    if (this.#storage.status === 'pass' || this.#closed) return true;
    try {
      // transaction() checkpoints first while the disk is full (#makeRoom).
      this.transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL)');
        this.run('INSERT OR REPLACE INTO store_probe (id, at_ms) VALUES (1, ?)', this.#now());
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Maps a failed write: no room left becomes StoreError storage_full (and the store's health fails). */
  #failed(error: unknown): unknown {
    if (!isFull(error) || error instanceof StoreError) return error;
    if (this.#storage.status === 'pass') {
      this.#storage = {
        status: 'fail',
        reason: 'storage_full',
        message: `the disk holding ${this.path} is full: nothing new can be stored (SMS to send, received SMS, events)`,
        since: this.#now(),
      };
      this.#tell();
    }
    return new StoreError('storage_full', 'the disk is full: the message was not stored; try again when the operator has freed space', { cause: error });
  }

  /**
   * While the disk is full, every write first checkpoints the write-ahead log into the database and
   * truncates it, as a restart would. Without it, writes that fail part-way grow the log into any room
   * the operator frees, and the checkpoint that would give the log's room back then cannot grow the
   * database: full again, measured on a 4 MB tmpfs (test/api/full.test.ts). It fails quickly while
   * there is no room; once there is, the database takes what it needs before the log can.
   */
  #makeRoom(): void {
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // Still no room (or a reader in the way): the write that follows says so.
    }
  }

  #writable(): void {
    this.#storage = { status: 'pass' };
    this.#tell();
    // A disk that was full once has little room: checkpoint every TIGHT_CHECKPOINT_PAGES instead of
    // SQLite's 1000 (4 MB), or the log alone fills the room freed, rewriting the same few pages (a
    // backlog of sends after recovery grew it by 3.8 MB in 2 s on the 4 MB tmpfs of the test).
    this.db.exec(`PRAGMA wal_autocheckpoint = ${TIGHT_CHECKPOINT_PAGES}`);
    // What the log grew to while checkpoints could not finish goes back to the disk now.
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // A reader in the way: the next checkpoint shortens it to journal_size_limit.
    }
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  /**
   * Rows as arrays, columns in the SELECT's order, for hot paths. The row objects node:sqlite builds
   * have a null prototype and dictionary-mode properties: every read of one is a hash lookup, and a
   * property added to one is a dictionary insert. A caller that builds a plain object from the array
   * with a literal (one hidden class) reads it fast from then on: a webhook backlog's page of due
   * deliveries took 3.5 instead of 6 µs per row, measured.
   */
  arrays<T extends unknown[]>(sql: string, ...params: SqlValue[]): T[] {
    return this.#prepared(this.#arrayStatements, sql, true).all(...params) as unknown as T[];
  }

  /**
   * Runs `fn` with commits that do not wait for the disk (synchronous=NORMAL), for writes whose loss at
   * a power failure only repeats work: a sink's cursor (its events are handed over again). A process
   * that is killed loses nothing (the OS has the write), and WAL keeps commits in order: a lost one
   * takes only later ones with it, never an earlier fact. Inside a transaction `fn` simply joins it.
   */
  relaxed<T>(fn: () => T): T {
    if (this.#depth > 0 || this.#synchronous === 'NORMAL' || this.#synchronous === 'OFF') return fn();
    // Cached statements: a running sink calls this once per turn of the event loop.
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return fn();
    } finally {
      this.statement(`PRAGMA synchronous = ${this.#synchronous}`).run();
    }
  }

  /**
   * Runs `fn` in a transaction (a savepoint when nested). When the outermost one commits, the
   * callbacks registered with `afterCommit` run: that is when a fact is durable and may be announced.
   */
  transaction<T>(fn: () => T): T {
    const outer = this.#depth === 0;
    const name = `sp${this.#depth}`;
    // Callbacks registered inside a savepoint that rolls back belong to facts that never happened.
    const callbacksBefore = this.#afterCommit.length;
    if (outer && this.#storage.status === 'fail') this.#makeRoom();
    this.db.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${name}`);
    this.#depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.#depth--;
      // SQLite rolls the whole transaction back by itself after some errors (a full disk): then
      // there is nothing left to roll back, and trying would hide the error behind its own.
      const open = this.db.isTransaction;
      if (outer) {
        if (open) this.db.exec('ROLLBACK');
        this.#afterCommit = [];
      } else {
        if (open) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        this.#afterCommit.length = callbacksBefore;
      }
      throw this.#failed(error);
    }
    this.#depth--;
    if (!outer) {
      this.db.exec(`RELEASE ${name}`);
      return result;
    }
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      // lang_transaction.html: after a failed COMMIT (SQLITE_FULL, IOERR) roll back explicitly.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      this.#afterCommit = [];
      throw this.#failed(error);
    }
    if (this.#storage.status === 'fail') this.#writable();
    const callbacks = this.#afterCommit;
    this.#afterCommit = [];
    for (const cb of callbacks) cb();
    return result;
  }

  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /** Runs `cb` once the current transaction commits, or now when there is none. */
  afterCommit(cb: () => void): void {
    if (this.#depth > 0) this.#afterCommit.push(cb);
    else cb();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#arrayStatements.clear();
    this.db.close();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

function makeDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Node reports ENOENT for a directory it cannot create on a read-only file system.
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StoreError(
      'store_read_only',
      `cannot create the data directory ${dir} (${reason}): its parent must be writable by the agent's user, or create it yourself and give it to that user. Check also whether the file system is mounted read-only.`,
      { cause: error },
    );
  }
}

export type SqlValue = string | number | bigint | null | Uint8Array;

export function openStore(options: StoreOptions): Store {
  return new Store(options);
}
