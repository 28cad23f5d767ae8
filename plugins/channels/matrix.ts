import * as v from 'valibot';
import { baseUrl, envName, template, timeoutMs, type Channel, type ChannelDeps } from './channel.ts';
import { call, join } from './request.ts';
import { secretFromEnv } from './secret.ts';
import { render, templateValues } from './template.ts';

/** `{ matrix: {...} }`: a message in a room through the client-server API. */
export const matrixOptions = v.strictObject({
  /** The homeserver's base URL: `https://matrix.example.org`. */
  homeserver: baseUrl,
  /** `!abc:example.org` (the room id, not an alias); the bot's user must have joined it. */
  roomId: v.pipe(v.string(), v.regex(/^!.+:.+$/, 'is not a room id (!id:server)')),
  /** Environment variable with the bot user's access token. */
  accessTokenEnv: envName,
  body: v.optional(template, 'SMS from {from}: {text}'),
  /** `m.notice` marks the messages as a bot's (clients notify less, bots do not answer). */
  msgtype: v.optional(v.picklist(['m.text', 'm.notice']), 'm.text'),
  timeoutMs,
});

export type MatrixOptions = v.InferOutput<typeof matrixOptions>;

/**
 * Matrix: `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`. The transaction id is
 * the event's id and the channel's name, so a retried send is the same transaction and the
 * homeserver posts it once.
 */
export function matrixChannel(o: MatrixOptions, deps: ChannelDeps): Channel {
  const token = secretFromEnv(deps.env ?? process.env, o.accessTokenEnv, `channels.${deps.name}.matrix.accessTokenEnv`);
  return {
    name: deps.name,
    kind: 'matrix',
    async send({ event, tags }, signal) {
      const values = templateValues({ event, tags, agentId: deps.agentId });
      const txnId = encodeURIComponent(`smsedge-${deps.name}-${event.id}`);
      await call(join(o.homeserver, `/_matrix/client/v3/rooms/${encodeURIComponent(o.roomId)}/send/m.room.message/${txnId}`), {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ msgtype: o.msgtype, body: render(o.body, values) }),
        timeoutMs: o.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
