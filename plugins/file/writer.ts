import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { localDay, nextRotatedName, pruneRotated } from './rotate.ts';

export interface JsonlWriterOptions {
  path: string;
  clock: Clock;
  /** Rotate before a line would take the file past this many bytes. */
  maxBytes?: number;
  /** Rotate when the local day changes. */
  daily?: boolean;
  /** Rotated files kept; older ones are deleted. */
  keep: number;
}

/** Events files hold SMS bodies and phone numbers: readable by the agent's user only. */
export const fileMode = 0o600;

/**
 * An append-only JSON Lines file that is durable line by line: `append()` resolves only after the
 * line is written and fsynced, so the journal acknowledges nothing that a power cut could still take.
 *
 * @example
 * const out = new JsonlWriter({ path: 'data/events.jsonl', clock: systemClock, daily: true, keep: 7 });
 * await out.append(JSON.stringify({ id: '...' }));
 * await out.close();
 */
export class JsonlWriter {
  readonly path: string;
  readonly #opts: JsonlWriterOptions;
  #fh: FileHandle | undefined;
  #size = 0;
  #day = '';
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: JsonlWriterOptions) {
    this.path = options.path;
    this.#opts = options;
  }

  /** Bytes in the current file (0 before the first append). */
  get size(): number {
    return this.#size;
  }

  /** Appends one line (a newline is added) and fsyncs. Calls are serialized. */
  append(line: string): Promise<void> {
    const run = this.#tail.then(() => this.#append(line));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #append(line: string): Promise<void> {
    const buf = Buffer.from(`${line}\n`, 'utf8');
    try {
      const fh = await this.#open();
      const now = this.#opts.clock.now();
      const dayChanged = this.#opts.daily && this.#size > 0 && localDay(now) !== this.#day;
      const tooBig = this.#opts.maxBytes !== undefined && this.#size > 0 && this.#size + buf.length > this.#opts.maxBytes;
      const target = dayChanged || tooBig ? await this.#rotate() : fh;
      if (this.#size === 0) this.#day = localDay(now);
      await writeAll(target, buf);
      this.#size += buf.length;
      await target.sync();
    } catch (error) {
      // Start from a fresh handle next time; a half-written line is isolated by #open's newline check.
      await this.#reset();
      throw error;
    }
  }

  async #open(): Promise<FileHandle> {
    if (this.#fh) return this.#fh;
    await mkdir(dirname(this.path), { recursive: true });
    const fh = await open(this.path, 'a+', fileMode);
    try {
      // open()'s mode applies only to a new file; an existing one is tightened too.
      await fh.chmod(fileMode);
      const stat = await fh.stat();
      this.#size = stat.size;
      this.#day = localDay(stat.mtimeMs);
      if (stat.size > 0) {
        // A crash mid-write can leave a torn last line: end it so the next line stays parseable.
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, stat.size - 1);
        if (last[0] !== 0x0a) {
          await writeAll(fh, Buffer.from('\n'));
          this.#size += 1;
        }
      }
    } catch (error) {
      await fh.close().catch(() => {});
      throw error;
    }
    this.#fh = fh;
    return fh;
  }

  async #rotate(): Promise<FileHandle> {
    await this.#fh?.close();
    this.#fh = undefined;
    const rotated = await nextRotatedName(this.path, this.#day);
    await rename(this.path, rotated);
    await syncDir(dirname(this.path));
    await pruneRotated(this.path, this.#opts.keep);
    const fh = await this.#open();
    await syncDir(dirname(this.path));
    return fh;
  }

  async #reset(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    this.#size = 0;
    await fh?.close().catch(() => {});
  }

  /** Waits for appends in progress, then closes the file. */
  async close(): Promise<void> {
    await this.#tail;
    await this.#reset();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset);
    offset += bytesWritten;
  }
}

/** A rename is durable only once its directory entry is: fsync the directory (POSIX). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
