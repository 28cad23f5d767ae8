// The reply guarantees, on the real engine and store: never to alphanumeric senders or short codes,
// never in answer to its own replies (no loops, even against an echoing autoresponder), and at most
// one reply per cooldown and maxPerHour an hour per sender under any burst (fast-check).
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import * as v from 'valibot';
import { ManualClock } from '../../core/clock.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import type { SendRequest, SmsService } from '../../core/services.ts';
import { openStore } from '../../core/store.ts';
import type { Channel } from '../../plugins/channels/channel.ts';
import { ChannelError } from '../../plugins/channels/channel.ts';
import { RulesEngine } from '../../plugins/rules/engine.ts';
import { replyable } from '../../plugins/rules/limits.ts';
import { rulesOptions, type RulesInput } from '../../plugins/rules/options.ts';
import { RulesStore } from '../../plugins/rules/store.ts';
import { received } from '../channels/events.ts';

interface Sent extends SendRequest {
  at: number;
}

function setup(dir: string, input: RulesInput, channels: Record<string, Channel> = {}) {
  const clock = new ManualClock(Date.parse('2026-12-07T08:00:00Z'));
  const db = openStore({ path: join(dir, `rules-${Math.random().toString(36).slice(2)}.db`) });
  const store = new RulesStore(db);
  const sent: Sent[] = [];
  let n = 0;
  const sms = { send: (r: SendRequest) => (sent.push({ ...r, at: clock.now() }), { id: `out-${++n}`, status: 'queued', to: r.to, parts: 1, encoding: 'gsm7' }) } as unknown as SmsService;
  const abort = new AbortController();
  const engine = new RulesEngine({
    options: v.parse(rulesOptions, input),
    store,
    channels: new Map(Object.entries(channels)),
    sms: () => sms,
    clock,
    log: silentLogger(),
    agentId: 'test',
    signal: abort.signal,
  });
  const at = (ms: number, e: AnyEvent): AnyEvent => ({ ...e, timestamp: new Date(ms).toISOString() });
  return { clock, store, db, sent, engine, abort, at, close: () => db.close() };
}

const stopRules: RulesInput = {
  rules: [{ name: 'auto', when: { text: { keywords: ['stop'], whole: true } }, then: [{ reply: 'You will get no more messages from us, {from}. Send START to undo.' }, 'optOut'] }],
};

t.test('a reply goes back to the sender, on the modem it came in on, once per message even when redelivered', async (t) => {
  const s = setup(t.testdir(), stopRules);
  t.teardown(s.close);
  const e = received({ from: '+4917012345678', text: 'STOP', modem: 'sim2' });
  await s.engine.handle(e);
  await s.engine.handle(e);
  t.same(s.sent.map((m) => [m.to, m.modem, m.clientRef, m.text]), [['+4917012345678', 'sim2', 'rule:auto', 'You will get no more messages from us, +4917012345678. Send START to undo.']]);
  const result = s.store.result(e.id)!;
  t.match(result.actions, [{ action: 'reply', status: 'done', attempts: 1, messageId: 'out-1' }, { action: 'optOut', status: 'done' }]);
  t.ok(s.store.optedOut('+4917012345678'));
});

t.test('never to alphanumeric senders or short codes', async (t) => {
  const s = setup(t.testdir(), stopRules);
  t.teardown(s.close);
  for (const from of ['PayPal', '72975', '3333', 'Info 24']) await s.engine.handle(received({ from, text: 'stop' }));
  t.same(s.sent, []);
  const ids = s.store.store.all<{ event_id: string }>('SELECT event_id FROM rules_results').map((r) => r.event_id);
  t.equal(ids.length, 4);
  for (const id of ids) t.match(s.store.result(id)!.actions[0], { action: 'reply', status: 'skipped', reason: 'not_replyable' });
});

t.test('no loop: an autoresponder echoing every reply back is answered once', async (t) => {
  const s = setup(t.testdir(), { rules: [{ name: 'hello', then: [{ reply: 'Thanks, we got your message.' }] }], replyLimits: { cooldownMinutes: 0, maxPerHour: 1000 } });
  t.teardown(s.close);
  await s.engine.handle(received({ from: '+15550100100', text: 'hi' }));
  // The other side answers whatever it gets with the same text (or ours, echoed), forever.
  for (let i = 0; i < 20 && s.sent.length > 0; i++) {
    const last = s.sent.at(-1)!;
    await s.clock.advance(1000);
    await s.engine.handle(received({ from: last.to, text: `  ${last.text.toUpperCase()} ` }));
  }
  t.equal(s.sent.length, 1, 'our own text coming back is not answered');
});

t.test('a reply that cannot be queued (no modem yet) is retried with backoff on the clock, then done', async (t) => {
  const s = setup(t.testdir(), stopRules);
  t.teardown(s.close);
  let down = 2;
  const sms = { send: (r: SendRequest) => {
    if (down-- > 0) throw new ChannelError('sms_unavailable', 'no modem');
    s.sent.push({ ...r, at: s.clock.now() });
    return { id: 'x', status: 'queued', to: r.to, parts: 1, encoding: 'gsm7' };
  } } as unknown as SmsService;
  const engine = new RulesEngine({ options: v.parse(rulesOptions, { ...stopRules, retry: { attempts: 5, initialMs: 1000, maxMs: 10_000 } }), store: s.store, channels: new Map(), sms: () => sms, clock: s.clock, log: silentLogger(), agentId: 't', signal: s.abort.signal });
  const e = received({ from: '+15550100100', text: 'stop' });
  const done = engine.handle(e);
  for (let i = 0; i < 50 && s.sent.length === 0; i++) {
    await new Promise((r) => setImmediate(r));
    await s.clock.advance(1000);
  }
  await done;
  t.equal(s.sent.length, 1);
  t.match(s.store.result(e.id)!.actions[0], { status: 'done', attempts: 3 });
});

t.test('property: under any burst, each sender gets at most one reply per cooldown and maxPerHour per hour, none to names or short codes', async (t) => {
  const dir = t.testdir();
  const sender = fc.constantFrom('+4917012345678', '+15550100100', '004412345678', 'PayPal', '72975');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(sender, fc.integer({ min: 0, max: 20 * 60_000 })), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 1, max: 5 }),
      async (burst, cooldownMinutes, maxPerHour) => {
        const s = setup(dir, { rules: [{ name: 'auto', then: [{ reply: 'Auto: we will call back.' }] }], replyLimits: { cooldownMinutes, maxPerHour } });
        try {
          for (const [from, gap] of burst) {
            await s.clock.advance(gap);
            await s.engine.handle(received({ from, text: `hello ${gap}` }));
          }
          for (const m of s.sent) if (!replyable(m.to)) return false;
          const by = Map.groupBy(s.sent, (m) => m.to);
          for (const list of by.values()) {
            for (let i = 1; i < list.length; i++) if (list[i]!.at - list[i - 1]!.at < cooldownMinutes * 60_000) return false;
            for (const m of list) if (list.filter((o) => o.at > m.at - 3600_000 && o.at <= m.at).length > maxPerHour) return false;
          }
          // Every replyable sender's first message was answered.
          const firsts = new Set(burst.map(([f]) => f).filter(replyable));
          return [...firsts].every((f) => by.has(f));
        } finally {
          s.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

t.test('property: two agents whose auto-replies answer each other exchange no more than the limits allow', async (t) => {
  const dir = t.testdir();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('Got it.', 'Thanks! We will answer soon.', 'Auto-reply: out of office'),
      fc.constantFrom('Got it.', 'I am away.', 'Thanks! We will answer soon.'),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 1, max: 6 }),
      async (textA, textB, latencyMs, cooldownMinutes, maxPerHour) => {
        const limits = { cooldownMinutes, maxPerHour };
        const a = setup(dir, { rules: [{ name: 'a', then: [{ reply: textA }] }], replyLimits: limits });
        const b = setup(dir, { rules: [{ name: 'b', then: [{ reply: textB }] }], replyLimits: limits });
        try {
          // B's number texts A; from then on, each answer reaches the other side latencyMs later, for two hours.
          await a.engine.handle(received({ from: '+15550000002', text: 'hello' }));
          let seenA = 0;
          let seenB = 0;
          const end = a.clock.now() + 2 * 3600_000;
          while (a.clock.now() < end && (seenA < a.sent.length || seenB < b.sent.length)) {
            await a.clock.advance(latencyMs);
            await b.clock.advance(latencyMs);
            for (; seenA < a.sent.length; seenA++) await b.engine.handle(received({ from: '+15550000001', text: a.sent[seenA]!.text }));
            for (; seenB < b.sent.length; seenB++) await a.engine.handle(received({ from: '+15550000002', text: b.sent[seenB]!.text }));
          }
          // Equal texts: A sees its own words come back and does not answer them.
          if (textA === textB) return a.sent.length === 1 && b.sent.length === 1;
          return a.sent.length <= 2 * maxPerHour && b.sent.length <= 2 * maxPerHour;
        } finally {
          a.close();
          b.close();
        }
      },
    ),
    { numRuns: 25 },
  );
});
