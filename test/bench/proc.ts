// Child processes for the bench and the reliability tests: Node 24 running .ts files, their RSS read
// from /proc (the same way for the agent and for its baseline), and HTTP polling that returns as soon
// as a condition holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** What the child wrote so far (the last `keepBytes`). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (rejects on exit or timeout). */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The same for stderr, from what arrives after the call. */
  stderrLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `args[0]` with the rest as its arguments (this process's environment plus `env`) to its end,
 * its output read to the last byte; resolves with the tail of its stderr, rejects naming the exit code.
 *
 * @example const stderr = await runToEnd([process.execPath, 'test/bench/drainer.ts', 'prep', dir, '1000', '-'])
 */
export function runToEnd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.once('error', reject);
    // 'close', not 'exit': stderr may still be arriving when the process has exited.
    child.once('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`${args.slice(0, 4).join(' ')}... exited ${code}\n${err}`))));
  });
}

/** Runs `node [nodeArgs] <script> ...args` with this process's Node (24, type stripping); `script` null for `-e`. */
export function spawnNode(script: string | null, args: string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string; nodeArgs?: string[]; keepBytes?: number } = {}): Child {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(script ? [script] : []), ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  // Kept bounded: an agent logging for minutes must not grow the parent's memory.
  const keep = options.keepBytes ?? 256 * 1024;
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out = (out + d).slice(-keep);
    for (const w of waiters) w();
  });
  const errWaiters = new Set<(d: string) => void>();
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-keep);
    for (const w of errWaiters) w(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const child: Child = {
    proc,
    pid: proc.pid!,
    stdout: () => out,
    stderr: () => err,
    line(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) return done(() => resolve(m));
          if (gone) return done(() => reject(new Error(`child exited before printing ${pattern}; stderr:\n${err.slice(-2000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`child did not print ${pattern} within ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    stderrLine(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => {
          errWaiters.delete(onData);
          reject(new Error(`child did not print ${pattern} on stderr within ${timeoutMs} ms`));
        }, timeoutMs);
        const onData = (d: string) => {
          seen += d;
          const m = seen.match(pattern);
          if (!m) return;
          clearTimeout(timer);
          errWaiters.delete(onData);
          resolve(m);
        };
        errWaiters.add(onData);
      });
    },
    exited,
    async kill(signal = 'SIGKILL') {
      if (!gone) proc.kill(signal);
      await exited;
    },
    async stop(graceMs = 5000) {
      if (gone) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return child;
}

/** Resident set size of a process in MB (VmRSS from /proc), or NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) of a process's main thread in ms (its thread id is its pid), from /proc;
 * NaN when it is gone or there is no /proc. Linux counts it in ticks of 10 ms (USER_HZ 100).
 */
export function mainThreadCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** A port that was free a moment ago (for children that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET on loopback (no keep-alive, so a poll loop never holds a socket). Rejects on connection errors. */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { connection: 'close', ...headers }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `check` every `everyMs` until it returns a truthy value; errors count as "not yet". Not a
 * sleep: it returns as soon as the condition holds, and throws naming `what` after `timeoutMs`.
 */
export async function until<T>(check: () => T | Promise<T>, what: string, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<NonNullable<T>> {
  const deadline = performance.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await delay(options.everyMs ?? 5);
  }
}
