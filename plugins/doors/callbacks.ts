import type { AnyEvent, EventType } from '../../core/events.ts';
import type { PluginContext } from '../../core/plugin.ts';
import { DestinationPolicy } from '../webhook/destination.ts';
import { createHttpTransport, type HttpTransport } from '../webhook/transport.ts';

/** The events a door reports through its own status mechanism. */
export const statusEvents: readonly EventType[] = ['sms.sent', 'sms.delivered', 'sms.failed', 'sms.expired'];

/** Attempts per callback before it is given up (logged): about 4 minutes of retries. */
export const CALLBACK_ATTEMPTS = 8;
const TIMEOUT_MS = 10_000;

export interface CallbackRequest {
  url: string;
  init: RequestInit;
}

/**
 * Calls a door's callbacks (Kannel's dlr-url, Twilio's StatusCallback and incoming-message URL):
 * `build` turns an event into the request, or undefined when the door has nothing to call for it. The journal hands the events over at least once and
 * in order (a crash before a callback succeeded calls it again after the restart); a callback that
 * keeps failing is retried CALLBACK_ATTEMPTS times with the journal's backoff, then logged and given
 * up, so one dead receiver does not hold back the others for long. Redirects are not followed.
 * The calls go through the webhook transport: the webhook plugin's destination policy (the default
 * one without it) at every connection, no decompression, at most 4 KB of an answer read
 * (docs/security.md).
 *
 * @example
 * const sink = callbackSink(ctx, (event) => {
 *   const row = ledger.byMessageId((event.data as { messageId: string }).messageId);
 *   return row?.meta.dlrUrl ? { url: fill(row.meta.dlrUrl, event), init: {} } : undefined;
 * });
 * // start(): sink.start()   stop(): await sink.stop()
 */
export function callbackSink(
  ctx: PluginContext<unknown>,
  build: (event: AnyEvent) => CallbackRequest | undefined | Promise<CallbackRequest | undefined>,
  options: { fetch?: typeof fetch; types?: readonly EventType[] } = {},
): { start(): void; stop(): Promise<void>; health(): { called: number; failed: number; lastError?: string } } {
  const attempts = new Map<string, number>();
  let transport: HttpTransport | undefined;
  const call = async (url: string, init: RequestInit & { signal: AbortSignal }): Promise<{ status: number }> => {
    if (options.fetch) {
      const res = await options.fetch(url, init);
      await res.body?.cancel();
      return res;
    }
    if (!transport) {
      const policy = ((ctx.tryUse as (name: string) => unknown)('webhook') as { policy?: DestinationPolicy } | undefined)?.policy;
      transport = createHttpTransport({ policy: policy ?? new DestinationPolicy() });
    }
    const method = init.method?.toUpperCase() === 'POST' ? 'POST' : 'GET';
    const answer = await transport({ url, method, headers: Object.fromEntries(new Headers(init.headers)), body: typeof init.body === 'string' ? init.body : undefined, signal: init.signal });
    return { status: answer.status ?? 0 };
  };
  let subscription: { stop(): Promise<void> } | undefined;
  let called = 0;
  let failed = 0;
  let lastError: string | undefined;

  async function handle(event: AnyEvent): Promise<void> {
    const request = await build(event);
    if (!request) return;
    const attempt = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, attempt);
    try {
      const res = await call(request.url, { ...request.init, redirect: 'manual', signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]) });
      if (res.status < 200 || res.status > 299) throw new Error(`the receiver answered HTTP ${res.status}`);
      attempts.delete(event.id);
      called++;
    } catch (error) {
      lastError = (error as Error).message;
      if (attempt < CALLBACK_ATTEMPTS && !ctx.signal.aborted) throw error;
      attempts.delete(event.id);
      failed++;
      // The URL may carry a token in its query: only its origin is logged.
      ctx.log.warn({ err: error, event: event.id, type: event.type, host: new URL(request.url).host, attempts: attempt }, 'status callback given up');
    }
  }

  return {
    start() {
      subscription = ctx.events.subscribe(`${ctx.name}-callbacks`, handle, {
        types: options.types ?? statusEvents,
        concurrency: 4,
        backoff: (n) => Math.min(60_000, 1000 * 2 ** (n - 1)),
      });
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
      await transport?.close();
      transport = undefined;
    },
    health: () => ({ called, failed, ...(lastError ? { lastError } : {}) }),
  };
}
