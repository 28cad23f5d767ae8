import * as v from 'valibot';
import { baseUrl, envName, template, timeoutMs, type Channel, type ChannelDeps } from './channel.ts';
import { call } from './request.ts';
import { secretFromEnv } from './secret.ts';
import { render, templateValues } from './template.ts';

/** `{ ntfy: {...} }`: publish to a topic (ntfy.sh or a self-hosted server). */
export const ntfyOptions = v.strictObject({
  /** The topic's URL: `https://ntfy.sh/my-sms`, or a self-hosted server's. */
  url: baseUrl,
  /** Environment variable with an access token (`tk_...`), sent as a Bearer token. */
  tokenEnv: v.optional(envName),
  title: v.optional(template, 'SMS from {number}'),
  message: v.optional(template, '{text}'),
  /** 1 (min) to 5 (max); default 3. */
  priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5))),
  /** ntfy tags (emoji short codes shown beside the title). */
  tags: v.optional(v.array(v.pipe(v.string(), v.regex(/^[^,\r\n]+$/, 'has a comma or a line break')))),
  timeoutMs,
});

export type NtfyOptions = v.InferOutput<typeof ntfyOptions>;

/** Header values must be Latin-1: ntfy decodes RFC 2047 encoded words in its headers. */
function headerValue(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** ntfy: one POST of the message text to the topic URL, the title and tags as headers. */
export function ntfyChannel(o: NtfyOptions, deps: ChannelDeps): Channel {
  const token = o.tokenEnv === undefined ? undefined : secretFromEnv(deps.env ?? process.env, o.tokenEnv, `channels.${deps.name}.ntfy.tokenEnv`);
  return {
    name: deps.name,
    kind: 'ntfy',
    async send({ event, tags }, signal) {
      const values = templateValues({ event, tags, agentId: deps.agentId });
      await call(o.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          Title: headerValue(render(o.title, values)),
          ...(o.priority ? { Priority: String(o.priority) } : {}),
          ...(o.tags?.length ? { Tags: o.tags.join(',') } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: render(o.message, values),
        timeoutMs: o.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
