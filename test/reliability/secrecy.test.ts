// Secrecy: a whole scenario in a child agent at the most verbose log level, with a known API key,
// webhook secrets, SIM PIN, SMS texts and phone numbers (inbound and outbound, a failing receiver, a
// receiver URL with credentials and a token in it, an extra header carrying a receiver's token). Afterwards none of them may appear in what the
// agent logged, in the webhook delivery log, in /health or in /metrics; the PIN not in the AT trace.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { missing, prepareAgent, spawnAgent, waitOnline } from '../bench/agent.ts';
import { postJson } from '../bench/http.ts';
import { httpGet, until } from '../bench/proc.ts';
import { startReceiver } from '../bench/receiver.ts';

const absent = await missing('modem', 'api', 'webhook');

const API_KEY = 'sk_live_Qx7TqZpR4mW9vN2bK8sL';
const WEBHOOK_SECRET = `whsec_${Buffer.from('secrecy-test-subscription-key-32').toString('base64')}`;
const DEFAULT_SECRET = 'default-webhook-secret-Hq93Lm0x';
const SIM_PIN = '7351';
const URL_PASSWORD = 'urlpassw0rdZk3';
const URL_TOKEN = 'tok_9f8e7d6c5b4a';
const HEADER_TOKEN = 'hdr_5c4b3a29z8y7';
const INBOUND_TEXT = 'Sesame quartz 4471 never log me';
const OUTBOUND_TEXT = 'Outbound zebra 8812 keep quiet';
const SENDER = '+15557654321';
const RECIPIENT = '+15559876543';

/** Every form in which a secret could leak: as given, and numbers also without their +. */
const forbidden: [string, RegExp][] = [
  ['API key', /sk_live_Qx7TqZpR4mW9vN2bK8sL/],
  ['webhook secret', new RegExp(WEBHOOK_SECRET.replace(/[+/=]/g, (c) => `\\${c}`))],
  ['webhook secret (key bytes in base64)', new RegExp(WEBHOOK_SECRET.slice(6).replace(/[+/=]/g, (c) => `\\${c}`))],
  ['default webhook secret', /default-webhook-secret-Hq93Lm0x/],
  ['SIM PIN', /(?<![\dA-Za-z])7351(?![\dA-Za-z])/],
  ['password in a URL', /urlpassw0rdZk3/],
  ['token in a URL', /tok_9f8e7d6c5b4a/],
  ['token in an extra header', /hdr_5c4b3a29z8y7/],
  ['inbound SMS text', /Sesame quartz|never log me/],
  ['outbound SMS text', /Outbound zebra|keep quiet/],
  ['sender number', /\+?15557654321|5557654321/],
  ['recipient number', /\+?15559876543|5559876543/],
];

const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`);

function leaks(where: string, text: string, extra: [string, RegExp][] = []): string[] {
  return [...forbidden, ...extra]
    .filter(([, re]) => re.test(text))
    .map(([what, re]) => `${what} in ${where}: …${text.slice(Math.max(0, text.search(re) - 80), text.search(re) + 80)}…`);
}

for (const variant of ['default secret from the environment', 'default secret generated into the data dir'] as const) {
  t.test(`no secret, SMS text or full phone number in logs, delivery log, /health or /metrics (${variant})`, { skip: absent ?? false, timeout: 60_000 }, async (t) => {
    const fromEnv = variant === 'default secret from the environment';
    const failing = await startReceiver();
    const healthy = await startReceiver();
    failing.answer(() => 500);
    t.teardown(() => Promise.all([failing.close(), healthy.close()]));
    const a = await prepareAgent({
      logLevel: 'trace',
      env: { SMSEDGE_API_KEY: API_KEY, SMSEDGE_SIM_PIN: SIM_PIN, SMSEDGE_WEBHOOK_SECRET: fromEnv ? DEFAULT_SECRET : '' },
      plugins: [
        { name: 'modem', options: { simulator: { pin: SIM_PIN }, trace: 'at.trace' } },
        { name: 'api' },
        { name: 'webhook', options: { retry: { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 2 } } },
      ],
    });
    a.apiKey = API_KEY;
    t.teardown(() => a.remove());
    const agent = spawnAgent(a);
    t.teardown(() => agent.stop());
    await waitOnline(a, agent);
    const auth = { authorization: `Bearer ${API_KEY}` };

    const sub = async (url: string, secret?: string, headers?: Record<string, string>) => {
      const r = await postJson(`${a.origin}/webhooks`, { url, format: 'standard', ...(secret ? { secret } : {}), ...(headers ? { headers } : {}) }, auth);
      t.equal(r.status, 201, `subscription to ${new URL(url).port} created`);
    };
    await sub(`http://user:${URL_PASSWORD}@127.0.0.1:${new URL(healthy.url).port}/hook?token=${URL_TOKEN}`, WEBHOOK_SECRET, { 'X-Receiver-Token': HEADER_TOKEN });
    await sub(failing.url, WEBHOOK_SECRET);
    t.equal((await postJson(`${a.origin}/sms/subscribe`, { url: healthy.url }, auth)).status, 201, 'callstack subscription signed with the default secret');

    t.equal((await postJson(`${a.origin}/simulator/sms`, { from: SENDER, text: INBOUND_TEXT }, auth)).status < 300, true, 'SMS injected');
    const sent = await postJson(`${a.origin}/sms/send`, { to: RECIPIENT, text: OUTBOUND_TEXT, callbackUrl: `${healthy.url}?token=${URL_TOKEN}`, clientRef: 'ref-1' }, auth);
    t.equal(sent.status, 202, 'SMS sent');
    // Wrong keys are refused (and may be logged as refused, never echoed).
    t.equal((await httpGet(`${a.origin}/sms/messages`, { 'x-api-key': `${API_KEY}x` })).status, 401);

    // Everything has happened once the receiver has the inbound SMS and the outbound message is sent,
    // and the failing receiver has been tried until its deliveries failed.
    await until(() => healthy.accepted.some((r) => r.body.includes('sms.received')), 'the inbound SMS at the receiver');
    await until(() => healthy.accepted.some((r) => r.body.includes('sms.sent')), 'the sms.sent callback');
    await until(() => failing.all.length >= 2, 'two attempts at the failing receiver');
    const payloads = healthy.accepted.map((r) => r.body).join('\n');
    t.ok(payloads.includes(INBOUND_TEXT), 'the receiver itself got the text (secrecy is about logs, not payloads)');
    t.ok(leaks('payloads', payloads).length >= 2, 'and the leak detector sees text and number there (it can fail)');
    t.ok(healthy.accepted.some((r) => r.headers['x-receiver-token'] === HEADER_TOKEN), 'the receiver got the extra header');

    const deliveries = await httpGet(`${a.origin}/sms/webhook-deliveries?limit=100`, auth);
    t.equal(deliveries.status, 200);
    const ids = (JSON.parse(deliveries.body) as { items: { id: string }[] }).items.map((d) => d.id);
    t.ok(ids.length >= 3, `${ids.length} deliveries in the log`);
    const details = await Promise.all(ids.map((id) => httpGet(`${a.origin}/sms/webhook-deliveries/${id}`, auth)));
    const subscriptions = await httpGet(`${a.origin}/webhooks`, auth);
    const surfaces: [string, string][] = [
      ['the delivery log', deliveries.body],
      ['delivery details', details.map((d) => d.body).join('\n')],
      ['GET /webhooks', subscriptions.body],
      ['/health with the key', (await httpGet(`${a.origin}/health`, auth)).body],
      ['/health without the key', (await httpGet(`${a.origin}/health`)).body],
      ['/metrics', (await httpGet(`${a.origin}/metrics`, auth)).body],
    ];
    await agent.stop();
    surfaces.push(['the agent log (stdout)', agent.stdout()], ['the agent log (stderr)', agent.stderr()]);
    t.ok(agent.stdout().length > 1000, `the log was captured (${agent.stdout().length} bytes at level trace)`);

    // Without SMSEDGE_WEBHOOK_SECRET the plugin generates one into the data dir: that one is secret too.
    const extra: [string, RegExp][] = [];
    const generated = join(a.dataDir, 'webhook-secret');
    if (!fromEnv) {
      t.ok(existsSync(generated), 'a default secret was generated into the data dir');
      const secret = existsSync(generated) ? readFileSync(generated, 'utf8').trim() : '';
      if (secret) extra.push(['generated default secret', new RegExp(escape(secret))], ['generated secret (key part)', new RegExp(escape(secret.replace(/^whsec_/, '')))]);
    }
    const found = surfaces.flatMap(([where, text]) => leaks(where, text, extra));
    t.same(found, [], 'nothing secret anywhere');
    const tracePath = [join(a.dir, 'at.trace'), join(a.dataDir, 'at.trace')].find((p) => existsSync(p));
    t.ok(tracePath, 'the AT trace was written');
    if (tracePath) {
      const trace = readFileSync(tracePath, 'utf8');
      t.match(trace, /CPIN/, 'the AT trace has the PIN exchange');
      t.notMatch(trace, forbidden.find(([w]) => w === 'SIM PIN')![1], 'the AT trace has no PIN');
    }
  });
}
