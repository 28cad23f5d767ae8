import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** The local calendar day of `ms` as `YYYY-MM-DD`: operators read "the file of Monday" in local time. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${mm}-${dd}`;
}

/**
 * How rotated files are named: `events.jsonl` becomes `events.2026-01-01.1.jsonl`, `.2`, ... The day
 * is the one the file's lines were written on; the counter tells apart several rotations on one day.
 */
export interface RotatedName {
  file: string;
  day: string;
  n: number;
}

function parts(path: string): { dir: string; stem: string; ext: string } {
  const ext = extname(path);
  return { dir: dirname(path), stem: basename(path, ext), ext };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The rotated siblings of `path`, oldest first. */
export async function listRotated(path: string): Promise<RotatedName[]> {
  const { dir, stem, ext } = parts(path);
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{4}-\\d{2}-\\d{2})\\.(\\d+)${escape(ext)}$`);
  const out: RotatedName[] = [];
  for (const file of await readdir(dir)) {
    const m = pattern.exec(file);
    if (m) out.push({ file: join(dir, file), day: m[1]!, n: Number(m[2]) });
  }
  return out.sort((a, b) => (a.day === b.day ? a.n - b.n : a.day < b.day ? -1 : 1));
}

/** The next free rotated name for `day`. */
export async function nextRotatedName(path: string, day: string): Promise<string> {
  const { dir, stem, ext } = parts(path);
  const sameDay = (await listRotated(path)).filter((r) => r.day === day);
  const n = sameDay.length ? Math.max(...sameDay.map((r) => r.n)) + 1 : 1;
  return join(dir, `${stem}.${day}.${n}${ext}`);
}

/** Deletes the oldest rotated files beyond `keep`. Returns the deleted paths. */
export async function pruneRotated(path: string, keep: number): Promise<string[]> {
  const rotated = await listRotated(path);
  const doomed = rotated.slice(0, Math.max(0, rotated.length - keep)).map((r) => r.file);
  for (const file of doomed) await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return doomed;
}
