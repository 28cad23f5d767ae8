import t from 'tap';
import { benchAb, formatAb, type AbReport } from './ab.ts';

t.test('the report: medians per variant, and each later variant paired with the first', async (t) => {
  const report: AbReport = { backlog: 5000, rounds: 2, variants: [
    { env: {}, eventsPerSec: [3000, 3200], cpuUsPerEvent: [280, 270], firstTenthMs: [360, 350], lastTenthMs: [100, 98], medianEventsPerSec: 3000, medianCpuUsPerEvent: 270, pairedEventsPerSec: 1, pairedCpuUsPerEvent: 1 },
    { env: { SMSEDGE_V8_FLAGS: '--no-turbofan' }, eventsPerSec: [3150, 3200], cpuUsPerEvent: [275, 270], firstTenthMs: [340, 345], lastTenthMs: [115, 117], medianEventsPerSec: 3150, medianCpuUsPerEvent: 270, pairedEventsPerSec: 1, pairedCpuUsPerEvent: 0.982 },
  ] };
  const text = formatAb(report);
  t.match(text, /2 rounds/);
  t.match(text, /\{"SMSEDGE_V8_FLAGS":"--no-turbofan"\}\n\s+3150 events\/s, 270 µs per event; first tenth 340 ms, last 115 ms/);
  t.match(text, /paired: events\/s \+0 % \(1\.05 1\.00\), CPU per event −1\.8 %/);
  t.equal(text.split('\n').filter((l) => l.trim().startsWith('paired:')).length, 1, 'the first variant is the reference: only the second is paired');
});

t.test('a small run drains every variant in every round and pairs them', async (t) => {
  const lines: string[] = [];
  const r = await benchAb({ variants: [{}, { SMSEDGE_V8_FLAGS: '' }], rounds: 1, backlog: 200, onDrain: (l) => lines.push(l) });
  t.equal(r.variants.length, 2);
  t.equal(lines.length, 2, 'one drain per variant per round');
  for (const v of r.variants) t.ok(v.eventsPerSec.length === 1 && v.eventsPerSec[0]! > 0, `${JSON.stringify(v.env)} delivered`);
  t.equal(r.variants[0]!.pairedEventsPerSec, 1, 'the reference against itself');
  t.ok(r.variants[1]!.pairedEventsPerSec > 0);
  await t.rejects(benchAb({ variants: [] }), /no variant/);
});
