// What the routes (and other plugins, through `ctx.use('webhook')`) can do with webhooks. Input shapes
// are checked by the routes' schemas; this checks meaning (URLs, secrets, ids) and throws
// WebhookError with an HTTP status, a code and the field at fault.
import { eventTypes, isEventType, type EventType } from '../../core/events.ts';
import type { Journal } from '../../core/journal.ts';
import { ApiError } from '../api/service.ts';
import type { Store } from '../../core/store.ts';
import { deliveryStatuses, publicDelivery, type Deliveries, type DeliveryStatus, type NewDelivery } from './deliveries.ts';
import type { AttemptResult, Engine } from './engine.ts';
import type { FormatName } from './formats/types.ts';
import { publicSubscription, subscriptionMatches, type Subscription, type SubscriptionInput, type Subscriptions } from './subscriptions.ts';
import { isStandardSecret } from './secret.ts';
import { checkDestination, DestinationError, type DestinationPolicy, type Resolver } from './destination.ts';
import { checkUrl, endpointKey, WebhookUrlError } from './url.ts';

/**
 * A refused request (status, code, field at fault). An ApiError, so the API answers it as such; the
 * class comes from the API's plain service module, which the webhook plugin can import without the
 * API plugin running.
 */
export class WebhookError extends ApiError {
  override name = 'WebhookError';
}

/** Event types a subscription may name (`*` for all). */
export const subscribableEvents: readonly string[] = [...eventTypes.filter((t) => t !== 'webhook.test'), '*'];

/** Most events one replay may queue. */
export const REPLAY_LIMIT = 10_000;

export type PublicSubscription = ReturnType<typeof publicSubscription>;
export type PublicDelivery = ReturnType<typeof publicDelivery>;

export interface WebhookServiceDeps {
  store: Store;
  journal: Journal;
  now: () => number;
  subscriptions: Subscriptions;
  deliveries: Deliveries;
  engine: Engine;
  allowHosts?: readonly string[];
  /** Where receivers may be (address literals are checked here, every connection in the transport). */
  policy: DestinationPolicy;
  /** Resolves a callbackUrl's name when a send is accepted. */
  resolver: Resolver;
  defaultSecret?: string;
  emitTest: (webhookId: string) => { id: string; type: EventType };
}

export class WebhookService {
  readonly #d: WebhookServiceDeps;

  constructor(deps: WebhookServiceDeps) {
    this.#d = deps;
  }

  /** Where webhooks may connect; other plugins' outbound calls (door callbacks) follow it too. */
  get policy(): DestinationPolicy {
    return this.#d.policy;
  }

  eventTypes(): { type: string; default: boolean }[] {
    return subscribableEvents.filter((t) => t !== '*').map((type) => ({
      type,
      default: type.startsWith('sms.') || type === 'call.missed',
    }));
  }

  list(): PublicSubscription[] {
    const now = this.#d.now();
    return this.#d.subscriptions.all().map((s) => publicSubscription(s, now));
  }

  get(id: string): PublicSubscription {
    return publicSubscription(this.#find(id), this.#d.now());
  }

  /**
   * Checks a message's callbackUrl when the send is accepted, by the rules every delivery follows:
   * the URL, allowHosts, and the destination policy for the address literal or for every address its
   * name resolves to now (a name that does not resolve now is accepted: each attempt checks again).
   * Throws a 400 `invalid_url` naming `field`.
   */
  async checkCallbackUrl(value: string, field = 'callbackUrl'): Promise<void> {
    const url = checkUrl(value, this.#d.allowHosts, field, this.#d.policy);
    try {
      await checkDestination(url, this.#d.policy, this.#d.resolver);
    } catch (error) {
      if (error instanceof DestinationError) throw new WebhookUrlError(`${url.hostname} resolves only to refused addresses: ${error.message}`, field);
      throw error;
    }
  }

  /**
   * Creates a subscription. The secret (generated when omitted) is returned here and never again.
   * `useDefaultSecret` signs with the agent's default secret instead (the SMS Gateway front door's
   * webhooks: that API has no way to hand a secret back).
   */
  create(input: SubscriptionInput, options: { useDefaultSecret?: boolean } = {}): { webhook: PublicSubscription; secret: string | null } {
    this.#check(input, input.format ?? 'standard');
    const { sub, secret } = this.#d.subscriptions.create(input, options);
    return { webhook: publicSubscription(sub, this.#d.now()), secret };
  }

  /** POST /sms/subscribe: a `callstack` subscription to sms.received, signed with the default secret. */
  subscribe(url: string): { webhook: PublicSubscription } {
    checkUrl(url, this.#d.allowHosts, 'url', this.#d.policy);
    const existing = this.#d.subscriptions.all().find((s) => s.kind === 'subscribe' && s.url === url);
    if (existing) return { webhook: publicSubscription(existing, this.#d.now()) };
    const { sub } = this.#d.subscriptions.create(
      { url, events: ['sms.received'], format: 'callstack' },
      { kind: 'subscribe', useDefaultSecret: true },
    );
    return { webhook: publicSubscription(sub, this.#d.now()) };
  }

  update(id: string, patch: Partial<SubscriptionInput>): PublicSubscription {
    const old = this.#find(id);
    this.#check(patch, patch.format ?? old.format, old);
    const wasEnabled = old.enabled;
    const sub = this.#d.subscriptions.update(id, patch)!;
    const now = this.#d.now();
    if (wasEnabled && !sub.enabled)
      this.#d.deliveries.settleForSubscription(id, { status: 'held', reason: 'disabled', message: 'the subscription is disabled' }, now);
    if (!wasEnabled && sub.enabled) this.#d.deliveries.release('disabled', now, id);
    this.#d.engine.invalidate();
    this.#wakeAll();
    return publicSubscription(sub, now);
  }

  remove(id: string): void {
    this.#find(id);
    this.#d.store.transaction(() => {
      this.#d.deliveries.settleForSubscription(id, { status: 'failed', reason: 'deleted', message: 'the subscription was deleted' }, this.#d.now());
      this.#d.subscriptions.delete(id);
    });
    this.#d.engine.invalidate();
  }

  /** A new secret signs from now on; the old one signs alongside for 24 h. Shown once. */
  rotateSecret(id: string): { webhook: PublicSubscription; secret: string; previousSecretUntil: string | null } {
    this.#find(id);
    const { sub, secret } = this.#d.subscriptions.rotate(id)!;
    const view = publicSubscription(sub, this.#d.now());
    return { webhook: view, secret, previousSecretUntil: view.previousSecretUntil };
  }

  /** Records a `webhook.test` event for this subscription and makes its delivery's first attempt now. */
  async test(id: string): Promise<AttemptResult & { eventId: string }> {
    const sub = this.#find(id);
    if (!sub.enabled) throw new WebhookError(409, 'webhook_disabled', 'the subscription is disabled; enable it first', 'id');
    const now = this.#d.now();
    const { deliveryId, eventId } = this.#d.store.transaction(() => {
      const event = this.#d.emitTest(id);
      const [row] = this.#d.deliveries.insert(
        [{ eventId: event.id, eventType: event.type, subscriptionId: id, url: null, endpoint: endpointKey(sub.url) }],
        now,
      );
      return { deliveryId: row?.id, eventId: event.id };
    });
    if (!deliveryId) throw new WebhookError(409, 'conflict', 'the test delivery exists already');
    const result = await this.#d.engine.attemptNow(deliveryId);
    return { ...result!, eventId };
  }

  /** Queues past events from the journal again (new delivery ids; receivers de-duplicate on the event id). */
  replay(id: string, range: { since: string; until?: string }): { queued: number; truncated: boolean } {
    const sub = this.#find(id);
    const since = Date.parse(range.since);
    if (!Number.isFinite(since)) throw new WebhookError(400, 'invalid_request', 'since is not a date', 'since');
    const until = range.until === undefined ? this.#d.now() : Date.parse(range.until);
    if (!Number.isFinite(until)) throw new WebhookError(400, 'invalid_request', 'until is not a date', 'until');
    if (until < since) throw new WebhookError(400, 'invalid_request', 'until is before since', 'until');
    const types = sub.events.includes('*') ? undefined : sub.events;
    const replayable = { ...sub, enabled: true };
    const rows: NewDelivery[] = [];
    let afterSeq = 0;
    let truncated = false;
    for (;;) {
      const page = this.#d.journal.range({ afterSeq, since: new Date(since).toISOString(), until: new Date(until).toISOString(), types, limit: 1000 });
      for (const event of page) {
        afterSeq = event.seq ?? afterSeq;
        if (event.type === 'webhook.test' || !subscriptionMatches(replayable, event)) continue;
        if (rows.length >= REPLAY_LIMIT) {
          truncated = true;
          break;
        }
        rows.push({ eventId: event.id, eventType: event.type, subscriptionId: id, url: null, endpoint: endpointKey(sub.url), replay: true,
          ...(sub.enabled ? {} : { status: 'held' as const, heldReason: 'disabled' }) });
      }
      if (truncated || page.length < 1000) break;
    }
    const now = this.#d.now();
    const inserted = this.#d.store.transaction(() => this.#d.deliveries.insert(rows, now));
    for (const r of inserted) this.#d.engine.notify(r.endpoint, r.nextAt);
    return { queued: inserted.length, truncated };
  }

  /** A page of the delivery log, newest first; each one not done says why it waits and until when (`waiting`). */
  deliveries(query: { limit?: number; status?: string; webhookId?: string; before?: string }): { items: (PublicDelivery & { waiting: ReturnType<Engine['waiting']> })[]; next: string | null } {
    if (query.status !== undefined && !deliveryStatuses.includes(query.status as DeliveryStatus))
      throw new WebhookError(400, 'invalid_query', `status must be one of ${deliveryStatuses.join(', ')}`, 'status');
    const limit = Math.min(500, Math.max(1, query.limit ?? 50));
    const rows = this.#d.deliveries.list({ limit, status: query.status as DeliveryStatus | undefined, webhookId: query.webhookId, before: query.before });
    return { items: rows.map((r) => ({ ...publicDelivery(r), waiting: this.#d.engine.waiting(r) })), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
  }

  delivery(id: string): PublicDelivery & { waiting: ReturnType<Engine['waiting']> } {
    const row = this.#d.deliveries.get(id);
    if (!row) throw new WebhookError(404, 'not_found', 'no such delivery', 'id');
    return { ...publicDelivery(row, this.#d.deliveries.attempts(id)), waiting: this.#d.engine.waiting(row) };
  }

  /** Attempts a delivery now (also a failed or held one) and returns the attempt's result. */
  async retry(id: string): Promise<AttemptResult> {
    const row = this.#d.deliveries.get(id);
    if (!row) throw new WebhookError(404, 'not_found', 'no such delivery', 'id');
    if (row.status === 'delivered') throw new WebhookError(409, 'already_delivered', 'the delivery succeeded already', 'id');
    const result = await this.#d.engine.attemptNow(id);
    if (!result) throw new WebhookError(404, 'not_found', 'no such delivery', 'id');
    return result;
  }

  /** Resolves when no attempt is in flight and every outcome is written (tests, graceful shutdown). */
  settled(): Promise<void> {
    return this.#d.engine.settled();
  }

  /** Delivery counts by status. */
  counts(): Record<DeliveryStatus, number> {
    return this.#d.deliveries.counts();
  }

  #find(id: string): Subscription {
    const sub = this.#d.subscriptions.get(id);
    if (!sub) throw new WebhookError(404, 'not_found', 'no such webhook', 'id');
    return sub;
  }

  #check(input: Partial<SubscriptionInput>, format: FormatName, old?: Subscription): void {
    if (input.url !== undefined) {
      const url = checkUrl(input.url, this.#d.allowHosts, 'url', this.#d.policy);
      if (format === 'cloudevents' && (url.username || url.password))
        throw new WebhookError(400, 'invalid_url', 'cloudevents sends its JWT in Authorization: the URL cannot carry credentials', 'url');
    }
    for (const [i, type] of (input.events ?? []).entries()) {
      if (!subscribableEvents.includes(type) || (type !== '*' && !isEventType(type)))
        throw new WebhookError(400, 'invalid_request', `unknown event type "${type}"`, `events.${i}`);
    }
    const secret = input.secret === undefined ? (input.format !== undefined ? old?.secret : undefined) : input.secret;
    if (typeof secret === 'string' && format === 'standard' && !isStandardSecret(secret))
      throw new WebhookError(400, 'invalid_secret', 'a standard secret is "whsec_" + base64 of 24 to 64 bytes (omit it to have one generated)', 'secret');
    if (input.secret === null && format !== 'callstack')
      throw new WebhookError(400, 'invalid_secret', 'only callstack subscriptions may be unsigned', 'secret');
    if (input.headers) {
      for (const name of Object.keys(input.headers)) {
        if (!/^[A-Za-z0-9-]{1,64}$/.test(name) || /^(content-type|content-length|host|webhook-|x-callstack-|x-signature|x-timestamp|x-event-type)/i.test(name))
          throw new WebhookError(400, 'invalid_request', `header "${name}" cannot be set`, `headers.${name}`);
      }
    }
  }

  #wakeAll(): void {
    for (const { endpoint, at } of this.#d.deliveries.waitingEndpoints()) this.#d.engine.notify(endpoint, at);
  }
}
