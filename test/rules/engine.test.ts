// Each action on its own: a forward retried with backoff on the manual clock, one that fails for good,
// one that runs out of attempts, and a stop in the middle that leaves the action pending for the
// next run, which does not repeat what was done.
import { join } from 'node:path';
import t from 'tap';
import * as v from 'valibot';
import { ManualClock } from '../../core/clock.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';
import { ChannelError, type Channel, type ChannelMessage } from '../../plugins/channels/channel.ts';
import { RulesEngine } from '../../plugins/rules/engine.ts';
import { rulesOptions, type RulesInput } from '../../plugins/rules/options.ts';
import { RulesStore } from '../../plugins/rules/store.ts';
import { received } from '../channels/events.ts';

/** A channel that fails with what `script` says, in turn, then accepts. */
function scripted(name: string, script: (Error | undefined)[]): Channel & { calls: ChannelMessage[] } {
  const calls: ChannelMessage[] = [];
  return {
    name,
    kind: 'http',
    calls,
    async send(message) {
      calls.push(message);
      const next = script.shift();
      if (next) throw next;
    },
  };
}

const config: RulesInput = {
  channels: { a: { ntfy: { url: 'https://ntfy.example/a' } }, b: { ntfy: { url: 'https://ntfy.example/b' } } },
  rules: [{ name: 'fan out', then: [{ tag: 'x' }, { forward: ['a', 'b'] }, 'optOut'] }],
  retry: { attempts: 3, initialMs: 1000, maxMs: 4000 },
};

function engine(dir: string, channels: Channel[], clock = new ManualClock(), db = openStore({ path: join(dir, 'rules.db') })) {
  const abort = new AbortController();
  const store = new RulesStore(db);
  const e = new RulesEngine({ options: v.parse(rulesOptions, config), store, channels: new Map(channels.map((c) => [c.name, c])), sms: () => undefined, clock, log: silentLogger(), agentId: 't', signal: abort.signal });
  return { engine: e, store, clock, abort, db };
}

async function drive(clock: ManualClock, done: Promise<unknown>, steps = 40) {
  let settled = false;
  void done.finally(() => (settled = true)).catch(() => {});
  for (let i = 0; i < steps && !settled; i++) {
    for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
  }
}

t.test('each channel is retried on its own; a permanent refusal fails at once; attempts run out', async (t) => {
  const a = scripted('a', [new ChannelError('unreachable', 'down'), new ChannelError('http_status', '503', { status: 503 })]);
  const b = scripted('b', [new ChannelError('http_status', '403', { retryable: false, status: 403 })]);
  const s = engine(t.testdir(), [a, b]);
  t.teardown(() => s.db.close());
  const event = received({ from: '+15550100100' });
  const done = s.engine.handle(event);
  await drive(s.clock, done);
  await done;
  t.equal(a.calls.length, 3);
  t.same(a.calls[0]!.tags, ['x'], 'the tags reach the channel');
  t.equal(b.calls.length, 1, 'a 403 is not retried');
  const r = s.store.result(event.id)!;
  t.match(r.actions, [
    { action: 'forward', target: 'a', status: 'done', attempts: 3 },
    { action: 'forward', target: 'b', status: 'failed', attempts: 1, reason: 'http_status' },
    { action: 'optOut', status: 'done' },
  ]);
  t.match(s.engine.stats, { events: 1, matched: 1, done: 2, failed: 1 });

  const c = scripted('a', [new Error('x'), new Error('y'), new Error('z')]);
  const s2 = engine(t.testdir(), [c, scripted('b', [])]);
  t.teardown(() => s2.db.close());
  const e2 = received();
  const d2 = s2.engine.handle(e2);
  await drive(s2.clock, d2);
  await d2;
  t.equal(c.calls.length, 3, 'retry.attempts calls in all');
  t.match(s2.store.result(e2.id)!.actions[0], { status: 'failed', attempts: 3, reason: 'error' });
});

t.test('stopped while retrying: the action stays pending; the next run sends only what was not done', async (t) => {
  const dir = t.testdir();
  const db = openStore({ path: join(dir, 'rules.db') });
  t.teardown(() => db.close());
  const a = scripted('a', [new ChannelError('unreachable', 'down')]);
  const b = scripted('b', []);
  const first = engine(dir, [a, b], new ManualClock(), db);
  const event = received();
  const running = first.engine.handle(event);
  for (let i = 0; i < 20 && b.calls.length === 0; i++) await new Promise((r) => setImmediate(r));
  first.abort.abort();
  await t.rejects(running, 'not acknowledged: the journal hands it out again');
  t.match(first.store.result(event.id)!.actions, [{ target: 'a', status: 'pending' }, { target: 'b', status: 'done' }]);
  const a2 = scripted('a', []);
  const b2 = scripted('b', []);
  const second = engine(dir, [a2, b2], new ManualClock(), db);
  await second.engine.handle(event);
  t.equal(a2.calls.length, 1);
  t.equal(b2.calls.length, 0, 'b was done already');
  t.match(second.store.result(event.id)!.actions, [{ target: 'a', status: 'done' }, { target: 'b', status: 'done' }, { action: 'optOut', status: 'done' }]);
});

t.test('a reply to an event that is not a received SMS is skipped; so is an opt-out without a sender', async (t) => {
  const db = openStore({ path: join(t.testdir(), 'rules.db') });
  t.teardown(() => db.close());
  const store = new RulesStore(db);
  const e = new RulesEngine({
    options: v.parse(rulesOptions, { rules: [{ name: 'r', when: { events: ['sms.failed'] }, then: [{ reply: 'x' }, 'optOut'] }] }),
    store,
    channels: new Map(),
    sms: () => undefined,
    clock: new ManualClock(),
    log: silentLogger(),
    agentId: 't',
    signal: new AbortController().signal,
  });
  const failed = { id: 'ev-1', type: 'sms.failed', timestamp: '2026-12-07T10:00:00Z', data: { messageId: 'out-1', to: '+1555', modem: 'm', reason: 'x', stage: 'send' } } as AnyEvent;
  await e.handle(failed);
  t.match(store.forMessage('out-1')[0]!.actions, [{ action: 'reply', status: 'skipped', reason: 'not_received' }, { action: 'optOut', status: 'skipped', reason: 'no_sender' }]);
});
