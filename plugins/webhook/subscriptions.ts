// Subscriptions: stored in the store, cached in memory (the sink matches every event against them).
import type { AnyEvent, EventType } from '../../core/events.ts';
import { newId } from '../../core/ids.ts';
import { registerSecret } from '../../core/redact.ts';
import type { Store } from '../../core/store.ts';
import type { FormatName } from './formats/types.ts';
import { generateSecret } from './secret.ts';
import { displayUrl, endpointKey } from './url.ts';

/** What a subscription gets when it names no events: every sms.* event and call.missed. */
export const defaultEvents: readonly EventType[] = ['sms.received', 'sms.sent', 'sms.delivered', 'sms.failed', 'sms.expired', 'sms.cancelled', 'call.missed'];

/** How long the previous secret keeps signing after a rotation (Standard Webhooks allows several signatures). */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export interface Filters {
  /** The sender (or caller) number; a trailing `*` matches a prefix. */
  from?: string;
  modem?: string;
}

export interface Subscription {
  id: string;
  /** `webhook` (POST /webhooks) or `subscribe` (the POST /sms/subscribe shortcut). */
  kind: 'webhook' | 'subscribe';
  url: string;
  events: string[];
  format: FormatName;
  secret: string | null;
  /** Signs with the agent's default secret (SMSEDGE_WEBHOOK_SECRET) instead of its own. */
  useDefaultSecret: boolean;
  previousSecret: string | null;
  previousExpiresAt: number | null;
  filters: Filters;
  enabled: boolean;
  disabledReason: string | null;
  maxAttempts: number | null;
  timeoutMs: number | null;
  rateLimitPerMinute: number | null;
  headers: Record<string, string> | null;
  createdAt: number;
  updatedAt: number;
}

export type SubscriptionInput = {
  url: string;
  events?: string[];
  format?: FormatName;
  secret?: string | null;
  filters?: Filters;
  enabled?: boolean;
  maxAttempts?: number | null;
  timeoutMs?: number | null;
  rateLimitPerMinute?: number | null;
  headers?: Record<string, string> | null;
};

interface Row {
  id: string;
  kind: string;
  url: string;
  events: string;
  format: string;
  secret: string | null;
  use_default_secret: number;
  previous_secret: string | null;
  previous_expires_at: number | null;
  filters: string;
  enabled: number;
  disabled_reason: string | null;
  max_attempts: number | null;
  timeout_ms: number | null;
  rate_limit_per_minute: number | null;
  headers: string | null;
  created_at: number;
  updated_at: number;
}

function fromRow(r: Row): Subscription {
  return {
    id: r.id,
    kind: r.kind === 'subscribe' ? 'subscribe' : 'webhook',
    url: r.url,
    events: JSON.parse(r.events) as string[],
    format: r.format as FormatName,
    secret: r.secret,
    useDefaultSecret: r.use_default_secret === 1,
    previousSecret: r.previous_secret,
    previousExpiresAt: r.previous_expires_at,
    filters: JSON.parse(r.filters) as Filters,
    enabled: r.enabled === 1,
    disabledReason: r.disabled_reason,
    maxAttempts: r.max_attempts,
    timeoutMs: r.timeout_ms,
    rateLimitPerMinute: r.rate_limit_per_minute,
    headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function matchesNumber(pattern: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** Whether `event` goes to `sub` (enabled, type listed, filters pass). `webhook.test` only to its target. */
export function subscriptionMatches(sub: Subscription, event: AnyEvent): boolean {
  if (!sub.enabled) return false;
  if (event.type === 'webhook.test') return event.data.webhookId === sub.id;
  if (!sub.events.includes(event.type) && !sub.events.includes('*')) return false;
  const data = event.data as unknown as Record<string, unknown>;
  if (sub.filters.from !== undefined && !matchesNumber(sub.filters.from, data.from)) return false;
  if (sub.filters.modem !== undefined && data.modem !== sub.filters.modem) return false;
  return true;
}

/**
 * The subscriptions, kept in memory and written through to the store. Every write registers the
 * secrets with the logger's redaction, so a secret that slips into a message is still masked.
 */
export class Subscriptions {
  readonly #store: Store;
  readonly #now: () => number;
  #byId = new Map<string, Subscription>();
  /** all(), built once per change: the intake asks for it for every event it takes in. */
  #list: readonly Subscription[] | undefined;
  /** Called after a change is committed (the engine drops what it prefetched). */
  onChange: (sub: Subscription, change: 'created' | 'updated' | 'deleted') => void = () => {};

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
    this.reload();
  }

  reload(): void {
    this.#byId = new Map(this.#store.all<Row>('SELECT * FROM webhook_subscriptions ORDER BY id').map((r) => [r.id, fromRow(r)]));
    this.#list = undefined;
    for (const s of this.#byId.values()) {
      registerSecret(s.secret);
      registerSecret(s.previousSecret);
    }
  }

  all(): readonly Subscription[] {
    return (this.#list ??= [...this.#byId.values()]);
  }

  #put(sub: Subscription): void {
    this.#byId.set(sub.id, sub);
    this.#list = undefined;
  }

  get(id: string): Subscription | undefined {
    return this.#byId.get(id);
  }

  /** The secrets that sign now, newest first (the previous one only during its overlap). */
  signingSecrets(sub: Subscription, defaultSecret: string | undefined, now: number): string[] {
    if (sub.useDefaultSecret) return defaultSecret ? [defaultSecret] : [];
    const out: string[] = [];
    if (sub.secret) out.push(sub.secret);
    if (sub.previousSecret && sub.previousExpiresAt !== null && sub.previousExpiresAt > now) out.push(sub.previousSecret);
    return out;
  }

  /** Creates a subscription; returns it and the secret to show once (null when it uses the default). */
  create(input: SubscriptionInput, options: { kind?: 'webhook' | 'subscribe'; useDefaultSecret?: boolean } = {}): { sub: Subscription; secret: string | null } {
    const now = this.#now();
    const useDefault = options.useDefaultSecret ?? false;
    const secret = useDefault ? null : input.secret === null ? null : (input.secret ?? generateSecret());
    const sub: Subscription = {
      id: newId(),
      kind: options.kind ?? 'webhook',
      url: input.url,
      events: input.events?.length ? [...new Set(input.events)] : [...defaultEvents],
      format: input.format ?? 'standard',
      secret,
      useDefaultSecret: useDefault,
      previousSecret: null,
      previousExpiresAt: null,
      filters: input.filters ?? {},
      enabled: input.enabled ?? true,
      disabledReason: null,
      maxAttempts: input.maxAttempts ?? null,
      timeoutMs: input.timeoutMs ?? null,
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      headers: input.headers ?? null,
      createdAt: now,
      updatedAt: now,
    };
    this.#store.run(
      `INSERT INTO webhook_subscriptions (id, kind, url, events, format, secret, use_default_secret, filters, enabled,
        max_attempts, timeout_ms, rate_limit_per_minute, headers, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      sub.id, sub.kind, sub.url, JSON.stringify(sub.events), sub.format, sub.secret, useDefault ? 1 : 0,
      JSON.stringify(sub.filters), sub.enabled ? 1 : 0, sub.maxAttempts, sub.timeoutMs, sub.rateLimitPerMinute,
      sub.headers ? JSON.stringify(sub.headers) : null, now, now,
    );
    registerSecret(secret);
    this.#put(sub);
    this.onChange(sub, 'created');
    return { sub, secret };
  }

  /** Applies a partial update. Setting `secret` replaces it at once (rotate keeps the old one a while). */
  update(id: string, patch: Partial<SubscriptionInput>): Subscription | undefined {
    const old = this.#byId.get(id);
    if (!old) return undefined;
    const now = this.#now();
    const sub: Subscription = { ...old, updatedAt: now };
    if (patch.url !== undefined) sub.url = patch.url;
    if (patch.events !== undefined) sub.events = patch.events.length ? [...new Set(patch.events)] : [...defaultEvents];
    if (patch.format !== undefined) sub.format = patch.format;
    if (patch.secret !== undefined) {
      sub.secret = patch.secret;
      sub.useDefaultSecret = false;
      registerSecret(patch.secret);
    }
    if (patch.filters !== undefined) sub.filters = patch.filters;
    if (patch.enabled !== undefined) {
      sub.enabled = patch.enabled;
      if (patch.enabled) sub.disabledReason = null;
    }
    if (patch.maxAttempts !== undefined) sub.maxAttempts = patch.maxAttempts;
    if (patch.timeoutMs !== undefined) sub.timeoutMs = patch.timeoutMs;
    if (patch.rateLimitPerMinute !== undefined) sub.rateLimitPerMinute = patch.rateLimitPerMinute;
    if (patch.headers !== undefined) sub.headers = patch.headers;
    this.#store.transaction(() => {
      this.#write(sub);
      // Waiting deliveries follow the subscription to its new URL.
      if (sub.url !== old.url)
        this.#store.run('UPDATE webhook_deliveries SET endpoint = ? WHERE subscription_id = ? AND next_at IS NOT NULL', endpointKey(sub.url), id);
    });
    this.#put(sub);
    this.onChange(sub, 'updated');
    return sub;
  }

  /** A new secret signs from now on; the previous one keeps signing alongside for 24 h. */
  rotate(id: string, secret = generateSecret()): { sub: Subscription; secret: string } | undefined {
    const old = this.#byId.get(id);
    if (!old) return undefined;
    const now = this.#now();
    const sub: Subscription = {
      ...old,
      secret,
      useDefaultSecret: false,
      previousSecret: old.secret,
      previousExpiresAt: old.secret ? now + ROTATION_OVERLAP_MS : null,
      updatedAt: now,
    };
    registerSecret(secret);
    this.#write(sub);
    this.#put(sub);
    this.onChange(sub, 'updated');
    return { sub, secret };
  }

  /** Turns a subscription off (a `410 Gone` answer does this); its waiting deliveries are held. */
  disable(id: string, reason: string): void {
    const sub = this.#byId.get(id);
    if (!sub || !sub.enabled) return;
    const next = { ...sub, enabled: false, disabledReason: reason, updatedAt: this.#now() };
    this.#write(next);
    this.#put(next);
    this.onChange(next, 'updated');
  }

  delete(id: string): boolean {
    const sub = this.#byId.get(id);
    if (!sub) return false;
    this.#store.run('DELETE FROM webhook_subscriptions WHERE id = ?', id);
    this.#byId.delete(id);
    this.#list = undefined;
    this.onChange(sub, 'deleted');
    return true;
  }

  #write(sub: Subscription): void {
    this.#store.run(
      `UPDATE webhook_subscriptions SET url = ?, events = ?, format = ?, secret = ?, use_default_secret = ?, previous_secret = ?,
        previous_expires_at = ?, filters = ?, enabled = ?, disabled_reason = ?, max_attempts = ?, timeout_ms = ?,
        rate_limit_per_minute = ?, headers = ?, updated_at = ? WHERE id = ?`,
      sub.url, JSON.stringify(sub.events), sub.format, sub.secret, sub.useDefaultSecret ? 1 : 0, sub.previousSecret,
      sub.previousExpiresAt, JSON.stringify(sub.filters), sub.enabled ? 1 : 0, sub.disabledReason, sub.maxAttempts,
      sub.timeoutMs, sub.rateLimitPerMinute, sub.headers ? JSON.stringify(sub.headers) : null, sub.updatedAt, sub.id,
    );
  }
}

/** A subscription as the API shows it: never a secret, userinfo, query value or header value. */
export function publicSubscription(sub: Subscription, now: number) {
  return {
    id: sub.id,
    kind: sub.kind,
    url: displayUrl(sub.url),
    events: sub.events,
    format: sub.format,
    secret: sub.useDefaultSecret ? 'default' : sub.secret ? 'set' : 'none',
    previousSecretUntil: sub.previousExpiresAt !== null && sub.previousExpiresAt > now ? new Date(sub.previousExpiresAt).toISOString() : null,
    filters: sub.filters,
    enabled: sub.enabled,
    disabledReason: sub.disabledReason,
    maxAttempts: sub.maxAttempts,
    timeoutMs: sub.timeoutMs,
    rateLimitPerMinute: sub.rateLimitPerMinute,
    headers: sub.headers ? Object.keys(sub.headers) : [],
    createdAt: new Date(sub.createdAt).toISOString(),
    updatedAt: new Date(sub.updatedAt).toISOString(),
  };
}
