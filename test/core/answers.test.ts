import { join } from 'node:path';
import t from 'tap';
import { RememberedAnswers } from '../../core/answers.ts';
import { ManualClock } from '../../core/clock.ts';
import { openStore } from '../../core/store.ts';

t.test('a first answer is replayed for 24 h, a different request under the same key is a conflict', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ path: join(t.testdir(), 'a.db') });
  t.teardown(() => store.close());
  const answers = new RememberedAnswers(store, clock);
  const h1 = RememberedAnswers.hash({ to: '+15550100100', text: 'a' });
  const h2 = RememberedAnswers.hash({ to: '+15550100100', text: 'b' });
  t.same(answers.recall('s', 'k', h1), { kind: 'miss' });
  answers.remember('s', 'k', h1, { id: 'm1' });
  t.same(answers.recall('s', 'k', h1), { kind: 'hit', answer: { id: 'm1' } });
  t.same(answers.recall('s', 'k', h2), { kind: 'conflict', answer: { id: 'm1' } });
  t.same(answers.recall('other', 'k', h1), { kind: 'miss' }, 'scopes are apart');
  await clock.advance(24 * 3600_000);
  t.same(answers.recall('s', 'k', h1), { kind: 'miss' }, 'forgotten after 24 h');
  answers.remember('s', 'k2', h1, { id: 'm2' });
  t.equal(store.get<{ n: number }>('SELECT count(*) AS n FROM remembered_answers')!.n, 1, 'expired rows are pruned');
});
