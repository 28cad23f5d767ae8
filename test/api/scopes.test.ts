// Every route of every shipped plugin has a scope chosen for it (issue 30), and the routes the later
// plugins added (inbox read/delete, unpark, balance, threads, signal history, the rules' opt-out list,
// the simulator) are refused to keys without it with 403 insufficient_scope and written to the audit
// log, over the real agent: modem on the simulator, the API with a read, a send and an admin key, and
// the plugins that add routes.
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import type { ApiApp } from '../../plugins/api/app.ts';
import { api } from '../../plugins/api/index.ts';
import { allows, scopeOf } from '../../plugins/api/keys.ts';
import { httpsms } from '../../plugins/httpsms/index.ts';
import { kannel } from '../../plugins/kannel/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { rules } from '../../plugins/rules/index.ts';
import { RulesStore } from '../../plugins/rules/store.ts';
import { smsgate } from '../../plugins/smsgate/index.ts';
import { twilio } from '../../plugins/twilio/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';

const KEYS = { read: 'scopes-read-key-5e1a7c3b9d2f4068', send: 'scopes-send-key-8b2d4f6a0c1e3957', admin: 'scopes-admin-key-3c9e1a5b7d2f4086' };
process.env.SMSEDGE_SCOPES_READ = KEYS.read;
process.env.SMSEDGE_SCOPES_SEND = KEYS.send;
process.env.SMSEDGE_SCOPES_ADMIN = KEYS.admin;

/** Who may call each route: open (no key), any (any valid key), or the scope it needs. */
const EXPECTED: Record<string, string> = {
  'GET /health': 'open', 'GET /auth': 'open', 'GET /': 'open', 'GET /ui/:file': 'open', 'GET /3rdparty/v1/health': 'open',
  'GET /openapi.json': 'any',
  // read: what the agent knows, never a change
  'GET /metrics': 'read', 'GET /events': 'read', 'GET /calls': 'read', 'GET /modems/signal-history': 'read', 'GET /modems': 'read',
  'GET /sms/messages': 'read', 'GET /sms/messages/:id': 'read', 'GET /sms/delivery-reports': 'read',
  'GET /sms/threads': 'read', 'GET /sms/threads/messages': 'read',
  'GET /sms/webhook-deliveries': 'read', 'GET /sms/webhook-deliveries/:id': 'read', 'GET /rules/opt-outs': 'read',
  'GET /3rdparty/v1/message/:id': 'read', 'GET /3rdparty/v1/messages/:id': 'read', 'GET /v1/messages/:id': 'read',
  'GET /2010-04-01/Accounts/:sid/Messages.json': 'read', 'GET /2010-04-01/Accounts/:sid/Messages/:file': 'read',
  // send: messages and USSD, the inbox (mark read, delete), the balance (a USSD request)
  'POST /sms/send': 'send', 'PATCH /sms/messages/:id': 'send', 'DELETE /sms/messages/:id': 'send',
  'POST /ussd/send': 'send', 'POST /ussd/reply': 'send', 'POST /ussd/cancel': 'send', 'POST /modems/:id/balance': 'send',
  'GET /cgi-bin/sendsms': 'send', 'POST /cgi-bin/sendsms': 'send', 'POST /3rdparty/v1/message': 'send', 'POST /3rdparty/v1/messages': 'send',
  'POST /v1/messages/send': 'send', 'POST /2010-04-01/Accounts/:sid/Messages.json': 'send',
  // admin: keys, audit, webhooks, modems, the opt-out list, the simulator
  'GET /keys': 'admin', 'POST /keys': 'admin', 'DELETE /keys/:name': 'admin', 'GET /audit': 'admin',
  'GET /modems/:id/doctor': 'admin', 'POST /modems/:id/unpark': 'admin', 'DELETE /rules/opt-outs/:number': 'admin',
  'POST /simulator/sms': 'admin', 'POST /simulator/call': 'admin', 'POST /simulator/fault': 'admin',
  'GET /webhooks': 'admin', 'POST /webhooks': 'admin', 'GET /webhooks/event-types': 'admin', 'GET /webhooks/:id': 'admin',
  'PATCH /webhooks/:id': 'admin', 'DELETE /webhooks/:id': 'admin', 'POST /webhooks/:id/test': 'admin', 'POST /webhooks/:id/replay': 'admin',
  'POST /webhooks/:id/rotate-secret': 'admin', 'POST /sms/subscribe': 'admin', 'POST /sms/webhook-deliveries/:id/retry': 'admin',
  'GET /3rdparty/v1/webhooks': 'admin', 'POST /3rdparty/v1/webhooks': 'admin', 'DELETE /3rdparty/v1/webhooks/:id': 'admin',
};

async function startAgent(t: Test) {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const agent = createAgent(
    resolveConfig({
      agentId: 'scopes',
      dataDir: t.testdir(),
      plugins: [
        modem({ port: 'simulator', retry: { initialDelayMs: 0 }, balance: { ussd: '*100#', everyHours: 0 } }),
        api({
          port: 0,
          apiKeyEnv: 'SMSEDGE_SCOPES_UNSET',
          keys: [
            { name: 'monitoring', keyEnv: 'SMSEDGE_SCOPES_READ', scopes: ['read'] },
            { name: 'shop', keyEnv: 'SMSEDGE_SCOPES_SEND', scopes: ['send'] },
            { name: 'ops', keyEnv: 'SMSEDGE_SCOPES_ADMIN', scopes: ['admin'] },
          ],
        }),
        webhook({ transport: async () => ({ status: 200, retryAfter: null }) }),
        rules({ rules: [] }),
        kannel(),
        smsgate(),
        httpsms(),
        twilio({ accountSid: `AC${'0'.repeat(32)}` }),
      ],
    }),
    { clock, log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; i < 2000 && agent.use('sms').modems()[0]!.state !== 'online'; i++) await clock.advance(50);
  const http = agent.use('api') as unknown as ApiApp;
  /** One request through the app, the clock driven until it answers (USSD waits for the simulated network). */
  async function call(method: string, path: string, key: string, json?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    let done = false;
    const answer = Promise.resolve(http.app.request(path, { method, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) })).finally(() => (done = true));
    for (let i = 0; i < 2000 && !done; i++) await clock.advance(50);
    return answer;
  }
  return { agent, clock, http, call };
}

t.test('every route of every shipped plugin declares its scope, and it is the one its class needs', async (t) => {
  t.equal(scopeOf({ method: 'GET' }), 'read', 'an undeclared GET reads');
  t.equal(scopeOf({ method: 'POST' }), 'admin', 'an undeclared change needs admin');
  t.ok(allows(['admin'], 'send') && allows(['admin'], 'read') && allows(['read'], 'any'));
  t.notOk(allows(['send'], 'read'));
  t.notOk(allows(['read', 'send'], 'admin'));
  const { http } = await startAgent(t);
  const seen = new Set<string>();
  for (const { def } of http.routes()) {
    const route = `${def.method} ${def.path}`;
    seen.add(route);
    // A route added later must say who may call it: no scope by default, even the safe one.
    t.ok(def.auth === false || def.scope !== undefined, `${route} declares its scope`);
    if (route in EXPECTED) t.equal(def.auth === false ? 'open' : scopeOf(def), EXPECTED[route], route);
  }
  t.same(Object.keys(EXPECTED).filter((r) => !seen.has(r)), [], 'every route of the table is served');
});

t.test('the later routes over the API: 403 insufficient_scope below their scope, audited; admin may do all', async (t) => {
  const { agent, clock, call } = await startAgent(t);
  const receive = async (from: string, text: string) => {
    await call('POST', '/simulator/sms', KEYS.admin, { from, text });
    for (let i = 0; i < 400; i++) {
      const found = agent.use('sms').listMessages({ direction: 'inbound', limit: 50 }).find((m) => m.text === text);
      if (found) return found.id;
      await clock.advance(50);
    }
    throw new Error('the simulated SMS never arrived');
  };
  const inbox = [await receive('+15550100301', 'first'), await receive('+15550100302', 'second')];
  const optOuts = new RulesStore(agent.store);
  for (const n of ['+15550100401', '+15550100402']) optOuts.optOut(n, 'stop', clock.now());

  const readOnly = [KEYS.read];
  // [what, method, path, body, the status for the read, send and admin keys]
  const matrix: [string, string, string, unknown, number, number, number][] = [
    ['threads', 'GET', '/sms/threads', undefined, 200, 403, 200],
    ['a thread', 'GET', '/sms/threads/messages?number=%2B15550100301&modem=default', undefined, 200, 403, 200],
    ['signal history', 'GET', '/modems/signal-history', undefined, 200, 403, 200],
    ['opt-out list', 'GET', '/rules/opt-outs', undefined, 200, 403, 200],
    ['CSV export', 'GET', '/sms/messages?direction=inbound&format=csv', undefined, 200, 403, 200],
    ['mark read', 'PATCH', `/sms/messages/${inbox[0]}`, { read: true }, 403, 200, 200],
    ['balance', 'POST', '/modems/default/balance', undefined, 403, 200, 200],
    ['unpark', 'POST', '/modems/default/unpark', undefined, 403, 403, 200],
    ['simulator', 'POST', '/simulator/call', { from: '+15550100303' }, 403, 403, 202],
  ];
  for (const [what, method, path, json, ...expected] of matrix) {
    const got: number[] = [];
    for (const key of [KEYS.read, KEYS.send, KEYS.admin]) {
      const res = await call(method, path, key, json);
      got.push(res.status);
      if (res.status === 403) t.match(await res.json(), { error: { code: 'insufficient_scope', message: /the route needs the (read|send|admin) scope/ } }, `${what}: 403 body`);
      else await res.body?.cancel();
    }
    t.same(got, expected, what);
  }
  // Deleting: one call each that is refused, then one that may.
  t.equal((await call('DELETE', `/sms/messages/${inbox[1]}`, readOnly[0]!)).status, 403, 'a read key may not delete from the inbox');
  t.equal((await call('DELETE', `/sms/messages/${inbox[1]}`, KEYS.send)).status, 200, 'a send key may');
  t.equal((await call('GET', `/sms/messages/${inbox[1]}`, KEYS.read)).status, 404, 'it is gone');
  t.equal((await call('DELETE', '/rules/opt-outs/%2B15550100401', KEYS.send)).status, 403, 'a send key may not take a number off the opt-out list');
  t.equal((await call('DELETE', '/rules/opt-outs/%2B15550100401', KEYS.admin)).status, 204, 'an admin key may');
  t.same(optOuts.optOuts().map((o) => o.number), ['+15550100402'], 'only the admin call changed the list');

  const audit = (await (await call('GET', '/audit?limit=500', KEYS.admin)).json()) as { items: { key: string; method: string; route: string; target: string | null; status: number; code: string | null }[] };
  const rows = (route: string) => audit.items.filter((e) => e.route === route).map((e) => `${e.key} ${e.status}${e.code ? ` ${e.code}` : ''} ${e.target ?? '-'}`).reverse();
  t.same(rows('/sms/messages/:id'), [
    `monitoring 403 insufficient_scope ${inbox[0]}`, `shop 200 ${inbox[0]}`, `ops 200 ${inbox[0]}`,
    `monitoring 403 insufficient_scope ${inbox[1]}`, `shop 200 ${inbox[1]}`,
  ], 'mark read and delete: who, what, which message');
  t.same(rows('/modems/:id/balance'), ['monitoring 403 insufficient_scope default', 'shop 200 default', 'ops 200 default'], 'balance');
  t.same(rows('/modems/:id/unpark'), ['monitoring 403 insufficient_scope default', 'shop 403 insufficient_scope default', 'ops 200 default'], 'unpark');
  t.same(rows('/simulator/call'), ['monitoring 403 insufficient_scope -', 'shop 403 insufficient_scope -', 'ops 202 -'], 'simulator');
  t.same(rows('/rules/opt-outs/:number'), ['shop 403 insufficient_scope -', 'ops 204 -'], 'the opt-out list: audited, its number never recorded');
  t.same(rows('/sms/threads'), ['shop 403 insufficient_scope -'], 'a read is audited only when refused');
  t.same(rows('/sms/messages'), ['shop 403 insufficient_scope -'], 'the CSV export: the refusal only');
  const text = JSON.stringify(audit);
  for (const secret of ['+15550100301', '15550100302', '15550100401', 'first', 'second']) t.notOk(text.includes(secret), `the audit log never holds ${secret}`);
});
