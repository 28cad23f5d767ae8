import t from 'tap';
import { openStore } from '../../core/store.ts';

t.test('arrays(): rows as arrays in the SELECT\'s order, for callers that build plain objects', async (t) => {
  const store = openStore({ path: ':memory:' });
  store.db.exec('CREATE TABLE x (a TEXT, b INTEGER, c TEXT)');
  store.run('INSERT INTO x VALUES (?, ?, ?)', 'one', 1, null);
  store.run('INSERT INTO x VALUES (?, ?, ?)', 'two', 2, 'z');
  t.same(store.arrays('SELECT c, a, b FROM x ORDER BY b'), [[null, 'one', 1], ['z', 'two', 2]]);
  t.ok(Array.isArray(store.arrays('SELECT a FROM x')[0]));
  // The same SQL through all() still gives objects: the two are prepared apart.
  t.same(store.all('SELECT c, a, b FROM x ORDER BY b'), [{ c: null, a: 'one', b: 1 }, { c: 'z', a: 'two', b: 2 }]);
  t.same(store.arrays('SELECT c, a, b FROM x ORDER BY b').length, 2, 'and again, from its cache');
  store.close();
  t.throws(() => store.arrays('SELECT a FROM x'), { code: 'closed' });
});
