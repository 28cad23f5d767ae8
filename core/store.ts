import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { checkFile, problemOf, quickCheck, type FileProblemCode } from './integrity.ts';

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
}

export type StoreErrorCode = 'migration_failed' | 'closed' | FileProblemCode;

/**
 * What the store refuses or cannot do. `store_empty`, `store_corrupt` and `store_read_only` stop the
 * start (the message says what was found and what to do).
 */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
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

  constructor(options: StoreOptions) {
    this.path = options.path;
    this.#synchronous = options.synchronous ?? 'FULL';
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
    const r = this.statement(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
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
    this.db.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${name}`);
    this.#depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.#depth--;
      if (outer) {
        this.db.exec('ROLLBACK');
        this.#afterCommit = [];
      } else {
        this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        this.#afterCommit.length = callbacksBefore;
      }
      throw error;
    }
    this.#depth--;
    if (!outer) {
      this.db.exec(`RELEASE ${name}`);
      return result;
    }
    this.db.exec('COMMIT');
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
