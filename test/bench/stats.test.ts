import t from 'tap';
import { median, medians, paired, tenths } from './stats.ts';

t.test('tenths: the time each tenth of a run took, from its receipt times', async (t) => {
  t.same(tenths([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30]), [1, 1, 1, 1, 1, 1, 1, 1, 1, 21]);
  // 21 receipts: tenth k spans receipts 2k..2k+2; a slow start shows in the first tenths.
  const at = [0, 10, 20, 25, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62];
  t.same(tenths(at), [20, 10, 4, 4, 4, 4, 4, 4, 4, 4]);
  t.equal(tenths(at).reduce((a, b) => a + b), at.at(-1)! - at[0]!, 'the tenths add up to the whole run');
  t.same(tenths([0, 1, 2]), [], 'too few receipts for tenths');
});

t.test('medians: element by element over the rounds', async (t) => {
  t.same(medians([[1, 10], [3, 30], [2, 20]]), [2, 20]);
  t.same(medians([[1, 2, 3], [5, 6]]), [1, 2], 'as long as the shortest');
  t.same(medians([]), []);
  t.equal(median([4, 1, 3, 2]), 2, 'the lower middle of an even count');
});

t.test('paired: a variant round by round over the reference in the same round', async (t) => {
  t.same(paired([100, 90, 110], [105, 99, 110]), [1.05, 1.1, 1]);
  t.same(paired([100, 90], [50]), [0.5], 'as many as both have');
  // Drift: the machine slows down over the rounds; the medians' ratio (1.0) hides what each pair shows.
  const reference = [100, 80, 60];
  const variant = [84, 64, 48];
  t.equal(median(variant) / median(reference), 64 / 80);
  t.same(paired(reference, variant).map((x) => Math.round(x * 100) / 100), [0.84, 0.8, 0.8]);
});
