import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` until it returns a truthy value: for conditions that depend on real I/O (child
 * processes, a broker, fsync) which no injected clock can hurry. Not a sleep: it returns as soon as
 * the condition holds, and fails with `what` after `timeoutMs`.
 */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}
