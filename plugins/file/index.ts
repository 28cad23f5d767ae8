import { isAbsolute, join } from 'node:path';
import * as v from 'valibot';
import { eventTypes, publicEvent, type AnyEvent, type EventType } from '../../core/events.ts';
import { definePlugin, type PluginHealth } from '../../core/plugin.ts';
import { JsonlWriter } from './writer.ts';

const options = v.strictObject({
  /** Instance id, when several file sinks run side by side (`file#alerts`). */
  id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case'))),
  /** Relative paths are under the agent's dataDir. */
  path: v.optional(v.pipe(v.string(), v.minLength(1)), 'events.jsonl'),
  /** Event types written; others are skipped. Default: all. */
  types: v.optional(v.array(v.picklist(eventTypes as EventType[]))),
  /** Extra predicate on the event. */
  filter: v.optional(v.custom<(event: AnyEvent) => boolean>((f) => typeof f === 'function', 'a function (event) => boolean')),
  rotate: v.optional(
    v.strictObject({
      maxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024))),
      daily: v.optional(v.boolean(), false),
      keep: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 7),
    }),
    { daily: false, keep: 7 },
  ),
});

/**
 * One line: the Standard Webhooks body `{ type, timestamp, data }` plus the event id to de-duplicate on.
 * As every event leaving the agent, without a sent message's callbackUrl (publicEvent).
 */
export function eventLine(event: AnyEvent): string {
  const shown = publicEvent(event);
  return JSON.stringify({ id: shown.id, type: shown.type, timestamp: shown.timestamp, data: shown.data });
}

/**
 * Writes events as JSON Lines, each fsynced before the journal acknowledges it; rotates by size or
 * day and keeps `rotate.keep` old files; files are mode 0600.
 *
 * @example
 * file({ path: '/var/log/smsedge/events.jsonl', types: ['sms.received'], rotate: { daily: true, keep: 14 } })
 */
export const file = definePlugin({
  name: 'file',
  instanceKey: 'id',
  options,
  setup(ctx) {
    const o = ctx.options;
    const path = isAbsolute(o.path) ? o.path : join(ctx.dataDir, o.path);
    const writer = new JsonlWriter({ path, clock: ctx.clock, maxBytes: o.rotate.maxBytes, daily: o.rotate.daily, keep: o.rotate.keep });
    let lastError: { message: string; at: number } | undefined;
    let written = 0;
    let subscription: { lag(): number; stop(): Promise<void> } | undefined;
    return {
      start() {
        subscription = ctx.events.subscribe(
          ctx.name,
          async (event) => {
            try {
              await writer.append(eventLine(event));
              written++;
              lastError = undefined;
            } catch (error) {
              lastError = { message: (error as Error).message, at: ctx.clock.now() };
              ctx.log.error({ err: error, path, event: event.id }, 'could not write event; will retry');
              throw error;
            }
          },
          { types: o.types, filter: o.filter, backoff: (attempt) => Math.min(60_000, 500 * 2 ** (attempt - 1)) },
        );
      },
      async stop() {
        await subscription?.stop();
        await writer.close();
      },
      health(): PluginHealth {
        return {
          status: lastError ? 'fail' : 'pass',
          path,
          written,
          bytes: writer.size,
          lag: subscription?.lag() ?? 0,
          ...(lastError ? { error: lastError.message } : {}),
        };
      },
    };
  },
});

export default file;
