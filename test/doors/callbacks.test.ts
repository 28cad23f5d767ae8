// The doors' callback sink on its own: a receiver that keeps failing is retried a bounded number of
// times, then given up and logged (so one dead receiver does not hold the others back for long);
// redirects are not followed; events with nothing to call are passed over.
import t from 'tap';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import type { PluginContext } from '../../core/plugin.ts';
import { CALLBACK_ATTEMPTS, callbackSink } from '../../plugins/doors/callbacks.ts';

const event = { id: 'e1', type: 'sms.sent', timestamp: '2026-01-01T00:00:00Z', data: { messageId: 'm1', to: '+15550100100', modem: '1', parts: 1, sentAt: '2026-01-01T00:00:00Z', references: [1] } } as AnyEvent;

function fakeContext() {
  let handler: ((e: AnyEvent) => Promise<void> | void) | undefined;
  const ctx = {
    name: 'door',
    signal: new AbortController().signal,
    log: silentLogger(),
    events: {
      subscribe(_name: string, h: (e: AnyEvent) => Promise<void>) {
        handler = h;
        return { name: _name, lag: () => 0, stop: async () => {} };
      },
    },
  } as unknown as PluginContext<unknown>;
  return { ctx, deliver: (e: AnyEvent) => handler!(e) };
}

t.test('a failing receiver is retried CALLBACK_ATTEMPTS times, then given up', async (t) => {
  const { ctx, deliver } = fakeContext();
  const calls: RequestInit[] = [];
  const sink = callbackSink(ctx, () => ({ url: 'http://receiver.invalid/cb', init: { method: 'GET' } }), {
    fetch: (async (_url: string, init: RequestInit) => {
      calls.push(init);
      return new Response('no', { status: 500 });
    }) as typeof fetch,
  });
  sink.start();
  for (let i = 1; i < CALLBACK_ATTEMPTS; i++) await t.rejects(Promise.resolve(deliver(event)), /HTTP 500/, `attempt ${i} asks for a retry`);
  await deliver(event);
  t.equal(calls.length, CALLBACK_ATTEMPTS);
  t.equal(calls[0]!.redirect, 'manual', 'redirects are not followed');
  t.match(sink.health(), { called: 0, failed: 1, lastError: /HTTP 500/ });
  await sink.stop();
});

t.test('a receiver that answers 2xx is called once; nothing to call is passed over', async (t) => {
  const { ctx, deliver } = fakeContext();
  let calls = 0;
  const sink = callbackSink(ctx, (e) => (e.id === 'e1' ? { url: 'http://receiver.invalid/cb', init: {} } : undefined), {
    fetch: (async () => {
      calls++;
      return new Response(null, { status: 204 });
    }) as typeof fetch,
  });
  sink.start();
  await deliver(event);
  await deliver({ ...event, id: 'e2' } as AnyEvent);
  t.equal(calls, 1);
  t.match(sink.health(), { called: 1, failed: 0 });
});
