import { isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { eventTypes, publicEvent, type AnyEvent, type EventType } from '../../core/events.ts';
import { definePlugin, type PluginHealth } from '../../core/plugin.ts';
import { fragmentsOf, maskPhone, redactFragments } from '../../core/redact.ts';
import { eventEnv } from './env.ts';
import { ExecError, runProgram } from './run.ts';

const options = v.strictObject({
  /** Instance id, when several programs each get events (`exec#archive`). */
  id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case'))),
  /** The program: run directly, not through a shell (use `command: 'sh', args: ['-c', '...']` for one). */
  command: v.pipe(v.string(), v.minLength(1)),
  args: v.optional(v.array(v.string()), []),
  cwd: v.optional(v.string()),
  /** Extra environment variables. */
  env: v.optional(v.record(v.string(), v.string()), {}),
  /** Pass the agent's whole environment (secrets included). Default: only PATH, HOME, LANG, TZ, ... */
  inheritEnv: v.optional(v.boolean(), false),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 30_000),
  killGraceMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 5_000),
  /** Programs running at once. 1 (the default) runs them in event order. */
  concurrency: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 1),
  types: v.optional(v.array(v.picklist(eventTypes as EventType[]))),
  filter: v.optional(v.custom<(event: AnyEvent) => boolean>((f) => typeof f === 'function', 'a function (event) => boolean')),
  /** Delay before retrying a failed run: doubling from initialMs up to maxMs. */
  retry: v.optional(
    v.strictObject({
      initialMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 1000),
      maxMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 300_000),
    }),
    { initialMs: 1000, maxMs: 300_000 },
  ),
  /**
   * Runs of one event before it is given up (logged as an error, counted as `skipped` in health) so
   * that later events are not held behind it for good: a script that always fails on one message
   * must not stop every message after it. 0: retry forever. With the default retry delays, 10 runs
   * span about 14 minutes. The count starts again after a restart.
   */
  maxAttempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 10),
});

/**
 * The event as the program reads it on stdin: the Standard Webhooks body plus the event id. The
 * caller passes it through publicEvent first (a sent message's callbackUrl is not the program's).
 */
export function eventJson(event: AnyEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.timestamp, data: event.data });
}

/**
 * Programs echo what they were given, and not always whole: one line of a multi-line body, or just
 * the code in it (`${SMSEDGE_TEXT##* }`). Output is logged line by line, so every line loses each
 * fragment of this event's body (the whole text, each line, each run of 4+ digits: fragmentsOf) and
 * its phone numbers are masked before it reaches the logger (which masks numbers, URLs, hex itself).
 */
function scrubber(event: AnyEvent): (line: string) => string {
  const data = event.data as unknown as Record<string, unknown>;
  // Computed once per event, not per line.
  const fragments = [data.text, data.data].flatMap((s) => (typeof s === 'string' ? fragmentsOf(s) : []));
  fragments.sort((a, b) => b.length - a.length);
  const numbers = [data.from, data.to].filter((s): s is string => typeof s === 'string' && s.length > 0);
  return (line) => {
    let out = line;
    for (const n of numbers) out = out.split(n).join(maskPhone(n));
    return redactFragments(out, fragments);
  };
}

/**
 * Runs a program per event (like Gammu's RunOnReceive): the event JSON on stdin, `SMSEDGE_*`
 * variables in its environment. Exit 0 acknowledges; anything else, or overrunning `timeoutMs`
 * (which kills it), retries with backoff, up to `maxAttempts` runs. Its output goes to the log at debug
 * level only, redacted.
 *
 * @example
 * exec({ command: '/usr/local/bin/on-sms', types: ['sms.received'], timeoutMs: 10_000 })
 */
export const exec = definePlugin({
  name: 'exec',
  instanceKey: 'id',
  options,
  setup(ctx) {
    const o = ctx.options;
    const cwd = o.cwd === undefined ? undefined : isAbsolute(o.cwd) ? o.cwd : resolve(ctx.dataDir, o.cwd);
    const stopping = new AbortController();
    const stats = { runs: 0, failures: 0, running: 0, skipped: 0 };
    let lastError: { code: string; message: string } | undefined;
    let lastSkipped: { event: string; at: string; attempts: number } | undefined;
    /** Failed runs of the events being retried now (at most `concurrency` of them). */
    const attempts = new Map<string, number>();
    let subscription: { lag(): number; stop(): Promise<void> } | undefined;
    const inFlight = new Set<Promise<void>>();

    async function handle(journaled: AnyEvent): Promise<void> {
      // Stdin and SMSEDGE_* both come from this copy: no SMSEDGE_CALLBACK_URL either.
      const event = publicEvent(journaled);
      const scrub = scrubber(event);
      const log = ctx.log.child({ event: event.id, type: event.type });
      stats.running++;
      stats.runs++;
      const run = runProgram({
        command: o.command,
        args: o.args,
        cwd,
        env: eventEnv(event, ctx.agentId, o.env, o.inheritEnv),
        input: `${eventJson(event)}\n`,
        timeoutMs: o.timeoutMs,
        killGraceMs: o.killGraceMs,
        clock: ctx.clock,
        signal: stopping.signal,
        // Only at debug: a program may print the text transformed (upper-cased, translated) or a
        // number in a notation no rule knows, which no scrubbing can be sure to catch. The failure
        // itself (exit code, signal, timeout) is logged at warn below.
        onLine: (stream, line) => {
          if (log.isLevelEnabled('debug')) log.debug({ stream, line: scrub(line) }, 'program output');
        },
      });
      inFlight.add(run);
      try {
        await run;
        lastError = undefined;
        attempts.delete(event.id);
      } catch (error) {
        // Stopping is not the program's failure: the event simply runs again after the restart.
        if (stopping.signal.aborted) throw error;
        stats.failures++;
        const e = error as ExecError;
        lastError = { code: e.code, message: e.message };
        const failed = (attempts.get(event.id) ?? 0) + 1;
        if (o.maxAttempts === 0 || failed < o.maxAttempts) {
          attempts.set(event.id, failed);
          log.warn({ err: e, exitCode: e.exitCode, signal: e.signal, attempt: failed }, 'program failed; the event will be retried');
          throw error;
        }
        attempts.delete(event.id);
        stats.skipped++;
        lastSkipped = { event: event.id, at: new Date(ctx.clock.now()).toISOString(), attempts: failed };
        log.error({ err: e, exitCode: e.exitCode, signal: e.signal, attempts: failed }, 'program failed on every attempt (maxAttempts); the event is skipped');
      } finally {
        stats.running--;
        inFlight.delete(run);
      }
    }

    return {
      start() {
        subscription = ctx.events.subscribe(ctx.name, handle, {
          types: o.types,
          filter: o.filter,
          concurrency: o.concurrency,
          backoff: (attempt) => Math.min(o.retry.maxMs, o.retry.initialMs * 2 ** (attempt - 1)),
        });
      },
      async stop() {
        // Programs still running are terminated; their events were not acknowledged and run again.
        const unsubscribed = subscription?.stop();
        stopping.abort();
        await Promise.allSettled([...inFlight]);
        await unsubscribed;
      },
      health(): PluginHealth {
        return {
          status: lastError ? 'warn' : 'pass',
          command: o.command,
          ...stats,
          lag: subscription?.lag() ?? 0,
          ...(lastError ? { lastError } : {}),
          ...(lastSkipped ? { lastSkipped } : {}),
        };
      },
    };
  },
});

export default exec;
