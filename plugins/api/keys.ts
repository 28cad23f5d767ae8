// The API keys: those the config names (their values come from environment variables and are only
// ever held hashed in memory) and those an admin created through the API (stored hashed: the
// database holds a SHA-256 of a 256-bit random key, never the key). A presented key is compared with
// every known hash in constant time, so neither the answer time nor the order of the keys tells
// anything about the keys.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { registerSecret } from '../../core/redact.ts';
import type { Migration, Store } from '../../core/store.ts';
import { KeyRateLimiter, type RateLimit } from './ratelimit.ts';
import { ApiError, SCOPES, type Principal, type RouteDef, type Scope } from './service.ts';

/** A key from the config: its name, the key itself (from the environment) and what it may do. */
export interface ConfiguredKey {
  name: string;
  key: string;
  scopes: readonly Scope[];
  rateLimit?: RateLimit;
}

/** A key as GET /keys shows it (never the key itself). */
export interface KeyInfo {
  name: string;
  scopes: Scope[];
  /** `config`: from agent.config.ts and the environment (changed there); `api`: created through POST /keys. */
  source: 'config' | 'api';
  /** The key's first characters, to tell keys apart (API keys only). */
  prefix: string | null;
  rateLimit: RateLimit | null;
  createdAt: string | null;
}

interface Entry {
  info: KeyInfo;
  hash: Buffer;
}

/** Created keys start with this, so secret scanners and people can recognise them. */
const PREFIX = 'smsedge_';

/** The tables of the access part of the API: keys created through it, and the audit log (audit.ts). */
export const accessMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE api_keys (
      name TEXT PRIMARY KEY,
      hash TEXT NOT NULL UNIQUE,
      prefix TEXT NOT NULL,
      scopes TEXT NOT NULL,
      rate_limit TEXT,
      created_at TEXT NOT NULL,
      created_by TEXT
    )`,
  },
  {
    version: 2,
    up: `CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      key_name TEXT,
      method TEXT NOT NULL,
      route TEXT NOT NULL,
      target TEXT,
      status INTEGER NOT NULL,
      code TEXT,
      client TEXT,
      request_id TEXT NOT NULL
    );
    CREATE INDEX audit_log_at ON audit_log (at)`,
  },
];

const sha256 = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** Whether `scopes` allow `needed` (admin allows everything; `any` needs only a valid key). */
export function allows(scopes: readonly Scope[], needed: Scope | 'any'): boolean {
  return needed === 'any' || scopes.includes('admin') || scopes.includes(needed);
}

/** The scope a route needs: its own, else read for GET and admin for anything else. */
export function scopeOf(def: Pick<RouteDef, 'method' | 'scope'>): Scope | 'any' {
  return def.scope ?? (def.method === 'GET' ? 'read' : 'admin');
}

/** Scopes in their usual order, without repeats. */
const ordered = (scopes: readonly Scope[]): Scope[] => SCOPES.filter((s) => scopes.includes(s));

export interface KeyRingOptions {
  clock: Clock;
  /** Keys from the config (the legacy single key is one of them, with the admin scope). */
  configured?: readonly ConfiguredKey[];
  /** Where keys created through the API are kept; without it POST /keys is refused. */
  store?: Store;
  /** The limit of keys without one of their own. */
  defaultRateLimit?: RateLimit;
}

/**
 * Every API key the agent accepts, and their request budgets.
 *
 * @example
 * const ring = new KeyRing({ clock, configured: [{ name: 'monitoring', key: process.env.MON_KEY!, scopes: ['read'] }] });
 * ring.verify(presentedKey(headers)) // { key: 'monitoring', scopes: ['read'] } or undefined
 */
export class KeyRing {
  readonly #entries = new Map<string, Entry>();
  readonly #store?: Store;
  readonly #clock: Clock;
  readonly #limiter: KeyRateLimiter;
  readonly #defaultRateLimit?: RateLimit;

  constructor(options: KeyRingOptions) {
    this.#clock = options.clock;
    this.#store = options.store;
    this.#limiter = new KeyRateLimiter(options.clock);
    this.#defaultRateLimit = options.defaultRateLimit;
    for (const k of options.configured ?? []) {
      registerSecret(k.key);
      this.#entries.set(k.name, {
        hash: sha256(k.key),
        info: { name: k.name, scopes: ordered(k.scopes), source: 'config', prefix: null, rateLimit: k.rateLimit ?? null, createdAt: null },
      });
    }
    if (this.#store) {
      this.#store.migrate('access', accessMigrations);
      const rows = this.#store.all<{ name: string; hash: string; prefix: string; scopes: string; rate_limit: string | null; created_at: string }>(
        'SELECT name, hash, prefix, scopes, rate_limit, created_at FROM api_keys ORDER BY created_at',
      );
      // A config key of the same name wins: the config is the operator's last word.
      for (const r of rows)
        if (!this.#entries.has(r.name))
          this.#entries.set(r.name, {
            hash: Buffer.from(r.hash, 'hex'),
            info: { name: r.name, scopes: ordered(JSON.parse(r.scopes) as Scope[]), source: 'api', prefix: r.prefix, rateLimit: r.rate_limit ? (JSON.parse(r.rate_limit) as RateLimit) : null, createdAt: r.created_at },
          });
    }
  }

  /** Whether any key exists: then every route but the open ones needs one. */
  get required(): boolean {
    return this.#entries.size > 0;
  }

  /** The key's name and scopes when `presented` is a known key. Compares with every key, always. */
  verify(presented: string): Principal | undefined {
    const hash = sha256(presented);
    let found: Entry | undefined;
    for (const entry of this.#entries.values()) if (timingSafeEqual(hash, entry.hash)) found = entry;
    return found && { key: found.info.name, scopes: found.info.scopes };
  }

  /** Every key, config ones first, then by creation. */
  list(): KeyInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info, scopes: [...e.info.scopes] }));
  }

  get(name: string): KeyInfo | undefined {
    const e = this.#entries.get(name);
    return e && { ...e.info, scopes: [...e.info.scopes] };
  }

  /**
   * A new random key, stored hashed; the answer holds the key itself, the only time it is shown.
   * The first key of an API that had none must be an admin key, or nobody could manage keys after.
   */
  create(request: { name: string; scopes: readonly Scope[]; rateLimit?: RateLimit | null }, by: string | null): KeyInfo & { key: string } {
    if (!this.#store) throw new ApiError(409, 'conflict', 'keys cannot be created: the API has no store');
    if (this.#entries.has(request.name)) throw new ApiError(409, 'conflict', `a key named "${request.name}" exists already`, 'name');
    const scopes = ordered(request.scopes);
    if (!this.required && !scopes.includes('admin'))
      throw new ApiError(409, 'conflict', 'the first key must have the admin scope: once a key exists every request needs one, and keys are managed with an admin key', 'scopes');
    const key = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    const hash = sha256(key);
    const info: KeyInfo = { name: request.name, scopes, source: 'api', prefix: key.slice(0, PREFIX.length + 4), rateLimit: request.rateLimit ?? null, createdAt: new Date(this.#clock.now()).toISOString() };
    this.#store.run(
      'INSERT INTO api_keys (name, hash, prefix, scopes, rate_limit, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      info.name, hash.toString('hex'), info.prefix!, JSON.stringify(scopes), info.rateLimit ? JSON.stringify(info.rateLimit) : null, info.createdAt!, by,
    );
    this.#entries.set(info.name, { hash, info });
    this.#limiter.forget(info.name);
    registerSecret(key);
    return { ...info, scopes: [...scopes], key };
  }

  /** Deletes a key created through the API. Config keys, and the last admin key, stay. */
  delete(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) throw new ApiError(404, 'not_found', 'no such key', 'name');
    if (entry.info.source === 'config') throw new ApiError(409, 'conflict', 'this key comes from the config: remove it from agent.config.ts (or its variable) instead', 'name');
    const admins = [...this.#entries.values()].filter((e) => e.info.scopes.includes('admin'));
    if (entry.info.scopes.includes('admin') && admins.length === 1)
      throw new ApiError(409, 'conflict', 'this is the last admin key: create another admin key first, or nobody could manage keys', 'name');
    this.#store!.run('DELETE FROM api_keys WHERE name = ?', name);
    this.#entries.delete(name);
    this.#limiter.forget(name);
  }

  /** Takes one request from the key's budget: 0 when it may go ahead, else the ms to wait. */
  take(name: string): number {
    const entry = this.#entries.get(name);
    return this.#limiter.take(name, entry?.info.rateLimit ?? this.#defaultRateLimit);
  }
}
