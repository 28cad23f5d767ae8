// The journal sink: each event becomes one delivery per matching subscription (plus its per-message
// callback), written durably before the event is acknowledged. Events handed over together are
// written in one transaction: a backlog drains at one fsync per batch, not per event.
import type { AnyEvent } from '../../core/events.ts';
import type { Logger } from '../../core/log.ts';
import type { Store } from '../../core/store.ts';
import type { Deliveries, NewDelivery } from './deliveries.ts';
import { subscriptionMatches, type Subscription, type Subscriptions } from './subscriptions.ts';
import type { DestinationPolicy } from './destination.ts';
import { checkUrl, endpointKey, type WebhookUrlError } from './url.ts';

/** Events that go to a message's `callbackUrl` (SendRequest.callbackUrl), in the standard format. */
export const callbackEvents: readonly string[] = ['sms.sent', 'sms.delivered', 'sms.failed', 'sms.expired', 'sms.cancelled'];

export interface IntakeOptions {
  store: Store;
  log: Logger;
  now: () => number;
  subscriptions: Subscriptions;
  deliveries: Deliveries;
  allowHosts?: readonly string[];
  /** Refuses a callback to a refused address literal at once (names are checked at every attempt). */
  policy?: DestinationPolicy;
  /** Whether deliveries are being held (the clock is not trustworthy). */
  holding: () => boolean;
  /** Told about every delivery written, so the scheduler picks it up. */
  notify: (endpoint: string, nextAt: number | null) => void;
}

// A subscription's endpoint key, parsed once per subscription object (they are replaced, never changed
// in place): a backlog's intake parsed the same URL for every event.
const endpoints = new WeakMap<Subscription, string>();
function endpointOf(sub: Subscription): string {
  let key = endpoints.get(sub);
  if (key === undefined) endpoints.set(sub, (key = endpointKey(sub.url)));
  return key;
}

/** The deliveries one event calls for. */
export function deliveriesFor(event: AnyEvent, subscriptions: Subscriptions, allowHosts?: readonly string[], policy?: DestinationPolicy): NewDelivery[] {
  const out: NewDelivery[] = [];
  for (const sub of subscriptions.all()) {
    if (!subscriptionMatches(sub, event)) continue;
    out.push({ eventId: event.id, eventType: event.type, subscriptionId: sub.id, url: null, endpoint: endpointOf(sub) });
  }
  const callbackUrl = (event.data as { callbackUrl?: unknown }).callbackUrl;
  if (typeof callbackUrl === 'string' && callbackUrl && callbackEvents.includes(event.type)) {
    try {
      checkUrl(callbackUrl, allowHosts, 'callbackUrl', policy);
      out.push({ eventId: event.id, eventType: event.type, subscriptionId: null, url: callbackUrl, endpoint: endpointKey(callbackUrl) });
    } catch (error) {
      // Recorded as failed, so the delivery log says why the callback never came.
      let endpoint = 'invalid:';
      try {
        endpoint = endpointKey(callbackUrl);
      } catch {}
      out.push({
        eventId: event.id, eventType: event.type, subscriptionId: null, url: callbackUrl, endpoint, status: 'failed',
        error: { errorClass: 'local', message: `callbackUrl refused: ${(error as WebhookUrlError).message}` },
      });
    }
  }
  return out;
}

/**
 * The sink handler. Calls made in the same turn of the event loop are gathered and written together;
 * each call resolves (acknowledging its event) once the transaction holding its deliveries committed.
 */
export function createIntake(options: IntakeOptions): (event: AnyEvent) => Promise<void> {
  let batch: { event: AnyEvent; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const items = batch;
    batch = [];
    const now = options.now();
    const hold = options.holding();
    try {
      const inserted = options.store.transaction(() => {
        const rows: NewDelivery[] = [];
        for (const { event } of items) {
          for (const d of deliveriesFor(event, options.subscriptions, options.allowHosts, options.policy)) {
            rows.push(hold && d.status === undefined ? { ...d, status: 'held', heldReason: 'clock' } : d);
          }
        }
        return options.deliveries.insert(rows, now);
      });
      for (const item of items) item.resolve();
      // The scheduler is told once per endpoint, with the earliest time: a batch is mostly one endpoint.
      // (Held or failed ones have no time: nothing to schedule.)
      const earliest = new Map<string, number>();
      for (const d of inserted) {
        if (d.nextAt === null) continue;
        const at = earliest.get(d.endpoint);
        if (at === undefined || d.nextAt < at) earliest.set(d.endpoint, d.nextAt);
      }
      for (const [endpoint, nextAt] of earliest) options.notify(endpoint, nextAt);
    } catch (error) {
      options.log.error({ err: error, events: items.length }, 'could not record webhook deliveries; the journal will hand the events over again');
      for (const item of items) item.reject(error);
    }
  };
  return (event) =>
    new Promise<void>((resolve, reject) => {
      if (!batch.length) setImmediate(flush);
      batch.push({ event, resolve, reject });
    });
}
