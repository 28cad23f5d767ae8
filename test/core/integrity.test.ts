import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openStore, StoreError } from '../../core/store.ts';
import { mountTmpfs, tmpfsSkipReason } from './tmpfs.ts';

/** A real database as the agent leaves it: a table with rows, checkpointed and closed. */
function realDatabase(path: string, rows = 3000): void {
  const store = openStore({ path });
  store.migrate('inbox', [{ version: 1, up: 'CREATE TABLE inbox (id INTEGER PRIMARY KEY, sender TEXT, body TEXT)' }]);
  store.transaction(() => {
    for (let i = 0; i < rows; i++) store.run('INSERT INTO inbox (sender, body) VALUES (?, ?)', `+1555010${i}`, `message number ${i} `.repeat(4));
  });
  store.close();
}

function refusal(t: Test, path: string, code: string): StoreError {
  try {
    openStore({ path }).close();
  } catch (error) {
    t.type(error, StoreError);
    t.equal((error as StoreError).code, code);
    return error as StoreError;
  }
  t.fail('the store opened');
  return new StoreError('closed', 'unreachable');
}

t.test('a brand-new data directory starts with a new database', async (t) => {
  const path = join(t.testdir(), 'data', 'smsedge.db');
  const store = openStore({ path });
  t.ok(existsSync(path));
  t.equal(statSync(path).mode & 0o777, 0o600);
  store.close();
  realDatabase(path);
  const again = openStore({ path });
  t.equal(again.get<{ n: number }>('SELECT count(*) AS n FROM inbox')!.n, 3000, 'and an existing one opens with its rows');
  again.close();
});

t.test('an empty (0-byte) database is refused with what was found and what to do, and left as it was', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'smsedge.db');
  writeFileSync(path, '');
  const error = refusal(t, path, 'store_empty');
  t.match(error.message, `the database ${path} is empty (0 bytes)`);
  t.match(error.message, /Restore it from your backup, or move it aside \(with any smsedge\.db-wal and smsedge\.db-shm beside it\) to start with a new, empty database/);
  t.equal(statSync(path).size, 0, 'not written to');
  t.notOk(existsSync(`${path}-wal`), 'no write-ahead log created');
});

t.test('a database cut short (a power loss during a copy or a checkpoint) is refused', async (t) => {
  const path = join(t.testdir(), 'smsedge.db');
  realDatabase(path);
  const size = statSync(path).size;
  truncateSync(path, Math.floor(size / 2 / 4096) * 4096);
  const error = refusal(t, path, 'store_corrupt');
  t.match(error.message, /is cut short \(\d+ of \d+ bytes\)/);
  t.match(error.message, /backup/);
});

t.test('a database with a damaged page in the middle is refused after SQLite\'s check', async (t) => {
  const path = join(t.testdir(), 'smsedge.db');
  realDatabase(path);
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  // Garbage over a b-tree page of the table: the header still looks right.
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
  const error = refusal(t, path, 'store_corrupt');
  t.match(error.message, /is damaged/);
  t.match(error.message, /move it aside/);
});

t.test('a file that is not an SQLite database is refused', async (t) => {
  const path = join(t.testdir(), 'smsedge.db');
  writeFileSync(path, 'PK\x03\x04 a zip, or a config file copied over the database '.repeat(20));
  const error = refusal(t, path, 'store_corrupt');
  t.match(error.message, /is not an SQLite database/);
  t.equal(readFileSync(path, 'latin1').slice(0, 2), 'PK', 'left as it was');
});

t.test('a write-ahead log without its database (the database deleted or lost) is refused', async (t) => {
  const path = join(t.testdir(), 'smsedge.db');
  writeFileSync(`${path}-wal`, Buffer.alloc(8192, 1));
  const error = refusal(t, path, 'store_corrupt');
  t.match(error.message, /is missing, but its write-ahead log smsedge\.db-wal \(8192 bytes\) is there/);
  t.notOk(existsSync(path));
});

/**
 * A directory the agent cannot write: permissions for an ordinary user; for root (whom permissions do
 * not stop) a tmpfs mounted read-only, as the kernel leaves a file system after an error.
 */
function readOnlyDir(t: Test, prepare: (dir: string) => void): string {
  if (process.getuid?.() === 0) {
    const mount = mountTmpfs(t, '4m');
    prepare(mount.dir);
    mount.readOnly();
    return mount.dir;
  }
  const dir = t.testdir();
  prepare(dir);
  chmodSync(dir, 0o500);
  t.teardown(() => chmodSync(dir, 0o700));
  return dir;
}

const readOnlySkip = process.getuid?.() === 0 ? tmpfsSkipReason() : false;
for (const [what, prepare] of [
  ['with a database in it', (dir: string) => realDatabase(join(dir, 'smsedge.db'), 10)],
  ['without a database yet', () => {}],
] as const) {
  t.test(`a read-only data directory ${what} stops the start with one clear message`, { skip: readOnlySkip }, async (t) => {
    const dir = readOnlyDir(t, prepare);
    const error = refusal(t, join(dir, 'smsedge.db'), 'store_read_only');
    t.match(error.message, `cannot write the database in ${dir}`);
    t.match(error.message, /must be writable by the agent's user/);
  });
}

t.test('a data directory that cannot be created is refused the same way', async (t) => {
  const file = join(t.testdir(), 'not-a-dir');
  writeFileSync(file, '');
  const error = refusal(t, join(file, 'data', 'smsedge.db'), 'store_read_only');
  t.match(error.message, `cannot create the data directory ${join(file, 'data')}`);
});

t.test('smsedge start on an empty database: exit 1, one message on stderr, no stack trace', async (t) => {
  const dir = t.testdir();
  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'smsedge.db'), '');
  writeFileSync(
    join(dir, 'agent.config.ts'),
    `import { defineConfig, definePlugin } from 'smsedge';
const hello = definePlugin({ name: 'hello', setup: (ctx) => ({ start: () => ctx.log.info('hello started') }) });
export default defineConfig({ dataDir: ${JSON.stringify(data)}, plugins: [hello()] });
`,
  );
  const cli = new URL('../../core/cli.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, 'start', '--config', join(dir, 'agent.config.ts')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 1, stderr);
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one message');
  t.match(lines[0], /^smsedge: the database .*smsedge\.db is empty \(0 bytes\).*Restore it from your backup, or move it aside/);
  t.notMatch(stderr + stdout, /^\s+at /m, 'no stack trace');
  t.notMatch(stdout, /hello started/, 'nothing started');
  t.equal(statSync(join(data, 'smsedge.db')).size, 0);
});
