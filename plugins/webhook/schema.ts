import type { Migration } from '../../core/store.ts';

/**
 * The webhook plugin's tables (namespace `webhook`). A delivery is one (event, subscription) pair,
 * or (event, per-message callback URL); `next_at` is set exactly while it waits for an attempt, so
 * the scheduler's index holds only live work.
 */
export const webhookMigrations: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'webhook',
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        format TEXT NOT NULL,
        secret TEXT,
        use_default_secret INTEGER NOT NULL DEFAULT 0,
        previous_secret TEXT,
        previous_expires_at INTEGER,
        filters TEXT NOT NULL DEFAULT '{}',
        enabled INTEGER NOT NULL DEFAULT 1,
        disabled_reason TEXT,
        max_attempts INTEGER,
        timeout_ms INTEGER,
        rate_limit_per_minute INTEGER,
        headers TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL);
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        subscription_id TEXT,
        url TEXT,
        endpoint TEXT NOT NULL,
        replay INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        held_reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        tries INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER,
        backoff TEXT,
        last_status INTEGER,
        last_error_class TEXT,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        delivered_at INTEGER,
        updated_at INTEGER NOT NULL);
      CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (event_id, IFNULL(subscription_id, ''), IFNULL(url, '')) WHERE replay = 0;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, next_at, id) WHERE next_at IS NOT NULL;
      CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, created_at);
      CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, status);
      CREATE TABLE webhook_attempts (
        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        counted INTEGER NOT NULL,
        http_status INTEGER,
        error_class TEXT,
        error TEXT,
        PRIMARY KEY (delivery_id, n));
      CREATE TABLE webhook_endpoints (
        endpoint TEXT PRIMARY KEY,
        breaker TEXT NOT NULL,
        open_until INTEGER,
        updated_at INTEGER NOT NULL);`,
  },
];
