import t from 'tap';
import { callgrindTotal, formatInstructions } from './instructions.ts';

t.test('callgrindTotal reads the summary line of a callgrind output file', async (t) => {
  const file = ['# callgrind format', 'version: 1', 'creator: callgrind-3.19.0', 'events: Ir', 'summary: 2813257834', 'fl=(1) ???', 'fn=(1) main', '0 12'].join('\n');
  t.equal(callgrindTotal(file), 2813257834);
  t.equal(callgrindTotal('events: Ir\ntotals: 42\n'), 42, 'older files say totals:');
  t.throws(() => callgrindTotal('events: Ir\n'), /no summary line/);
});

t.test('the report prints per-event thousands and the ratio', async (t) => {
  const text = formatInstructions({ small: 2000, large: 6000, ownPerEvent: 372_400, agentPerEvent: 1_301_500, barePerEvent: 974_000, ratio: 0.75 });
  t.match(text, /own work \(no HTTP\)\s+372k/);
  t.match(text, /bare ofetch loop\s+974k/);
  t.match(text, /ratio \(bare \/ agent\)\s+0\.75x/);
});
