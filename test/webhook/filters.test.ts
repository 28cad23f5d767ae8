// Which events a subscription gets: its event types (or '*'), enabled or not, and its filters by
// sender number (exact, or a prefix with a trailing '*') and by modem. webhook.test goes only to
// the subscription it names.
import t from 'tap';
import type { AnyEvent } from '../../core/events.ts';
import { subscriptionMatches, type Subscription } from '../../plugins/webhook/subscriptions.ts';

const sub = (over: Partial<Subscription> = {}): Subscription => ({
  id: 'wh1', kind: 'webhook', url: 'https://example.test/in', events: ['sms.received', 'call.missed'], format: 'standard', secret: 'whsec_x', useDefaultSecret: false,
  previousSecret: null, previousExpiresAt: null, filters: {}, enabled: true, disabledReason: null, maxAttempts: null, timeoutMs: null, rateLimitPerMinute: null,
  headers: null, createdAt: 0, updatedAt: 0, ...over,
});
const event = (type: string, data: Record<string, unknown>) => ({ id: 'e1', type, createdAt: '2026-03-01T10:00:00Z', data }) as unknown as AnyEvent;
const sms = (from: string | null, modem = 'default') => event('sms.received', { id: 'm1', from, modem, text: 'hi' });

t.test('event types, "*" and disabled subscriptions', async (t) => {
  t.ok(subscriptionMatches(sub(), sms('+15550100100')));
  t.notOk(subscriptionMatches(sub(), event('sms.sent', { id: 'm2', to: '+15550100100', modem: 'default' })), 'a type it did not ask for');
  t.ok(subscriptionMatches(sub({ events: ['*'] }), event('sms.sent', { id: 'm2', to: '+15550100100', modem: 'default' })));
  t.notOk(subscriptionMatches(sub({ enabled: false }), sms('+15550100100')), 'disabled gets nothing');
});

t.test('from: an exact number, or a prefix with a trailing *', async (t) => {
  const exact = sub({ filters: { from: '+15550100100' } });
  t.ok(subscriptionMatches(exact, sms('+15550100100')));
  t.notOk(subscriptionMatches(exact, sms('+155501001000')), 'exact means exact, not a prefix');
  t.notOk(subscriptionMatches(exact, sms('+15550100199')));
  const prefix = sub({ filters: { from: '+1555*' } });
  t.ok(subscriptionMatches(prefix, sms('+15550100199')));
  t.ok(subscriptionMatches(prefix, event('call.missed', { id: 'c1', from: '+15559999999', modem: 'default' })), 'a caller too');
  t.notOk(subscriptionMatches(prefix, sms('+4915550100100')));
  t.notOk(subscriptionMatches(prefix, event('call.missed', { id: 'c2', from: null, modem: 'default' })), 'a withheld number does not match a from filter');
  t.ok(subscriptionMatches(sub(), event('call.missed', { id: 'c2', from: null, modem: 'default' })), 'but does without one');
});

t.test('modem filter, with and beside from', async (t) => {
  const both = sub({ filters: { from: 'INFO*', modem: 'usb2' } });
  t.ok(subscriptionMatches(both, sms('INFO-BANK', 'usb2')));
  t.notOk(subscriptionMatches(both, sms('INFO-BANK', 'default')));
  t.notOk(subscriptionMatches(both, sms('+15550100100', 'usb2')));
});

t.test('webhook.test goes only to the subscription it names, whatever its events and filters', async (t) => {
  const test = event('webhook.test', { webhookId: 'wh1' });
  t.ok(subscriptionMatches(sub({ events: ['sms.sent'], filters: { from: '+1' } }), test));
  t.notOk(subscriptionMatches(sub({ id: 'wh2', events: ['*'] }), test));
});
