// The chat channels against loopback servers of their APIs: Telegram's sendMessage and getUpdates,
// ntfy's publish, Matrix's m.room.message, and a generic HTTP endpoint.
import t from 'tap';
import * as v from 'valibot';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';
import type { ChannelReply } from '../../plugins/channels/channel.ts';
import { httpChannel, httpOptions } from '../../plugins/channels/http.ts';
import { storeLinks } from '../../plugins/channels/links.ts';
import { matrixChannel, matrixOptions } from '../../plugins/channels/matrix.ts';
import { ntfyChannel, ntfyOptions } from '../../plugins/channels/ntfy.ts';
import { telegramChannel, telegramOptions } from '../../plugins/channels/telegram.ts';
import { received } from './events.ts';
import { loopback, type Answer } from './loopback.ts';

const TOKEN = '123456:ABC-test-token';

t.test('ntfy: the text to the topic URL, title and tags as headers, the token as Bearer', async (t) => {
  const server = await loopback(() => ({ json: { id: 'x', event: 'message' } }));
  t.teardown(() => server.close());
  const channel = ntfyChannel(v.parse(ntfyOptions, { url: `${server.url}/my-sms`, tokenEnv: 'NTFY_TOKEN', priority: 4, tags: ['envelope'] }), {
    name: 'push',
    clock: new ManualClock(),
    log: silentLogger(),
    env: { NTFY_TOKEN: 'tk_secret' },
  });
  await channel.send({ event: received({ from: '+4917012345678', text: 'Grüße, code 4711' }) });
  await channel.send({ event: received({ from: 'Bäckerei', text: 'ok' }) });
  const [req, second] = server.requests;
  t.equal(req!.method, 'POST');
  t.equal(req!.path, '/my-sms');
  t.equal(req!.body, 'Grüße, code 4711');
  t.equal(req!.headers.title, 'SMS from +4917012345678');
  t.equal(req!.headers.priority, '4');
  t.equal(req!.headers.tags, 'envelope');
  t.equal(req!.headers.authorization, 'Bearer tk_secret');
  t.equal(second!.headers.title, `=?UTF-8?B?${Buffer.from('SMS from Bäckerei').toString('base64')}?=`, 'a non-ASCII title is an encoded word');
});

t.test('ntfy: a 5xx is retryable, a 403 is not', async (t) => {
  let status = 500;
  const server = await loopback(() => ({ status, json: { error: 'x' } }));
  t.teardown(() => server.close());
  const channel = ntfyChannel(v.parse(ntfyOptions, { url: `${server.url}/t` }), { name: 'push', clock: new ManualClock(), log: silentLogger() });
  await t.rejects(channel.send({ event: received() }), { code: 'http_status', retryable: true, status: 500 });
  status = 403;
  await t.rejects(channel.send({ event: received() }), { code: 'http_status', retryable: false, status: 403 });
});

t.test('matrix: PUT m.room.message with the event as transaction id, so a retry is the same transaction', async (t) => {
  const server = await loopback((req) => ({ json: { event_id: `$${req.path.split('/').pop()}` } }));
  t.teardown(() => server.close());
  const channel = matrixChannel(v.parse(matrixOptions, { homeserver: `${server.url}/`, roomId: '!room:example.org', accessTokenEnv: 'MX', msgtype: 'm.notice' }), {
    name: 'room',
    clock: new ManualClock(),
    log: silentLogger(),
    env: { MX: 'syt_token' },
  });
  const event = received({ from: '+15550100100', text: 'hello matrix' });
  await channel.send({ event });
  await channel.send({ event });
  const [a, b] = server.requests;
  t.equal(a!.method, 'PUT');
  t.equal(a!.path, `/_matrix/client/v3/rooms/${encodeURIComponent('!room:example.org')}/send/m.room.message/smsedge-room-${event.id}`);
  t.equal(b!.path, a!.path, 'same txnId on a resend');
  t.equal(a!.headers.authorization, 'Bearer syt_token');
  t.same(a!.json(), { msgtype: 'm.notice', body: 'SMS from +15550100100: hello matrix' });
  t.throws(() => matrixChannel(v.parse(matrixOptions, { homeserver: server.url, roomId: '!r:x', accessTokenEnv: 'UNSET_MX' }), { name: 'room', clock: new ManualClock(), log: silentLogger(), env: {} }), {
    name: 'ConfigError',
    message: /channels\.room\.matrix\.accessTokenEnv/,
  });
  t.notOk(v.safeParse(matrixOptions, { homeserver: server.url, roomId: '#alias:x', accessTokenEnv: 'MX' }).success, 'an alias is not a room id');
});

t.test('http: method, URL and body templates (URL- and JSON-escaped), headers from config and env', async (t) => {
  const server = await loopback(() => ({ status: 204 }));
  t.teardown(() => server.close());
  const channel = httpChannel(
    v.parse(httpOptions, {
      url: `${server.url}/hook?from={from}`,
      method: 'PUT',
      headers: { 'X-Source': 'smsedge' },
      headersEnv: { Authorization: 'HOOK_AUTH' },
      body: '{"msg":"{text}","who":"{from}"}',
    }),
    { name: 'hook', clock: new ManualClock(), log: silentLogger(), env: { HOOK_AUTH: 'Basic abc' } },
  );
  const event = received({ from: '+49 170 123', text: 'quote " and \\ and\nnewline & more' });
  await channel.send({ event });
  const req = server.requests[0]!;
  t.equal(req.method, 'PUT');
  t.equal(req.path, '/hook?from=%2B49%20170%20123');
  t.same(req.json(), { msg: 'quote " and \\ and\nnewline & more', who: '+49 170 123' });
  t.equal(req.headers['x-source'], 'smsedge');
  t.equal(req.headers.authorization, 'Basic abc');
  t.equal(req.headers['idempotency-key'], event.id);
  t.equal(req.headers['content-type'], 'application/json');

  const get = httpChannel(v.parse(httpOptions, { url: `${server.url}/get?t={text}`, method: 'GET' }), { name: 'g', clock: new ManualClock(), log: silentLogger() });
  await get.send({ event: received({ text: 'a b' }) });
  t.equal(server.requests[1]!.path, '/get?t=a%20b');
  t.equal(server.requests[1]!.body, '');
  const form = httpChannel(v.parse(httpOptions, { url: `${server.url}/form`, contentType: 'text/plain', body: '{from}: {text}' }), { name: 'f', clock: new ManualClock(), log: silentLogger() });
  await form.send({ event: received({ from: '+1555', text: 'x "y"' }) });
  t.equal(server.requests[2]!.body, '+1555: x "y"', 'not JSON: values as they are');
  t.notOk(v.safeParse(httpOptions, { url: 'ftp://x/{from}' }).success);
  t.notOk(v.safeParse(httpOptions, { url: 'https://x/', headers: { 'X-A': 'a\r\nB: c' } }).success, 'no header injection');
});

t.test('http: an endpoint that does not answer in time, or is not there, is retryable', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const server = await loopback((): Answer => ({ hold: held, status: 200 }));
  t.teardown(async () => {
    release();
    await server.close();
  });
  const slow = httpChannel(v.parse(httpOptions, { url: `${server.url}/slow`, timeoutMs: 200 }), { name: 's', clock: new ManualClock(), log: silentLogger() });
  await t.rejects(slow.send({ event: received() }), { code: 'timeout', retryable: true });
  const gone = httpChannel(v.parse(httpOptions, { url: 'http://127.0.0.1:1/none' }), { name: 'n', clock: new ManualClock(), log: silentLogger() });
  await t.rejects(gone.send({ event: received() }), { code: 'unreachable', retryable: true });
});

/** A Bot API test server: sendMessage numbers messages; getUpdates hands out queued updates, or holds (long poll) until some arrive or the test ends. */
async function botApi() {
  const updates: unknown[] = [];
  let nextMessage = 100;
  let wake: (() => void) | undefined;
  const offsets: (number | undefined)[] = [];
  let failNext = 0;
  const server = await loopback(async (req): Promise<Answer> => {
    if (!req.path.startsWith(`/bot${TOKEN}/`)) return { status: 404, json: { ok: false, description: 'Not Found' } };
    const method = req.path.split('/').pop();
    const body = req.json();
    if (method === 'sendMessage') return { json: { ok: true, result: { message_id: nextMessage++, chat: { id: Number(body.chat_id) }, text: body.text } } };
    if (method === 'getUpdates') {
      offsets.push(body.offset);
      if (failNext > 0) {
        failNext--;
        return { status: 502, text: 'bad gateway' };
      }
      const pending = () => updates.filter((u) => (u as { update_id: number }).update_id >= (body.offset ?? 0));
      if (pending().length === 0) await new Promise<void>((r) => (wake = r));
      return { json: { ok: true, result: pending() } };
    }
    return { status: 404, json: { ok: false } };
  });
  return {
    server,
    offsets,
    failNext: (n: number) => (failNext = n),
    push(update: unknown) {
      updates.push(update);
      wake?.();
    },
    release: () => wake?.(),
  };
}

t.test('telegram: a forwarded SMS is posted; an answer to it in an allowed chat becomes a reply to its sender', async (t) => {
  const api = await botApi();
  const store = openStore({ path: join(t.testdir(), 'links.db') });
  const clock = new ManualClock();
  const links = storeLinks(store, () => clock.now());
  const replies: ChannelReply[] = [];
  let replied!: () => void;
  const gotReply = new Promise<void>((r) => (replied = r));
  const channel = telegramChannel(v.parse(telegramOptions, { botTokenEnv: 'TG', chatId: 42, allowedChatIds: [42, '@family'], apiUrl: api.server.url, pollSeconds: 30 }), {
    name: 'chat',
    clock,
    log: silentLogger(),
    env: { TG: TOKEN },
    links,
    onReply: async (reply) => {
      replies.push(reply);
      replied();
    },
  });
  t.teardown(async () => {
    api.release();
    await channel.stop?.();
    await api.server.close();
    store.close();
  });
  await channel.send({ event: received({ from: '+4917012345678', text: 'are you there?', modem: 'sim1' }) });
  const sent = api.server.requests[0]!;
  t.equal(sent.path, `/bot${TOKEN}/sendMessage`);
  t.match(sent.json(), { chat_id: 42, text: 'SMS from +4917012345678 (sim1):\nare you there?' });
  t.same(links.get('chat', '42:100'), { number: '+4917012345678', modem: 'sim1' }, 'the posted message is linked to its sender');

  await channel.start?.();
  // Not an answer, a stranger's chat, an answer to an unknown message, then the real answer.
  api.push({ update_id: 7, message: { message_id: 1, chat: { id: 42 }, text: 'just chatting' } });
  api.push({ update_id: 8, message: { message_id: 2, chat: { id: 666 }, text: 'let me in', reply_to_message: { message_id: 100 } } });
  api.push({ update_id: 9, message: { message_id: 3, chat: { id: 42 }, text: 'who?', reply_to_message: { message_id: 55 } } });
  api.push({ update_id: 10, message: { message_id: 4, chat: { id: 42 }, text: 'Yes, on my way', reply_to_message: { message_id: 100 } } });
  await gotReply;
  t.same(replies, [{ channel: 'chat', to: '+4917012345678', text: 'Yes, on my way', id: 'telegram:42:4', modem: 'sim1' }]);
  // The offset is kept durably, past the handled updates.
  for (let i = 0; i < 200 && links.getCursor('chat') !== 11; i++) await new Promise((r) => setImmediate(r));
  t.equal(links.getCursor('chat'), 11);
});

t.test('telegram: getUpdates failures back off on the injected clock; a failing hand-over is offered again', async (t) => {
  const api = await botApi();
  const store = openStore({ path: join(t.testdir(), 'links.db') });
  const clock = new ManualClock();
  const links = storeLinks(store, () => clock.now());
  links.put('chat', '42:100', { number: '+15550100100' });
  const attempts: string[] = [];
  let handed!: () => void;
  const done = new Promise<void>((r) => (handed = r));
  const channel = telegramChannel(v.parse(telegramOptions, { botTokenEnv: 'TG', chatId: 42, apiUrl: api.server.url }), {
    name: 'chat',
    clock,
    log: silentLogger(),
    env: { TG: TOKEN },
    links,
    onReply: async (reply) => {
      attempts.push(reply.id);
      if (attempts.length === 1) throw new Error('no modem yet');
      handed();
    },
  });
  t.teardown(async () => {
    api.release();
    await channel.stop?.();
    await api.server.close();
    store.close();
  });
  api.failNext(1);
  api.push({ update_id: 20, message: { message_id: 9, chat: { id: 42 }, text: 'answer', reply_to_message: { message_id: 100 } } });
  await channel.start?.();
  await api.server.count(1);
  // The 502 puts the loop to sleep on the manual clock: nothing more until time moves.
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  t.equal(api.offsets.length, 1, 'waiting on the clock, not polling in a tight loop');
  for (let i = 0; i < 20 && attempts.length < 2; i++) {
    await clock.advance(60_000);
    for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
  }
  await done;
  t.same(attempts, ['telegram:42:9', 'telegram:42:9'], 'offered again after the failed hand-over');
  t.same(api.offsets.slice(0, 3), [undefined, undefined, undefined], 'the offset did not move past the unhanded update');
  for (let i = 0; i < 200 && links.getCursor('chat') !== 21; i++) await new Promise((r) => setImmediate(r));
  t.equal(links.getCursor('chat'), 21, 'and moved once it was handed over');
});
