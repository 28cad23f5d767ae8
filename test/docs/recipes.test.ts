// The recipes in docs/recipes.md, run as written: each ```ts recipe=<name> block is evaluated with
// the real plugin factories, and the agent it configures runs on the simulator. Only where the
// servers are changes: the SMTP host becomes a real smtp-server on loopback, Telegram's API a
// loopback Bot API. Rules, templates and filters stay the recipe's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { SmsReceived, SmsSent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import type { ConfiguredPlugin } from '../../core/plugin.ts';
import { api } from '../../plugins/api/index.ts';
import type { SimulatorControl } from '../../plugins/api/routes/simulator.ts';
import { file } from '../../plugins/file/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { notBlockedBy, rules } from '../../plugins/rules/index.ts';
import { KEY, KEY_ENV } from '../api/fixtures/agent.ts';
import { loopback, type Answer } from '../channels/loopback.ts';
import { startMailServer } from '../channels/mailserver.ts';
import { watchJournal } from '../fixtures/events.ts';
import { waitFor as until } from '../file/wait.ts';
import { read } from './markdown.ts';

/** The code of each ```ts recipe=<name> block. */
export function recipes(markdown: string): Map<string, string> {
  return new Map([...markdown.matchAll(/^```ts recipe=([a-z-]+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Runs a recipe's code with the real factories; returns its `plugins`. */
function load(code: string): ConfiguredPlugin[] {
  return new Function('rules', 'file', 'notBlockedBy', `${code}\nreturn plugins;`)(rules, file, notBlockedBy) as ConfiguredPlugin[];
}

type Channels = Record<string, { email?: Record<string, unknown>; telegram?: Record<string, unknown> }>;

/** Points the recipe's channels at the test's servers (and nothing else). */
function relocate(plugins: ConfiguredPlugin[], where: { smtp?: { port: number; caFile: string }; telegram?: string }): ConfiguredPlugin[] {
  for (const p of plugins) {
    const channels = (p.options as { channels?: Channels }).channels ?? {};
    for (const c of Object.values(channels)) {
      if (c.email && where.smtp) Object.assign(c.email, { host: 'localhost', port: where.smtp.port, tls: { caFile: where.smtp.caFile } });
      if (c.telegram && where.telegram) Object.assign(c.telegram, { apiUrl: where.telegram });
    }
  }
  return plugins;
}

async function run(t: Test, plugins: ConfiguredPlugin[]) {
  const dataDir = t.testdir();
  const agent: Agent = createAgent(resolveConfig({ agentId: 'recipe', dataDir, plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: KEY_ENV }), ...plugins] }), { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const journal = watchJournal(agent.journal);
  await journal.waitFor('modem.online');
  const simulator = (agent.use as (name: string) => unknown)('simulator') as SimulatorControl;
  const base = agent.use('api').urls()[0]!;
  const call = async (path: string, method = 'GET') => fetch(base + path, { method, headers: { authorization: `Bearer ${KEY}` } });
  const receive = async (from: string, text: string) => {
    await simulator.receiveSms({ from, text });
    return (await journal.waitFor('sms.received', (e) => (e.data as SmsReceived).from === from && (e.data as SmsReceived).text === text)).data as SmsReceived;
  };
  const settled = (id: string) =>
    until(async () => {
      const m = (await (await call(`/sms/messages/${id}`)).json()) as { rules?: { results: { actions: { status: string }[] }[] } };
      return m.rules && m.rules.results.every((r) => r.actions.every((a) => a.status !== 'pending')) ? m.rules : undefined;
    }, 'the rules to settle');
  return { agent, dataDir, journal, receive, call, settled };
}

const docs = recipes(read('docs/recipes.md'));

t.test('docs/recipes.md has the four rules recipes', async (t) => {
  t.same([...docs.keys()].sort(), ['forward-to-email', 'spam', 'stop', 'telegram']);
});

t.test('recipe: forward every SMS to e-mail', async (t) => {
  process.env.SMTP_PASSWORD = 'recipe-pass';
  t.teardown(() => void delete process.env.SMTP_PASSWORD);
  const mail = await startMailServer({ users: { 'sms@example.com': 'recipe-pass' } });
  t.teardown(() => mail.close());
  const { receive } = await run(t, relocate(load(docs.get('forward-to-email')!), { smtp: mail }));
  await receive('+4917012345678', 'Your parcel arrives today');
  await receive('+4917012345678', 'It is at the door');
  // The rules handle up to `concurrency` (4) events at once: the two mails may arrive in either order.
  const [a, b] = [await mail.nth(1), await mail.nth(2)].sort((x, y) => Number(y.body.includes('Your parcel arrives today')) - Number(x.body.includes('Your parcel arrives today')));
  t.equal(a.user, 'sms@example.com');
  t.same(a.to, ['me@example.com']);
  t.equal(a.header('From'), 'SMS gateway <sms@example.com>');
  t.equal(a.header('Subject'), 'SMS from +4917012345678');
  t.match(a.body, 'Your parcel arrives today');
  t.equal(a.header('In-Reply-To'), b.header('In-Reply-To'), 'one thread for the number');
});

t.test('recipe: Telegram with replies', async (t) => {
  process.env.TELEGRAM_BOT_TOKEN = '4242:recipe-token';
  t.teardown(() => void delete process.env.TELEGRAM_BOT_TOKEN);
  const updates: unknown[] = [];
  let wake: (() => void) | undefined;
  const bot = await loopback(async (req): Promise<Answer> => {
    const body = req.json();
    if (req.path === '/bot4242:recipe-token/sendMessage') return { json: { ok: true, result: { message_id: 31, chat: { id: body.chat_id }, text: body.text } } };
    if (req.path === '/bot4242:recipe-token/getUpdates') {
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
  const { receive, journal } = await run(t, relocate(load(docs.get('telegram')!), { telegram: bot.url }));
  await receive('+4917099999999', 'Are we still meeting?');
  await until(() => bot.requests.some((r) => r.path.endsWith('/sendMessage')), 'the post');
  t.match(bot.requests.find((r) => r.path.endsWith('/sendMessage'))!.json(), { chat_id: 123456789, text: /\+4917099999999[\s\S]*Are we still meeting\?/ });
  updates.push({ update_id: 5, message: { message_id: 32, chat: { id: 123456789 }, text: 'Yes, 7 pm', reply_to_message: { message_id: 31 } } });
  wake?.();
  const sent = (await journal.waitFor('sms.sent', (e) => (e.data as SmsSent).to === '+4917099999999')).data as SmsSent;
  t.equal(sent.clientRef, 'chat');
});

t.test('recipe: answer STOP and keep an opt-out list', async (t) => {
  const { receive, journal, call, settled } = await run(t, load(docs.get('stop')!));
  const stop = await receive('+4917011111111', 'Stop');
  const confirm = (await journal.waitFor('sms.sent', (e) => (e.data as SmsSent).clientRef === 'rule:opt out')).data as SmsSent;
  t.equal(confirm.to, '+4917011111111');
  await settled(stop.messageId);
  const list = (await (await call('/rules/opt-outs')).json()) as { data: { number: string; rule: string }[] };
  t.match(list.data, [{ number: '+4917011111111', rule: 'opt out' }]);
  // A short code saying STOP gets nothing back; "please stop calling" is not the keyword alone.
  const short = await receive('72975', 'STOP');
  t.match(await settled(short.messageId), { results: [{ actions: [{ action: 'optOut', status: 'done' }, { action: 'reply', status: 'skipped', reason: 'not_replyable' }] }] });
  const chat = await receive('+4917011111111', 'please stop calling');
  t.notOk(((await (await call(`/sms/messages/${chat.messageId}`)).json()) as { rules?: unknown }).rules, 'no rule matched');
  const start = await receive('+4917011111111', 'START');
  const back = await settled(start.messageId);
  // Within the 10-minute cooldown of the first answer: START is honoured, the answer held back.
  t.match(back, { results: [{ actions: [{ action: 'optIn', status: 'done' }, { action: 'reply', status: 'skipped', reason: 'cooldown' }] }] });
  const after = (await (await call('/rules/opt-outs')).json()) as { data: unknown[] };
  t.same(after.data.filter((d) => (d as { number: string }).number === '+4917011111111'), []);
});

t.test('recipe: drop a spam sender', async (t) => {
  const { receive, dataDir, agent, settled } = await run(t, load(docs.get('spam')!));
  const spam = [await receive('+4915112345678', 'Cheap loans'), await receive('WinBig', 'You won'), await receive('+499001234567', 'Call now')];
  const friend = await receive('+4917022222222', 'Dinner at 8?');
  for (const m of spam) t.match(await settled(m.messageId), { blocked: true, tags: ['spam'] });
  await until(() => agent.journal.lags()['file'] === 0, 'the file sink');
  const lines = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { data: SmsReceived });
  t.same(lines.map((l) => l.data.messageId), [friend.messageId], 'only the message that was not spam');
});
