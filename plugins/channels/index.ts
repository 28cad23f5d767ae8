import * as v from 'valibot';
import { eventTypes, publicEvent, type AnyEvent, type EventType } from '../../core/events.ts';
import { definePlugin, type PluginHealth } from '../../core/plugin.ts';
import { ChannelError, type Channel } from './channel.ts';
import { createChannel } from './create.ts';
import { emailOptions } from './email.ts';
import { httpOptions } from './http.ts';
import { answerSender, storeLinks } from './links.ts';
import { matrixOptions } from './matrix.ts';
import { ntfyOptions } from './ntfy.ts';
import { telegramOptions } from './telegram.ts';

export { ChannelError, type Channel, type ChannelMessage, type ChannelReply } from './channel.ts';
export { createChannel, type ChannelKinds } from './create.ts';
export { Mailer, emailOptions, threadId, type Mail } from './email.ts';

const options = v.pipe(
  v.strictObject({
    /** Instance id, when several channels run as sinks (`channel#mail`); also the channel's name. */
    id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case'))),
    email: v.optional(emailOptions),
    telegram: v.optional(telegramOptions),
    ntfy: v.optional(ntfyOptions),
    matrix: v.optional(matrixOptions),
    http: v.optional(httpOptions),
    /** Event types sent; default `['sms.received']`. */
    types: v.optional(v.array(v.picklist(eventTypes as EventType[])), ['sms.received']),
    /** Extra predicate on the event (e.g. `notBlockedBy(rulesConfig)` from plugins/rules). */
    filter: v.optional(v.custom<(event: AnyEvent) => boolean>((f) => typeof f === 'function', 'a function (event) => boolean')),
    /** Delay before retrying a failed send: doubling from initialMs up to maxMs. */
    retry: v.optional(
      v.strictObject({
        initialMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 2000),
        maxMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 600_000),
      }),
      { initialMs: 2000, maxMs: 600_000 },
    ),
  }),
  v.check((o) => [o.email, o.telegram, o.ntfy, o.matrix, o.http].filter((x) => x !== undefined).length === 1, 'needs exactly one of email, telegram, ntfy, matrix, http'),
);

/**
 * One channel as a plain sink: every event of `types` is sent to it, in order, retried until the
 * far end accepts it. A refusal retrying cannot help (a 4xx, a 5xx SMTP answer) is logged and the
 * event skipped, so one bad message does not hold back every later one. A Telegram channel's
 * answers become SMS through the modem plugin.
 *
 * @example
 * channel({ id: 'alerts', ntfy: { url: 'https://ntfy.sh/my-sms', tokenEnv: 'NTFY_TOKEN' } })
 */
export const channel = definePlugin({
  name: 'channel',
  instanceKey: 'id',
  after: ['modem'],
  options,
  setup(ctx) {
    const o = ctx.options;
    const now = () => ctx.clock.now();
    const name = o.id ?? 'channel';
    const target: Channel = createChannel(o, {
      name,
      clock: ctx.clock,
      log: ctx.log,
      agentId: ctx.agentId,
      links: storeLinks(ctx.store, now),
      onReply: answerSender(ctx.store, () => ctx.tryUse('sms'), now),
    });
    const stats = { sent: 0, failures: 0, skipped: 0 };
    let lastError: string | undefined;
    let subscription: { lag(): number; stop(): Promise<void> } | undefined;
    return {
      async start() {
        await target.start?.();
        subscription = ctx.events.subscribe(
          ctx.name,
          async (event) => {
            try {
              await target.send({ event: publicEvent(event) }, ctx.signal);
              stats.sent++;
              lastError = undefined;
            } catch (error) {
              stats.failures++;
              lastError = (error as Error).message;
              if (error instanceof ChannelError && !error.retryable) {
                stats.skipped++;
                ctx.log.error({ err: error, event: event.id }, 'the channel refused the event for good; skipped');
                return;
              }
              ctx.log.warn({ err: error, event: event.id }, 'channel send failed; will retry');
              throw error;
            }
          },
          { types: o.types, filter: o.filter, backoff: (attempt) => Math.min(o.retry.maxMs, o.retry.initialMs * 2 ** (attempt - 1)) },
        );
      },
      async stop() {
        await subscription?.stop();
        await target.stop?.();
      },
      health(): PluginHealth {
        return { status: lastError ? 'warn' : 'pass', kind: target.kind, ...stats, lag: subscription?.lag() ?? 0, ...(lastError ? { lastError } : {}) };
      },
    };
  },
});

export default channel;
