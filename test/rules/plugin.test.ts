// The rules plugin in a real agent: the modem plugin on the simulator, the API, a real SMTP server
// (smtp-server) for SMS → e-mail, a loopback Telegram Bot API whose answers become SMS, blocking
// seen by a file sink through notBlockedBy, and the results on GET /sms/messages/:id.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { SmsReceived, SmsSent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import type { SimulatorControl } from '../../plugins/api/routes/simulator.ts';
import { file } from '../../plugins/file/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { notBlockedBy, rules, type RulesInput } from '../../plugins/rules/index.ts';
import { KEY, KEY_ENV } from '../api/fixtures/agent.ts';
import { loopback, type Answer } from '../channels/loopback.ts';
import { startMailServer } from '../channels/mailserver.ts';
import { watchJournal } from '../fixtures/events.ts';
import { waitFor as until } from '../file/wait.ts';

const TOKEN = '999:rules-test-token';
process.env.RULES_TEST_SMTP_PASSWORD = 'mail-pass-123';
process.env.RULES_TEST_TG_TOKEN = TOKEN;

t.test('forward to e-mail and Telegram, auto-reply, block; the results on the message; Telegram answers become SMS', async (t) => {
  const mail = await startMailServer({ users: { gw: 'mail-pass-123' } });
  t.teardown(() => mail.close());
  let wake: (() => void) | undefined;
  const updates: unknown[] = [];
  let nextId = 500;
  const bot = await loopback(async (req): Promise<Answer> => {
    const body = req.json();
    if (req.path === `/bot${TOKEN}/sendMessage`) return { json: { ok: true, result: { message_id: nextId++, chat: { id: Number(body.chat_id) }, text: body.text } } };
    if (req.path === `/bot${TOKEN}/getUpdates`) {
      const pending = () => updates.filter((u) => (u as { update_id: number }).update_id >= (body.offset ?? 0));
      if (pending().length === 0) await new Promise<void>((r) => (wake = r));
      return { json: { ok: true, result: pending() } };
    }
    return { status: 404, json: { ok: false } };
  });
  t.teardown(async () => {
    wake?.();
    await bot.close();
  });

  const config = {
    channels: {
      mail: { email: { host: 'localhost', port: mail.port, user: 'gw', passwordEnv: 'RULES_TEST_SMTP_PASSWORD', from: 'sms@gw.example', to: 'me@example.com', tls: { caFile: mail.caFile } } },
      chat: { telegram: { botTokenEnv: 'RULES_TEST_TG_TOKEN', chatId: 4242, apiUrl: bot.url } },
    },
    rules: [
      { name: 'drop spam', when: { from: { prefix: '+4990' } }, then: [{ tag: 'spam' }, 'block'] },
      { name: 'everything', then: [{ forward: ['mail', 'chat'] }] },
      { name: 'hours', when: { text: { keywords: ['hours'] } }, then: [{ reply: 'We are open 9-17. ({from})' }] },
    ],
  } satisfies RulesInput;
  const dataDir = t.testdir();
  const agent = createAgent(
    resolveConfig({
      agentId: 'rules-e2e',
      dataDir,
      plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: KEY_ENV }), rules(config), file({ path: 'events.jsonl', types: ['sms.received'], filter: notBlockedBy(config) })],
    }),
    { log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  const { waitFor } = watchJournal(agent.journal);
  await waitFor('modem.online');
  const simulator = (agent.use as (name: string) => unknown)('simulator') as SimulatorControl;
  const base = agent.use('api').urls()[0]!;
  const get = async (path: string) => (await fetch(base + path, { headers: { authorization: `Bearer ${KEY}` } })).json() as Promise<any>;

  await simulator.receiveSms({ from: '+15550100199', text: 'What are your opening hours?' });
  const inbound = (await waitFor('sms.received', (e) => (e.data as SmsReceived).from === '+15550100199')).data as SmsReceived;
  // E-mail, over STARTTLS with AUTH.
  const mailed = await mail.nth(1);
  t.equal(mailed.user, 'gw');
  t.equal(mailed.header('Subject'), 'SMS from +15550100199');
  t.match(mailed.body, 'What are your opening hours?');
  // Telegram.
  await bot.count(1);
  const posted = bot.requests.find((r) => r.path.endsWith('/sendMessage'))!;
  t.match(posted.json(), { chat_id: 4242, text: /\+15550100199[\s\S]*What are your opening hours\?/ });
  // The auto-reply goes out through the modem.
  const reply = (await waitFor('sms.sent', (e) => (e.data as SmsSent).clientRef === 'rule:hours')).data as SmsSent;
  t.equal(reply.to, '+15550100199');

  // The results, on the message in the API.
  const message = await until(async () => {
    const m = await get(`/sms/messages/${inbound.messageId}`);
    return m.rules?.results?.[0]?.actions?.every((a: { status: string }) => a.status !== 'pending') ? m : undefined;
  }, 'the rules to finish');
  t.match(message.rules, {
    blocked: false,
    tags: [],
    results: [
      {
        eventType: 'sms.received',
        matched: ['everything', 'hours'],
        actions: [
          { rule: 'everything', action: 'forward', target: 'mail', status: 'done', attempts: 1 },
          { rule: 'everything', action: 'forward', target: 'chat', status: 'done', attempts: 1 },
          { rule: 'hours', action: 'reply', status: 'done', messageId: reply.messageId },
        ],
      },
    ],
  });

  // Answering the forwarded message in the chat sends the answer to the SMS's sender.
  const forwardedId = nextId - 1;
  updates.push({ update_id: 1, message: { message_id: 77, chat: { id: 4242 }, text: 'Call me at 5', reply_to_message: { message_id: forwardedId } } });
  wake?.();
  const answer = (await waitFor('sms.sent', (e) => (e.data as SmsSent).clientRef === 'chat')).data as SmsSent;
  t.equal(answer.to, '+15550100199');

  // A blocked sender: nothing forwarded, marked blocked, left out of the file sink.
  await simulator.receiveSms({ from: '+499001234567', text: 'You won a prize' });
  const spam = (await waitFor('sms.received', (e) => (e.data as SmsReceived).from === '+499001234567')).data as SmsReceived;
  const blocked = await until(async () => (await get(`/sms/messages/${spam.messageId}`)).rules, 'the spam verdict');
  t.match(blocked, { blocked: true, tags: ['spam'], results: [{ matched: ['drop spam'], actions: [] }] });
  await until(() => agent.journal.lags().file === 0, 'the file sink to catch up');
  const lines = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n');
  t.equal(lines.length, 1, 'only the message that was not blocked');
  t.match(lines[0], '+15550100199');
  t.equal(mail.mails.length, 1, 'the spam was not mailed');
  t.ok(existsSync(join(dataDir, 'events.jsonl')));

  // Health says what the rules did.
  const health = await get('/health');
  t.match(health.plugins.rules, { status: 'pass', rules: 3, channels: ['mail', 'chat'], matched: 2, blocked: 1 });
});

t.test('config errors name the key', async (t) => {
  const build = (input: RulesInput) => createAgent(resolveConfig({ agentId: 'x', dataDir: t.testdir(), plugins: [rules(input)] }), { log: silentLogger() }).start();
  await t.rejects(build({ rules: [{ name: 'a', then: [{ forward: 'nowhere' }] }] }), { message: /rules\[0\]\.then\[0\]\.forward: no channel "nowhere" in channels/ });
  await t.rejects(build({ rules: [{ name: 'a', then: ['stop'] }, { name: 'a', then: ['stop'] }] }), { message: /rules\[1\]\.name: "a" is used by another rule/ });
  await t.rejects(build({ channels: { m: { email: { host: 'h', from: 'a@b.c', to: 'a@b.c', user: 'u', passwordEnv: 'RULES_TEST_UNSET' } } }, rules: [] }), { message: /channels\.m\.email\.passwordEnv: the environment variable RULES_TEST_UNSET is not set/ });
  t.throws(() => resolveConfig({ agentId: 'x', dataDir: t.testdir(), plugins: [rules({ channels: { m: { email: { host: 'h', from: 'a@b.c', to: 'a@b.c' }, ntfy: { url: 'https://x/y' } } }, rules: [] } as never)] }), /exactly one of/);
});
