// What the store checks before trusting a database file, and how SQLite's failures are told apart.
// A power loss on an SD card can leave the database empty or cut short; SQLite would take an empty
// file for a new database and start with nothing, so the agent looks first and refuses instead.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/** Why a database cannot be used: the codes StoreError carries for these cases. */
export type FileProblemCode = 'store_empty' | 'store_corrupt' | 'store_read_only' | 'storage_full';

export interface FileProblem {
  code: FileProblemCode;
  message: string;
}

// SQLite's primary result codes (sqlite3.h) that node:sqlite puts on its errors as `errcode`.
const SQLITE_PERM = 3;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** The 16 bytes every SQLite 3 database starts with (fileformat2.html 1.3). */
const MAGIC = 'SQLite format 3\0';

/** The primary SQLite result code of an error from node:sqlite (extended codes carry it in their low byte). */
export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

/** Whether an error means the disk (or the file system's quota) has no room left. */
export function isFull(error: unknown): boolean {
  if (sqliteCode(error) === SQLITE_FULL) return true;
  const errno = (error as { code?: unknown } | null)?.code;
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

function whatToDo(path: string): string {
  const name = basename(path);
  return (
    `Restore it from your backup, or move it aside (with any ${name}-wal and ${name}-shm beside it) ` +
    'to start with a new, empty database. See docs/durability.md.'
  );
}

/**
 * Looks at the file before SQLite opens it: missing is fine (a new data directory); empty, too short
 * for SQLite's header, not starting with it, or shorter than the header says (with no write-ahead log
 * that could hold the rest) is a problem. Returns undefined when SQLite may open it.
 */
export function checkFile(path: string): FileProblem | undefined {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    const wal = sizeOf(`${path}-wal`);
    if (wal > 0)
      return {
        code: 'store_corrupt',
        message: `the database ${path} is missing, but its write-ahead log ${basename(path)}-wal (${wal} bytes) is there: the database was deleted or lost, not never created. ${whatToDo(path)}`,
      };
    return undefined;
  }
  if (size === 0)
    return {
      code: 'store_empty',
      message: `the database ${path} is empty (0 bytes): a power loss or a full disk can leave it so, and starting on it would lose the inbox, the send queue, webhook subscriptions and sink positions without a word. ${whatToDo(path)}`,
    };
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== MAGIC)
    return { code: 'store_corrupt', message: `the database ${path} is not an SQLite database (${size} bytes without SQLite's header): it is damaged or another file. ${whatToDo(path)}` };
  // fileformat2.html 1.3.2/1.3.9: page size at 16 (1 means 65536); the page count at 28 is valid
  // when the change counter at 24 equals the version-valid-for number at 92.
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  // With a write-ahead log, a checkpoint cut short leaves the file shorter than page 1 says until
  // the log is replayed: SQLite's own check after opening judges that case.
  if (valid && pages > 0 && size < pages * pageSize && sizeOf(`${path}-wal`) === 0)
    return {
      code: 'store_corrupt',
      message: `the database ${path} is cut short (${size} of ${pages * pageSize} bytes): a power loss or a full disk can leave it so. ${whatToDo(path)}`,
    };
  return undefined;
}

/**
 * SQLite's quick_check (pragma.html#pragma_quick_check): every page and b-tree, without comparing
 * indexes to tables, so it reads the file once (about half a second for 70 MB measured on a laptop).
 */
export function quickCheck(db: DatabaseSync, path: string): FileProblem | undefined {
  const rows = db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length === 0) return undefined;
  return { code: 'store_corrupt', message: `the database ${path} is damaged (SQLite's check found: ${problems.join('; ')}). ${whatToDo(path)}` };
}

/** Turns what opening the database threw into a problem the operator can act on, or undefined (a bug). */
export function problemOf(error: unknown, path: string): FileProblem | undefined {
  const dir = dirname(path);
  const errno = (error as { code?: unknown } | null)?.code;
  if (isFull(error))
    return { code: 'storage_full', message: `the disk holding ${dir} is full: the database cannot be opened for writing. Free some space (see docs/durability.md) and start again.` };
  const code = sqliteCode(error);
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB)
    return { code: 'store_corrupt', message: `the database ${path} is damaged (SQLite: ${(error as Error).message}). ${whatToDo(path)}` };
  if (code === SQLITE_READONLY || code === SQLITE_CANTOPEN || code === SQLITE_PERM || code === SQLITE_IOERR || errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM')
    return {
      code: 'store_read_only',
      message: `cannot write the database in ${dir} (${(error as Error).message}): the data directory must be writable by the agent's user, as it holds the database and its -wal and -shm files. Check its owner and permissions, and whether the file system was mounted read-only (after an error, the kernel does that).`,
    };
  return undefined;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
