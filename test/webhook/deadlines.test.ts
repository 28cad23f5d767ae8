import t from 'tap';
import { Deadlines, TIMED_OUT, type SetTimer } from '../../plugins/webhook/deadlines.ts';
import { Slots } from '../../plugins/webhook/slots.ts';

/** A clock and timers driven by hand. */
function manual() {
  let now = 0;
  const timers: { fire: () => void; at: number; cancelled: boolean }[] = [];
  const setTimer: SetTimer = (fire, ms) => {
    const timer = { fire, at: now + ms, cancelled: false };
    timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  };
  return {
    deadlines: new Deadlines(() => now, setTimer),
    armed: () => timers.filter((x) => !x.cancelled).length,
    /** Moves time on and fires the timers that are due, in order. */
    advance(ms: number) {
      now += ms;
      for (;;) {
        const due = timers.find((x) => !x.cancelled && x.at <= now);
        if (!due) break;
        due.cancelled = true;
        due.fire();
      }
    },
  };
}

t.test('deadlines: an attempt past its timeout is aborted and marked; one that ended is not', async (t) => {
  const m = manual();
  const slow = m.deadlines.start(1000);
  m.advance(400);
  const quick = m.deadlines.start(1000);
  m.deadlines.end(quick);
  t.equal(m.armed(), 1, 'one timer for the lane, not one per attempt');
  m.advance(599);
  t.notOk(slow.signal.aborted, 'not before its time');
  m.advance(1);
  t.ok(slow.signal.aborted);
  t.equal(slow.signal.reason, TIMED_OUT);
  t.ok(slow.timedOut);
  t.notOk(quick.signal.aborted, 'an ended attempt is never aborted');
  t.notOk(quick.timedOut);
  t.equal(m.armed(), 0, 'nothing left to wait for');
});

t.test('deadlines: each duration has its own lane; the timer follows the oldest live attempt', async (t) => {
  const m = manual();
  const a = m.deadlines.start(1000);
  const b = m.deadlines.start(100);
  m.advance(50);
  const c = m.deadlines.start(1000);
  m.advance(50);
  t.ok(b.timedOut, 'the short one fires at its own time');
  t.notOk(a.timedOut);
  m.deadlines.end(a);
  m.advance(900);
  t.notOk(c.timedOut, 'the timer armed for a (ended) re-arms for c');
  m.advance(50);
  t.ok(c.timedOut);
});

t.test('deadlines: settled attempts do not pile up while traffic flows', async (t) => {
  const m = manual();
  const live = m.deadlines.start(10_000);
  for (let i = 0; i < 20_000; i++) {
    const d = m.deadlines.start(10_000);
    m.deadlines.end(d);
    if (i % 100 === 0) m.advance(1);
  }
  t.ok(m.deadlines.held < 1000, `held ${m.deadlines.held} entries behind one long attempt`);
  m.deadlines.end(live);
  const next = m.deadlines.start(10_000);
  m.deadlines.end(next);
  t.equal(m.deadlines.held, 0);
});

t.test('deadlines: abortAll aborts what runs with the reason given', async (t) => {
  const m = manual();
  const a = m.deadlines.start(1000);
  const b = m.deadlines.start(5000);
  const done = m.deadlines.start(1000);
  m.deadlines.end(done);
  const stop = new Error('stopping');
  m.deadlines.abortAll(stop);
  t.equal(a.signal.reason, stop);
  t.equal(b.signal.reason, stop);
  t.notOk(a.timedOut, 'stopping is not a timeout');
  t.notOk(done.signal.aborted);
  t.equal(m.armed(), 0);
});

t.test('slots: at most the limit at once, given back on settle', async (t) => {
  const s = new Slots(2);
  t.equal(s.executionSlots, 2);
  t.ok(s.take());
  t.ok(s.take());
  t.notOk(s.take(), 'full: refused, not queued');
  t.equal(s.executionSlots, 0);
  s.give();
  t.equal(s.executionSlots, 1);
  s.give();
  s.give();
  t.equal(s.active, 0, 'never below zero');
});
