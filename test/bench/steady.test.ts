import t from 'tap';
import { benchSteady, cpuLine, formatSteady } from './steady.ts';

t.test('cpuLine reads the CPU line a drain child prints, and says so when there is none', async (t) => {
  t.equal(cpuLine('some log\nCPU 207.4\n'), 207.4);
  t.throws(() => cpuLine('drained\n'), /no CPU line/);
});

t.test('the report prints each side per round and the ratio', async (t) => {
  const text = formatSteady({ backlog: 10_000, from: 2000, rounds: 2, agentUs: 208.8, ownUs: 19.3, bareUs: 163.5, ratio: 0.78, perRound: [
    { agentUs: 216.3, ownUs: 19.2, bareUs: 158.9 },
    { agentUs: 208.8, ownUs: 19.3, bareUs: 163.5 },
  ] });
  t.match(text, /from delivery 2000 on/);
  t.match(text, /agent\s+208\.8 µs\s+\(216\.3, 208\.8\)/);
  t.match(text, /ratio \(bare \/ agent\)\s+0\.78x/);
});

t.test('a small drain measures all three sides (the real agent, its own work, the bare loop)', async (t) => {
  const r = await benchSteady({ backlog: 500, rounds: 1 });
  t.equal(r.from, 100);
  t.equal(r.perRound.length, 1);
  t.ok(r.agentUs > 0 && r.bareUs > 0 && r.ownUs > 0, 'every side delivered and was measured');
  t.ok(r.ownUs < r.agentUs, 'the agent without HTTP does less than with it');
  t.ok(r.ratio > 0);
});
