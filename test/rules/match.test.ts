// The rules' matching: unit cases and fast-check properties (sender forms, keywords, regular
// expressions, time windows across midnight and time zones, block/stop ordering).
import fc from 'fast-check';
import t from 'tap';
import * as v from 'valibot';
import { evaluate, inWindow, isBlocked, matches } from '../../plugins/rules/match.ts';
import { rule as ruleSchema, when as whenSchema, type When } from '../../plugins/rules/options.ts';
import { notBlockedBy } from '../../plugins/rules/index.ts';
import { received } from '../channels/events.ts';

const when = (input: v.InferInput<typeof whenSchema>): When => v.parse(whenSchema, input);
const rule = (input: v.InferInput<typeof ruleSchema>) => v.parse(ruleSchema, input);

t.test('senders: exact (spacing and case ignored), prefix, regex, a list', async (t) => {
  const e = received({ from: '+4917012345678' });
  t.ok(matches(when({ from: '+49 170 1234-5678' }), e));
  t.notOk(matches(when({ from: '+4917012345679' }), e));
  t.ok(matches(when({ from: { prefix: '+49170' } }), e));
  t.notOk(matches(when({ from: { prefix: '+49171' } }), e));
  t.ok(matches(when({ from: { regex: '^\\+49(170|171)' } }), e));
  t.ok(matches(when({ from: ['PayPal', { prefix: '+4917' }] }), e));
  t.ok(matches(when({ from: 'paypal' }), received({ from: 'PayPal' })), 'names compare case-insensitively');
  t.notOk(matches(when({ to: '+1' }), e), 'a received SMS has no recipient to match');
});

t.test('text: keywords as whole words or the whole message, regex, case-insensitive', async (t) => {
  const kw = when({ text: { keywords: ['stop', 'unsubscribe'] } });
  t.ok(matches(kw, received({ text: 'Please STOP now' })));
  t.notOk(matches(kw, received({ text: 'unstoppable' })), 'part of a word is not the keyword');
  const whole = when({ text: { keywords: ['stop'], whole: true } });
  t.ok(matches(whole, received({ text: '  Stop! ' })));
  t.notOk(matches(whole, received({ text: 'do not stop' })));
  t.ok(matches(when({ text: { regex: 'code:? \\d{6}' } }), received({ text: 'Your CODE 123456' })));
  t.ok(matches(when({ text: { keywords: ['straße'] } }), received({ text: 'In der STRASSE? nein: Straße.' })));
  t.notOk(matches(when({ text: { regex: 'x' } }), { ...received(), data: { ...received().data, text: undefined } } as never), 'no text, no match');
  t.notOk(v.safeParse(whenSchema, { text: { regex: '(' } }).success, 'a bad regex is refused at config');
});

t.test('modem, incomplete, event types', async (t) => {
  t.ok(matches(when({ modem: ['a', 'sim2'] }), received({ modem: 'sim2' })));
  t.notOk(matches(when({ modem: 'a' }), received({ modem: 'sim2' })));
  t.ok(matches(when({ incomplete: true }), received({ incomplete: true })));
  t.notOk(matches(when({ incomplete: true }), received()));
  t.ok(matches(when({ incomplete: false }), received()));
  const failed = { id: 'e1', type: 'sms.failed', timestamp: '2026-12-07T10:00:00Z', data: { messageId: 'm', to: '+1555', modem: 'm', reason: 'x', stage: 'send' } } as never;
  t.notOk(matches(when({}), failed), 'sms.received only by default');
  t.ok(matches(when({ events: ['sms.failed'], to: { prefix: '+1' } }), failed));
});

t.test('time windows: days and hours in a time zone, across midnight', async (t) => {
  // 2026-12-07 is a Monday.
  const at = (iso: string) => Date.parse(iso);
  const office = v.parse(whenSchema, { time: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin' } }).time!;
  t.ok(inWindow(office, at('2026-12-07T08:30:00Z')), '09:30 in Berlin');
  t.notOk(inWindow(office, at('2026-12-07T07:30:00Z')), '08:30 in Berlin');
  t.notOk(inWindow(office, at('2026-12-07T16:00:00Z')), '17:00 is the end, exclusive');
  t.notOk(inWindow(office, at('2026-12-06T10:00:00Z')), 'Sunday');
  const night = v.parse(whenSchema, { time: { days: ['fri'], from: '22:00', to: '06:00', timeZone: 'America/New_York' } }).time!;
  t.ok(inWindow(night, at('2026-12-12T04:00:00Z')), 'Friday 23:00 in New York');
  t.ok(inWindow(night, at('2026-12-12T10:00:00Z')), 'Saturday 05:00 belongs to Friday night');
  t.notOk(inWindow(night, at('2026-12-13T04:00:00Z')), 'Saturday 23:00');
  t.notOk(inWindow(night, at('2026-12-12T12:00:00Z')), 'Saturday 07:00');
  const allDay = v.parse(whenSchema, { time: { days: ['sun'], timeZone: 'UTC' } }).time!;
  t.ok(inWindow(allDay, at('2026-12-06T23:59:00Z')));
  t.notOk(v.safeParse(whenSchema, { time: { timeZone: 'Mars/Olympus' } }).success);
  t.notOk(v.safeParse(whenSchema, { time: { from: '25:00' } }).success);
  // The event's own time decides: a redelivery next week gives the same answer.
  t.ok(matches(v.parse(whenSchema, { time: { days: ['mon'], timeZone: 'UTC' } }), received({}, '2026-12-07T10:00:00+00:00')));
});

t.test('evaluate: rules in order; tag accumulates; block and stop end evaluation; actions before them stay', async (t) => {
  const rules = [
    rule({ name: 'tag all', then: [{ tag: 'sms' }] }),
    rule({ name: 'spam', when: { from: { prefix: '+4990' } }, then: [{ tag: ['spam', 'sms'] }, { forward: 'spambox' }, 'block', { forward: 'never' }] }),
    rule({ name: 'codes', when: { text: { regex: '\\d{6}' } }, then: [{ forward: 'chat' }, { stop: true }] }),
    rule({ name: 'rest', then: [{ forward: 'mail' }] }),
  ];
  const spam = evaluate(rules, received({ from: '+499001234567', text: 'win 123456' }));
  t.same(spam.matched, ['tag all', 'spam']);
  t.same(spam.tags, ['sms', 'spam']);
  t.equal(spam.blocked, true);
  t.same(spam.actions.map((a) => a.key), ['1.1'], 'the forward before block runs, the one after it does not');
  const code = evaluate(rules, received({ text: 'code 123456' }));
  t.same([code.matched, code.blocked, code.actions.map((a) => a.rule)], [['tag all', 'codes'], false, ['codes']]);
  const rest = evaluate(rules, received({ text: 'hi' }));
  t.same(rest.actions.map((a) => a.rule), ['rest']);
  t.ok(isBlocked(rules, received({ from: '+499001234567' })));
  const filter = notBlockedBy({ rules: [{ name: 'spam', when: { from: 'SPAMMER' }, then: ['block'] }] });
  t.equal(filter(received({ from: 'spammer' })), false);
  t.equal(filter(received({ from: '+15550100100' })), true);
});

// Properties ---------------------------------------------------------------------------------

const digits = fc.stringMatching(/^[1-9]\d{6,12}$/);

t.test('property: a number matches its own exact, prefix and escaped-regex forms, however it is spaced', async () => {
  fc.assert(
    fc.property(digits, fc.integer({ min: 1, max: 6 }), fc.array(fc.constantFrom(' ', '-', '.'), { maxLength: 4 }), (n, cut, seps) => {
      const number = `+${n}`;
      let spaced = number;
      for (const [i, s] of seps.entries()) {
        const at = 2 + ((i * 3) % (spaced.length - 2));
        spaced = spaced.slice(0, at) + s + spaced.slice(at);
      }
      const e = received({ from: number });
      return (
        matches(when({ from: spaced }), e) &&
        matches(when({ from: { prefix: number.slice(0, cut + 1) } }), e) &&
        matches(when({ from: { regex: `^${number.replace('+', '\\+')}$` } }), e) &&
        !matches(when({ from: `${number}9` }), e)
      );
    }),
  );
});

t.test('property: a keyword matches in any case wherever it stands as a word, never inside another word', async () => {
  const word = fc.stringMatching(/^[a-z]{3,8}$/);
  fc.assert(
    fc.property(word, fc.array(word, { maxLength: 5 }), fc.nat(), fc.boolean(), (kw, others, pos, upper) => {
      const words = others.filter((w) => w !== kw);
      const at = pos % (words.length + 1);
      const placed = [...words.slice(0, at), upper ? kw.toUpperCase() : kw, ...words.slice(at)].join(' ');
      const glued = [...words, `x${kw}y`].join(' ');
      const w = when({ text: { keywords: [kw] } });
      const inside = words.some((o) => o.includes(kw));
      return matches(w, received({ text: placed })) && (inside || !matches(w, received({ text: glued })));
    }),
  );
});

t.test('property: a window and its complement split every instant (days × hours, any zone)', async () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  fc.assert(
    fc.property(hhmm, hhmm, fc.constantFrom(...zones), fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2027-01-01') }), (from, to, timeZone, at) => {
      if (from === to) return true;
      const a = v.parse(whenSchema, { time: { from, to, timeZone } }).time!;
      const b = v.parse(whenSchema, { time: { from: to, to: from, timeZone } }).time!;
      return inWindow(a, at) !== inWindow(b, at);
    }),
  );
});

t.test('property: block stops every later rule; the plan is the same on every evaluation', async () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('fwd', 'block', 'stop', 'tag'), { minLength: 1, maxLength: 8 }), (kinds) => {
      const rules = kinds.map((k, i) =>
        rule({ name: `r${i}`, then: [k === 'fwd' ? { forward: 'c' } : k === 'tag' ? { tag: `t${i}` } : k === 'block' ? 'block' : 'stop'] }),
      );
      const e = received();
      const plan = evaluate(rules, e);
      const end = kinds.findIndex((k) => k === 'block' || k === 'stop');
      const reached = end === -1 ? kinds.length : end + 1;
      return (
        plan.matched.length === reached &&
        plan.blocked === (end !== -1 && kinds[end] === 'block') &&
        plan.actions.every((a) => Number(a.key.split('.')[0]) < reached) &&
        JSON.stringify(evaluate(rules, e)) === JSON.stringify(plan)
      );
    }),
  );
});
