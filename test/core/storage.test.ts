// A full disk, from the store's side: SQLite's own SQLITE_FULL (max_page_count caps the database the
// way a full disk does, so this runs on any machine), the 503 it becomes, health, and the recovery.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openStore, StoreError, type StorageHealth } from '../../core/store.ts';

function fullStore(t: Test) {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const seen: StorageHealth[] = [];
  const store = openStore({ path: join(t.testdir(), 'smsedge.db'), now: () => now });
  store.onStorage((s) => seen.push(s));
  t.teardown(() => store.close());
  store.migrate('test', [{ version: 1, up: 'CREATE TABLE outbox (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' }]);
  const pages = store.get<{ page_count: number }>('PRAGMA page_count')!.page_count;
  // No page more than the database has now: the next write that needs one fails as on a full disk.
  store.get(`PRAGMA max_page_count = ${pages}`);
  return { store, seen, pages, advance: (ms: number) => (now += ms) };
}

const fill = (store: ReturnType<typeof openStore>) => {
  for (let i = 0; i < 1000; i++) store.run('INSERT INTO outbox (text) VALUES (?)', 'x'.repeat(2000));
};

t.test('a write that finds no room is StoreError storage_full (503), and the store reports fail since then', async (t) => {
  const { store, seen } = fullStore(t);
  t.equal(store.storage().status, 'pass');
  const error = t.throws(() => fill(store)) as StoreError;
  t.type(error, StoreError);
  t.match(error, { code: 'storage_full', status: 503 });
  t.match(error.message, /disk is full/);
  t.match(store.storage(), { status: 'fail', reason: 'storage_full', since: Date.parse('2026-03-01T10:00:00Z') });
  t.equal(seen.length, 1, 'told once');
  t.throws(() => store.run('INSERT INTO outbox (text) VALUES (?)', 'y'.repeat(5000)), { code: 'storage_full' });
  t.equal(seen.length, 1, 'not again for the next failure');
});

t.test('a transaction that runs out of room leaves nothing behind and announces nothing', async (t) => {
  const { store } = fullStore(t);
  const before = store.get<{ n: number }>('SELECT count(*) AS n FROM outbox')!.n;
  let announced = 0;
  t.throws(
    () =>
      store.transaction(() => {
        store.afterCommit(() => announced++);
        store.transaction(() => fill(store));
      }),
    { code: 'storage_full' },
  );
  t.equal(store.get<{ n: number }>('SELECT count(*) AS n FROM outbox')!.n, before, 'rolled back whole');
  t.equal(announced, 0);
  t.notOk(store.inTransaction);
  t.notOk(store.db.isTransaction, 'no transaction left open');
});

t.test('when room frees, probe() writes again, truncates the write-ahead log, and the store passes', async (t) => {
  const { store, seen, pages, advance } = fullStore(t);
  t.throws(() => fill(store), { code: 'storage_full' });
  advance(5000);
  t.equal(store.probe(), false, 'still full');
  t.equal(store.storage().status, 'fail');
  store.get(`PRAGMA max_page_count = ${pages * 100}`);
  t.equal(store.probe(), true);
  t.same(store.storage(), { status: 'pass' });
  t.same(seen.map((s) => s.status), ['fail', 'pass']);
  store.run('INSERT INTO outbox (text) VALUES (?)', 'after');
  t.equal(store.get<{ text: string }>('SELECT text FROM outbox ORDER BY id DESC LIMIT 1')!.text, 'after');
  t.equal(store.probe(), true, 'a probe while writable does nothing');
});

t.test('an ordinary write that succeeds after the disk was full clears the failure too', async (t) => {
  const { store, pages } = fullStore(t);
  t.throws(() => fill(store), { code: 'storage_full' });
  store.get(`PRAGMA max_page_count = ${pages * 100}`);
  store.transaction(() => store.run('INSERT INTO outbox (text) VALUES (?)', 'z'));
  t.same(store.storage(), { status: 'pass' });
});

t.test('errors other than a full disk pass through unchanged', async (t) => {
  const { store } = fullStore(t);
  t.throws(() => store.run('INSERT INTO outbox (id, text) VALUES (1, NULL)'), { code: 'ERR_SQLITE_ERROR' });
  t.equal(store.storage().status, 'pass');
});
