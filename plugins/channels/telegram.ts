import { decorrelatedJitterGenerator } from 'cockatiel';
import * as v from 'valibot';
import { baseUrl, ChannelError, envName, template, timeoutMs, type Channel, type ChannelDeps } from './channel.ts';
import { call, join } from './request.ts';
import { secretFromEnv } from './secret.ts';
import { render, templateValues } from './template.ts';

const chatId = v.union([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.regex(/^(-?\d+|@\w{5,})$/, 'is not a chat id'))]);

/** `{ telegram: {...} }`: a bot posting to a chat, and (replies) sending the chat's answers as SMS. */
export const telegramOptions = v.strictObject({
  /** Environment variable with the bot token from @BotFather. */
  botTokenEnv: envName,
  /** The chat messages are posted to (a user's, a group's: negative, or `@channelname`). */
  chatId,
  /** Chats whose answers become SMS; default only `chatId`. */
  allowedChatIds: v.optional(v.array(chatId)),
  /** Answering a forwarded message in the chat sends the answer as an SMS to its sender. */
  replies: v.optional(v.boolean(), true),
  text: v.optional(template, 'SMS from {from} ({modem}):\n{text}'),
  /** The Bot API server; a self-hosted telegram-bot-api or a test server. */
  apiUrl: v.optional(baseUrl, 'https://api.telegram.org'),
  /** getUpdates long-poll wait, seconds. */
  pollSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(300)), 50),
  timeoutMs,
});

export type TelegramOptions = v.InferOutput<typeof telegramOptions>;

interface Message {
  message_id: number;
  chat: { id: number; username?: string };
  text?: string;
  reply_to_message?: { message_id: number };
}

interface Update {
  update_id: number;
  message?: Message;
}

/** A Bot API answer: `{ ok: true, result }` or `{ ok: false, description }`. */
function result<T>(answer: unknown): T {
  const a = answer as { ok?: boolean; result?: T; description?: string } | null;
  if (!a || typeof a !== 'object' || a.ok !== true) throw new ChannelError('bad_answer', 'the Bot API did not answer ok');
  return a.result as T;
}

/**
 * Telegram: `sendMessage` for each event; with `replies`, a long-polling `getUpdates` loop (started
 * by start(), ended by stop()) turns an answer to a forwarded message, in an allowed chat, into an
 * SMS to the number that message came from. Which SMS each posted message stands for is kept in the
 * link store, and the update offset is stored only after the answer was handed over (at-least-once;
 * the answer's id `telegram:<chat>:<message>` lets the receiver send it once).
 */
export function telegramChannel(o: TelegramOptions, deps: ChannelDeps): Channel {
  const token = secretFromEnv(deps.env ?? process.env, o.botTokenEnv, `channels.${deps.name}.telegram.botTokenEnv`);
  const method = (name: string) => join(o.apiUrl, `/bot${token}/${name}`);
  const allowed = new Set((o.allowedChatIds ?? [o.chatId]).map(String));
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  const post = (name: string, body: unknown, timeout = o.timeoutMs) =>
    call(method(name), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), timeoutMs: timeout, signal: stopping.signal });

  async function handle(update: Update): Promise<void> {
    const m = update.message;
    if (!m?.text || !m.reply_to_message) return;
    if (!allowed.has(String(m.chat.id)) && !(m.chat.username && allowed.has(`@${m.chat.username}`))) {
      deps.log.warn({ update: update.update_id }, 'an answer from a chat that is not allowed; ignored');
      return;
    }
    const link = deps.links?.get(deps.name, `${m.chat.id}:${m.reply_to_message.message_id}`);
    if (!link) {
      deps.log.info({ update: update.update_id }, 'an answer to a message that was not a forwarded SMS; ignored');
      return;
    }
    await deps.onReply!({ channel: deps.name, to: link.number, text: m.text, id: `telegram:${m.chat.id}:${m.message_id}`, ...(link.modem ? { modem: link.modem } : {}) });
  }

  async function poll(): Promise<void> {
    let backoff: [number, number] | undefined;
    while (!stopping.signal.aborted) {
      try {
        const offset = deps.links?.getCursor(deps.name);
        const updates = result<Update[]>(
          await post('getUpdates', { timeout: o.pollSeconds, allowed_updates: ['message'], ...(offset === undefined ? {} : { offset }) }, o.pollSeconds * 1000 + o.timeoutMs),
        );
        for (const update of updates) {
          await handle(update);
          deps.links?.setCursor(deps.name, update.update_id + 1);
        }
        backoff = undefined;
      } catch (error) {
        if (stopping.signal.aborted) return;
        const [delay, next] = decorrelatedJitterGenerator(backoff, { initialDelay: 1000, maxDelay: 60_000, exponent: 2 } as never) as [number, [number, number]];
        backoff = next;
        deps.log.warn({ err: error, retryInMs: Math.round(delay) }, 'telegram getUpdates failed; polling again later');
        await deps.clock.sleep(Math.round(delay), stopping.signal).catch(() => {});
      }
    }
  }

  return {
    name: deps.name,
    kind: 'telegram',
    async send({ event, tags }, signal) {
      const values = templateValues({ event, tags, agentId: deps.agentId });
      const sent = result<Message>(
        await call(method('sendMessage'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ chat_id: o.chatId, text: render(o.text, values).slice(0, 4096), link_preview_options: { is_disabled: true } }),
          timeoutMs: o.timeoutMs,
          ...(signal ? { signal } : {}),
        }),
      );
      if (values.number && sent?.chat) deps.links?.put(deps.name, `${sent.chat.id}:${sent.message_id}`, { number: values.number, ...(values.modem ? { modem: values.modem } : {}) });
    },
    start() {
      if (o.replies && deps.onReply && !loop) loop = poll();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
