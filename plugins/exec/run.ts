import { spawn } from 'node:child_process';
import type { Clock } from '../../core/clock.ts';

export type ExecErrorCode = 'exec_spawn_failed' | 'exec_exit' | 'exec_timeout';

/** Why a run did not acknowledge its event. */
export class ExecError extends Error {
  override name = 'ExecError';
  readonly code: ExecErrorCode;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  constructor(code: ExecErrorCode, message: string, detail: { exitCode?: number | null; signal?: NodeJS.Signals | null; cause?: unknown } = {}) {
    super(message, { cause: detail.cause });
    this.code = code;
    this.exitCode = detail.exitCode ?? null;
    this.signal = detail.signal ?? null;
  }
}

export interface RunOptions {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  input: string;
  timeoutMs: number;
  /** After the timeout's SIGTERM, how long the program may take to exit before SIGKILL. */
  killGraceMs: number;
  clock: Clock;
  /** Aborting it (the plugin stopping) terminates the program the same way a timeout does. */
  signal?: AbortSignal;
  /** One line of the program's output, without its newline. */
  onLine(stream: 'stdout' | 'stderr', line: string): void;
}

const maxLine = 2000;

/**
 * Runs one program to completion: `input` on stdin, output split into lines, killed (its whole
 * process group, so a shell's children go too) when it overruns `timeoutMs`. Resolves on exit 0,
 * rejects with an ExecError otherwise.
 *
 * @example
 * await runProgram({ command: '/usr/local/bin/on-sms', args: [], env, input: json, timeoutMs: 30_000,
 *   killGraceMs: 5000, clock: systemClock, onLine: (s, l) => log.info({ stream: s, line: l }) });
 */
export function runProgram(o: RunOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = new AbortController();
    let timedOut = false;
    let settled = false;
    const child = spawn(o.command, [...o.args], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout can kill the program and everything it started.
      detached: true,
    });
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const finish = (error?: ExecError) => {
      if (settled) return;
      settled = true;
      timer.abort();
      if (error) reject(error);
      else resolve();
    };
    const readers = (['stdout', 'stderr'] as const).map((name) => {
      let buffered = '';
      const stream = child[name];
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          o.onLine(name, buffered.slice(0, nl).slice(0, maxLine));
          buffered = buffered.slice(nl + 1);
        }
        if (buffered.length > maxLine) {
          o.onLine(name, buffered.slice(0, maxLine));
          buffered = '';
        }
      });
      return () => {
        if (buffered) o.onLine(name, buffered.slice(0, maxLine));
        buffered = '';
      };
    });

    child.once('error', (error: NodeJS.ErrnoException) => {
      finish(new ExecError('exec_spawn_failed', `could not run ${o.command}: ${error.code ?? error.message}`, { cause: error }));
    });
    // 'close' waits for stdio to end, which a program's background children can hold open; 'exit'
    // is the program itself. Output already read is flushed, the rest is dropped.
    child.once('exit', (exitCode, signal) => {
      for (const flush of readers) flush();
      child.stdout.destroy();
      child.stderr.destroy();
      if (timedOut) finish(new ExecError('exec_timeout', `${o.command} did not finish within ${o.timeoutMs} ms`, { exitCode, signal }));
      else if (exitCode === 0) finish();
      else finish(new ExecError('exec_exit', `${o.command} exited with ${signal ?? `code ${exitCode}`}`, { exitCode, signal }));
    });

    // A program that does not read its stdin closes the pipe (EPIPE): that is its business.
    child.stdin.on('error', () => {});
    child.stdin.end(o.input);

    const terminate = async () => {
      killGroup('SIGTERM');
      await o.clock.sleep(o.killGraceMs, timer.signal);
      killGroup('SIGKILL');
    };
    o.clock
      .sleep(o.timeoutMs, timer.signal)
      .then(() => {
        timedOut = true;
        return terminate();
      })
      .catch(() => {});
    const onAbort = () => void terminate().catch(() => {});
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    timer.signal.addEventListener('abort', () => o.signal?.removeEventListener('abort', onAbort), { once: true });
  });
}
