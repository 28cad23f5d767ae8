// Scoped API keys (issue 30): read / send / admin keys from the config, keys created through the API
// and stored hashed, per-key rate limits on the agent's clock, the audit log, GET /auth, and the
// throttle and /health guarantees kept with several keys.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../core/log.ts';
import { configuredKeys } from '../../plugins/api/index.ts';
import { allows, KeyRing, scopeOf } from '../../plugins/api/keys.ts';
import { KeyRateLimiter } from '../../plugins/api/ratelimit.ts';
import { ManualClock } from '../../core/clock.ts';
import { openStore } from '../../core/store.ts';
import { AuditLog } from '../../plugins/api/audit.ts';
import { harness, KEY, type Harness } from './fixtures/agent.ts';

const READ = 'read-key-7f3a9c1e5b2d4086';
const SEND = 'send-key-2c8e4a6f0b1d3957';
const ADMIN = 'admin-key-9d1b3f5a7c2e4068';
process.env.SMSEDGE_TEST_READ_KEY = READ;
process.env.SMSEDGE_TEST_SEND_KEY = SEND;
process.env.SMSEDGE_TEST_ADMIN_KEY = ADMIN;

const keys = [
  { name: 'monitoring', keyEnv: 'SMSEDGE_TEST_READ_KEY', scopes: ['read'] },
  { name: 'app', keyEnv: 'SMSEDGE_TEST_SEND_KEY', scopes: ['send'] },
  { name: 'ops', keyEnv: 'SMSEDGE_TEST_ADMIN_KEY', scopes: ['admin'] },
];

/** A request over the loopback socket (the real server, not app.request). */
async function http(h: Harness, path: string, key: string | null, init: { method?: string; json?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.http.urls()[0]}${path}`, { method: init.method ?? 'GET', headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

t.test('each scope on each route class, over HTTP: 403 insufficient_scope names the scope, admin may do all', async (t) => {
  const h = await harness(t, { api: { keys } });
  const queued = (await (await http(h, '/sms/send', ADMIN, { method: 'POST', json: { to: '+15550100100', text: 'x', sendAt: new Date(Date.now() + 3600_000).toISOString() } })).json()) as { id: string };
  const another = (await (await http(h, '/sms/send', ADMIN, { method: 'POST', json: { to: '+15550100100', text: 'y', sendAt: new Date(Date.now() + 3600_000).toISOString() } })).json()) as { id: string };
  // [what, method, path, body, status for read, send, admin, the legacy key]
  const matrix: [string, string, string, unknown, number, number, number, number][] = [
    ['list (read)', 'GET', '/sms/messages?direction=outbound', undefined, 200, 403, 200, 200],
    ['one message (read)', 'GET', `/sms/messages/${queued.id}`, undefined, 200, 403, 200, 200],
    ['metrics (read)', 'GET', '/metrics', undefined, 200, 403, 200, 200],
    ['calls (read)', 'GET', '/calls', undefined, 200, 403, 200, 200],
    ['send (send)', 'POST', '/sms/send', { to: '+15550100100', text: 'hi' }, 403, 202, 202, 202],
    ['change (send)', 'PATCH', `/sms/messages/${queued.id}`, { text: 'changed' }, 403, 200, 200, 200],
    ['ussd (send)', 'POST', '/ussd/send', { code: '*100#' }, 403, 200, 200, 200],
    ['keys (admin)', 'GET', '/keys', undefined, 403, 403, 200, 200],
    ['audit (admin)', 'GET', '/audit', undefined, 403, 403, 200, 200],
    ['doctor (admin)', 'GET', '/modems/nope/doctor', undefined, 403, 403, 503, 503],
    ['the document (any key)', 'GET', '/openapi.json', undefined, 200, 200, 200, 200],
  ];
  for (const [what, method, path, json, ...expected] of matrix) {
    const got: number[] = [];
    for (const key of [READ, SEND, ADMIN, KEY]) {
      const res = await http(h, path, key, { method, json });
      got.push(res.status);
      if (res.status === 403) t.match(await res.json(), { error: { code: 'insufficient_scope', message: /needs the (read|send|admin) scope/ } }, `${what}: 403 body`);
      else await res.body?.cancel();
    }
    t.same(got, expected, what);
  }
  const cancel = await http(h, `/sms/messages/${another.id}`, READ, { method: 'DELETE' });
  t.equal(cancel.status, 403, 'cancel needs send');
  t.equal((await http(h, `/sms/messages/${another.id}`, SEND, { method: 'DELETE' })).status, 200, 'send may cancel');
  t.equal(h.sms.sent.length, 2 + 3, 'only the admitted sends reached the service');
  // No key at all is still 401 everywhere but the open routes.
  t.equal((await http(h, '/sms/messages', null)).status, 401);
  t.equal((await http(h, '/', null)).status, 200, 'the page itself is open');
});

// Which scope each route of every shipped plugin needs: test/api/scopes.test.ts.

t.test('GET /health: details for a key that may read, the status alone otherwise', async (t) => {
  const h = await harness(t, { api: { keys } });
  t.same(await (await http(h, '/health', null)).json(), { status: 'pass' });
  t.same(await (await http(h, '/health', SEND)).json(), { status: 'pass' }, 'a send-only key gets the status only');
  t.match(await (await http(h, '/health', READ)).json(), { status: 'pass', modems: [{ id: 'default' }], queue: { outbound: 0 } });
  t.match(await (await http(h, '/health', ADMIN)).json(), { status: 'pass', modems: Array });
});

t.test('GET /auth tells the page whether a key is needed and what the presented one may do', async (t) => {
  const h = await harness(t, { api: { keys } });
  t.same(await (await http(h, '/auth', null)).json(), { required: true, key: null, scopes: [] });
  t.same(await (await http(h, '/auth', READ)).json(), { required: true, key: 'monitoring', scopes: ['read'] });
  t.same(await (await http(h, '/auth', KEY)).json(), { required: true, key: 'default', scopes: ['admin'] }, 'the key of apiKeyEnv is the admin key "default"');
  const wrong = await http(h, '/auth', 'not-a-key-0123456789abcdef');
  t.equal(wrong.status, 401);
  t.match(await wrong.json(), { error: { code: 'unauthorized' } });

  const open = await harness(t, { api: { apiKeyEnv: 'SMSEDGE_TEST_NO_SUCH_KEY' } });
  t.same(await (await http(open, '/auth', null)).json(), { required: false, key: null, scopes: ['read', 'send', 'admin'] }, 'no key on loopback: the page opens directly');
  t.equal((await http(open, '/keys', null)).status, 200, 'and may do everything');
});

t.test('keys created through the API: shown once, stored as a hash only, working at once and after a restart', async (t) => {
  const dataDir = t.testdir();
  let h = await harness(t, { api: { keys }, dataDir });
  let res = await http(h, '/keys', ADMIN, { method: 'POST', json: { name: 'grafana', scopes: ['read'], rateLimit: { perMinute: 120 } } });
  t.equal(res.status, 201);
  const created = (await res.json()) as { key: string; name: string; prefix: string };
  t.match(created, { name: 'grafana', scopes: ['read'], source: 'api', rateLimit: { perMinute: 120 }, createdAt: String, key: /^smsedge_[A-Za-z0-9_-]{43}$/ });
  t.ok(created.key.startsWith(created.prefix), 'the prefix tells keys apart');
  const listed = (await (await http(h, '/keys', ADMIN)).json()) as { items: Record<string, unknown>[] };
  t.same(listed.items.map((k) => [k.name, k.source]), [['default', 'config'], ['monitoring', 'config'], ['app', 'config'], ['ops', 'config'], ['grafana', 'api']]);
  t.notOk(JSON.stringify(listed).includes(created.key), 'never shown again');
  t.equal((await http(h, '/sms/messages', created.key)).status, 200, 'works at once');
  t.equal((await http(h, '/sms/send', created.key, { method: 'POST', json: { to: '+15550100100', text: 'x' } })).status, 403, 'with its scope only');

  // The database holds the SHA-256, never the key, nor any key of the config.
  const stored = h.agent.store.all<{ hash: string }>('SELECT hash FROM api_keys');
  t.same(stored, [{ hash: createHash('sha256').update(created.key).digest('hex') }]);
  await h.agent.stop();
  const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  t.ok(files.length > 0);
  for (const f of files) {
    const bytes = readFileSync(join(f.parentPath, f.name)).toString('latin1');
    for (const secret of [created.key, READ, SEND, ADMIN, KEY]) t.notOk(bytes.includes(secret), `${f.name} does not hold a key`);
  }

  h = await harness(t, { api: { keys }, dataDir });
  t.equal((await http(h, '/sms/messages', created.key)).status, 200, 'still works after a restart');
  res = await http(h, '/keys/grafana', ADMIN, { method: 'DELETE' });
  t.equal(res.status, 204);
  t.equal((await http(h, '/sms/messages', created.key)).status, 401, 'a deleted key stops working at once');
});

t.test('key management refusals: duplicate, unknown, config keys, the last admin key, a bad body, non-admins', async (t) => {
  const h = await harness(t, { api: { keys } });
  const post = (json: unknown, key = ADMIN) => http(h, '/keys', key, { method: 'POST', json });
  t.match(await (await post({ name: 'ops', scopes: ['read'] })).json(), { error: { code: 'conflict', field: 'name' } });
  t.equal((await post({ name: 'bad name!', scopes: ['read'] })).status, 400);
  t.match(await (await post({ name: 'x', scopes: [] })).json(), { error: { code: 'invalid_request', field: 'scopes' } });
  t.match(await (await post({ name: 'x', scopes: ['root'] })).json(), { error: { code: 'invalid_request', field: 'scopes.0' } });
  t.match(await (await post({ name: 'x', scopes: ['read'], rateLimit: { perMinute: 0 } })).json(), { error: { code: 'invalid_request', field: 'rateLimit.perMinute' } });
  t.equal((await post({ name: 'x', scopes: ['read'] }, SEND)).status, 403);
  t.match(await (await http(h, '/keys/nobody', ADMIN, { method: 'DELETE' })).json(), { error: { code: 'not_found' } });
  t.match(await (await http(h, '/keys/monitoring', ADMIN, { method: 'DELETE' })).json(), { error: { code: 'conflict', message: /config/ } });

  // On an API without keys the first one must be an admin key; the last admin key stays.
  const open = await harness(t, { api: { apiKeyEnv: 'SMSEDGE_TEST_NO_SUCH_KEY' } });
  t.match(await (await http(open, '/keys', null, { method: 'POST', json: { name: 'ro', scopes: ['read'] } })).json(), { error: { code: 'conflict', field: 'scopes' } });
  const first = (await (await http(open, '/keys', null, { method: 'POST', json: { name: 'first', scopes: ['admin'] } })).json()) as { key: string };
  t.equal((await http(open, '/sms/messages', null)).status, 401, 'from the first key on, every request needs one');
  t.same(await (await http(open, '/auth', null)).json(), { required: true, key: null, scopes: [] });
  t.match(await (await http(open, '/keys/first', first.key, { method: 'DELETE' })).json(), { error: { code: 'conflict', message: /last admin key/ } });
  const second = (await (await http(open, '/keys', first.key, { method: 'POST', json: { name: 'second', scopes: ['admin', 'read'] } })).json()) as { key: string; scopes: string[] };
  t.same(second.scopes, ['read', 'admin']);
  t.equal((await http(open, '/keys/first', second.key, { method: 'DELETE' })).status, 204, 'with another admin key it may go');
});

t.test('per-key rate limit on the agent clock: 429 rate_limited with Retry-After, other keys untouched', async (t) => {
  const h = await harness(t, { api: { keys: [{ ...keys[0]!, rateLimit: { perMinute: 6, burst: 2 } }, keys[1]!, keys[2]!], rateLimit: { perMinute: 600 } } });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await h.request('/sms/messages', { key: READ })).status);
  t.same(statuses, [200, 200, 429]);
  const limited = await h.request('/sms/messages', { key: READ });
  t.equal(limited.headers.get('retry-after'), '10', 'one request every 10 s');
  t.match(await limited.json(), { error: { code: 'rate_limited', message: /"monitoring" is over its rate limit/ } });
  t.equal((await h.request('/health', { key: READ })).status, 429, 'the open /health with the key counts too');
  t.same(await (await h.request('/health', { key: null })).json(), { status: 'pass' }, 'without a key it answers as ever');
  t.equal((await h.request('/sms/messages', { key: ADMIN })).status, 200, 'another key has its own budget');
  await h.clock.advance(9_000);
  t.equal((await h.request('/sms/messages', { key: READ })).status, 429);
  await h.clock.advance(1_000);
  t.equal((await h.request('/sms/messages', { key: READ })).status, 200, 'after Retry-After it may again');
  // The default limit applies to keys without their own: 600 a minute, 600 at once.
  let ok = 0;
  for (let i = 0; i < 601; i++) if ((await h.request('/keys', { key: ADMIN })).status === 200) ok++;
  t.equal(ok, 600, 'refilled by the 10 s that passed: 600 at once, then 429');
  t.equal((await h.request('/keys', { key: SEND })).status, 403);
  await h.clock.advance(60_000);
  const metrics = await (await h.request('/metrics', { key: READ })).text();
  t.match(metrics, /^smsedge_api_key_refusals_total\{key="monitoring",code="rate_limited"\} 4$/m, 'refusals per key in /metrics');
  t.match(metrics, /^smsedge_api_key_refusals_total\{key="ops",code="rate_limited"\} 1$/m);
  t.match(metrics, /^smsedge_api_key_refusals_total\{key="app",code="insufficient_scope"\} 1$/m);
});

t.test('KeyRateLimiter: refills over time, never above the burst; no limit never waits', async (t) => {
  const clock = new ManualClock(0);
  const limiter = new KeyRateLimiter(clock);
  t.equal(limiter.take('a', undefined), 0);
  t.equal(limiter.take('a', { perMinute: 60 }), 0);
  for (let i = 0; i < 59; i++) limiter.take('a', { perMinute: 60 });
  t.equal(limiter.take('a', { perMinute: 60 }), 1000);
  await clock.advance(3_600_000);
  let ok = 0;
  for (let i = 0; i < 100; i++) if (limiter.take('a', { perMinute: 60 }) === 0) ok++;
  t.equal(ok, 60, 'an hour of rest fills it to its burst only');
  limiter.forget('a');
  t.equal(limiter.take('a', { perMinute: 60 }), 0, 'a forgotten key starts full');
});

t.test('the audit log: who changed what, never texts or numbers, paged newest first', async (t) => {
  const h = await harness(t, { api: { keys } });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await http(h, '/sms/send', i % 2 ? SEND : ADMIN, { method: 'POST', json: { to: '+15550100123', text: `secret text ${i}` } });
    ids.push(((await res.json()) as { id: string }).id);
    await h.clock.advance(1000);
  }
  await http(h, '/sms/send', READ, { method: 'POST', json: { to: '+15550100123', text: 'refused' } });
  await http(h, '/sms/messages', READ);
  await http(h, '/sms/send', 'wrong-key-0123456789abcdef', { method: 'POST', json: { to: '+15550100123', text: 'nobody' } });
  await http(h, '/keys', ADMIN, { method: 'POST', json: { name: 'ci', scopes: ['send'] } });

  const all = (await (await http(h, '/audit?limit=100', ADMIN)).json()) as { items: Record<string, unknown>[]; next: string | null };
  t.equal(all.next, null);
  t.same(
    all.items.map((e) => [e.key, e.method, e.route, e.status, e.code]),
    [
      ['ops', 'POST', '/keys', 201, null],
      ['monitoring', 'POST', '/sms/send', 403, 'insufficient_scope'],
      ['ops', 'POST', '/sms/send', 202, null],
      ['app', 'POST', '/sms/send', 202, null],
      ['ops', 'POST', '/sms/send', 202, null],
      ['app', 'POST', '/sms/send', 202, null],
      ['ops', 'POST', '/sms/send', 202, null],
    ],
    'changes and scope refusals; no reads, no unknown keys',
  );
  t.same(all.items.slice(2).map((e) => e.target), [...ids].reverse(), 'the message ids');
  t.equal(all.items[0]!.target, 'ci', 'the key created');
  t.match(all.items[0], { at: String, client: '127.0.0.1', requestId: String });
  const text = JSON.stringify(all);
  t.notOk(/secret text|refused|5550100123|0100123/.test(text), 'no texts, no numbers');

  // Paging: 3 + 3 + 1, newest first, no repeats.
  const seen: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const page = (await (await http(h, `/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, ADMIN)).json()) as { items: { id: string }[]; next: string | null };
    seen.push(...page.items.map((e) => e.id));
    cursor = page.next;
    pages++;
  }
  t.same(seen, all.items.map((e) => e.id));
  t.equal(pages, 3);
  const mine = (await (await http(h, '/audit?key=app', ADMIN)).json()) as { items: unknown[] };
  t.equal(mine.items.length, 2, 'filtered by key');
  const route = (await (await http(h, '/audit?route=/keys', ADMIN)).json()) as { items: unknown[] };
  t.equal(route.items.length, 1, 'filtered by route');
  // A time window: the sends were a second apart on the agent's clock.
  const sends = all.items.slice(2).reverse() as { id: string; at: string }[];
  const window = (await (await http(h, `/audit?route=/sms/send&since=${sends[1]!.at}&until=${sends[3]!.at}`, ADMIN)).json()) as { items: { id: string }[] };
  t.same(window.items.map((e) => e.id), [sends[2]!.id, sends[1]!.id], 'since is inclusive, until exclusive');
  t.equal((await http(h, '/audit?since=yesterday', ADMIN)).status, 400, 'a bad time is refused');
  t.equal((await http(h, '/audit?cursor=abc', ADMIN)).status, 400);
});

t.test('the audit log forgets entries past its retention: when it opens, then every 1000 rows', async (t) => {
  const clock = new ManualClock(0);
  const store = openStore({ path: join(t.testdir(), 'db.sqlite') });
  t.teardown(() => store.close());
  let audit = new AuditLog(store, clock, 1);
  const row = { key: 'x', method: 'POST', route: '/r', status: 200, requestId: 'r' };
  audit.record({ ...row, target: 'y'.repeat(500) });
  t.equal(audit.page({ limit: 5 }).items[0]!.target!.length, 200, 'a target is cut');
  await clock.advance(2 * 86_400_000);
  audit.record(row);
  t.equal(audit.page({ limit: 5 }).items.length, 2, 'kept until a prune');
  audit = new AuditLog(store, clock, 1);
  t.equal(audit.page({ limit: 5 }).items.length, 1, 'opening the log prunes');
  await clock.advance(2 * 86_400_000);
  for (let i = 0; i < 1000; i++) audit.record(row);
  t.equal(audit.page({ limit: 2000 }).items.length, 1000, 'the 1000th row pruned the old one');
});

t.test('config keys: missing variables, duplicate names and values, weak keys on the network are config errors naming the key', async (t) => {
  const log = silentLogger();
  const env = { A: 'aaaa-key-0123456789abcdef', B: 'bbbb-key-0123456789abcdef', WEAK: 'short' };
  const opts = (list: unknown[]) => ({ apiKeyEnv: 'LEGACY', keys: list as never });
  t.same(configuredKeys(opts([{ name: 'a', keyEnv: 'A', scopes: ['read'] }]), '0.0.0.0', log, env).map((k) => k.name), ['a']);
  t.same(configuredKeys(opts([]), '0.0.0.0', log, { ...env, LEGACY: env.B }).map((k) => [k.name, k.scopes]), [['default', ['admin']]]);
  const refuse = (list: unknown[], key: string, extra: Record<string, string> = {}) =>
    t.throws(() => configuredKeys(opts(list), '0.0.0.0', log, { ...env, ...extra }), { name: 'ConfigError', key }, key);
  refuse([{ name: 'a', keyEnv: 'MISSING', scopes: ['read'] }], 'keys.0.keyEnv');
  refuse([{ name: 'a', keyEnv: 'A', scopes: ['read'] }, { name: 'a', keyEnv: 'B', scopes: ['read'] }], 'keys.1.name');
  refuse([{ name: 'a', keyEnv: 'A', scopes: ['read'] }, { name: 'b', keyEnv: 'A', scopes: ['read'] }], 'keys.1.keyEnv');
  refuse([{ name: 'default', keyEnv: 'A', scopes: ['read'] }], 'keys.0.name', { LEGACY: env.B });
  refuse([{ name: 'a', keyEnv: 'LEGACY', scopes: ['read'] }], 'keys.0.keyEnv', { LEGACY: env.B });
  refuse([{ name: 'a', keyEnv: 'WEAK', scopes: ['read'] }], 'keys.0.keyEnv');
  t.equal(configuredKeys(opts([{ name: 'a', keyEnv: 'WEAK', scopes: ['read'] }]), '127.0.0.1', log, env).length, 1, 'a weak key on loopback only warns');
});

t.test('KeyRing compares with every key and keeps no key in memory in the clear', async (t) => {
  const ring = new KeyRing({ clock: new ManualClock(0), configured: [{ name: 'a', key: 'first-key-0123456789', scopes: ['send', 'read'] }] });
  t.same(ring.verify('first-key-0123456789'), { key: 'a', scopes: ['read', 'send'] });
  t.equal(ring.verify('first-key-012345678'), undefined);
  t.equal(ring.verify(''), undefined);
  t.throws(() => ring.create({ name: 'b', scopes: ['admin'] }, null), { code: 'conflict', message: /no store/ });
  t.notOk(JSON.stringify(ring.list()).includes('first-key'), 'the list shows no key');
});

t.test("add-on mode: Home Assistant's Ingress proxy needs no key, /auth says so, the audit log names it", async (t) => {
  const h = await harness(t, { api: { keys, ingress: { trustedProxy: '127.0.0.1' } } });
  t.same(await (await http(h, '/auth', null)).json(), { required: false, key: null, scopes: ['read', 'send', 'admin'] });
  t.equal((await http(h, '/sms/send', null, { method: 'POST', json: { to: '+15550100100', text: 'x' } })).status, 202);
  const audit = (await (await http(h, '/audit', ADMIN)).json()) as { items: { key: string; route: string }[] };
  t.match(audit.items, [{ key: 'ingress', route: '/sms/send' }]);
});

t.test("the doors: a send through Kannel's GET sendsms needs the send scope, answered in Kannel's words, and is audited", async (t) => {
  const { kannel } = await import('../../plugins/kannel/index.ts');
  const h = await harness(t, { api: { keys }, plugins: [kannel()] });
  const sendsms = (password: string) => http(h, `/cgi-bin/sendsms?${new URLSearchParams({ username: 'x', password, to: '+15550100100', text: 'code 4711' })}`, null);
  const refused = await sendsms(READ);
  t.equal(refused.status, 403);
  t.match(await refused.text(), /^\S.*/, "Kannel's plain-text line");
  t.equal(h.sms.sent.length, 0);
  t.equal((await sendsms(SEND)).status, 202);
  t.equal(h.sms.sent.length, 1);
  const audit = (await (await http(h, '/audit', ADMIN)).json()) as { items: Record<string, unknown>[] };
  t.same(audit.items.map((e) => [e.key, e.method, e.route, e.status, e.code]), [
    ['app', 'GET', '/cgi-bin/sendsms', 202, null],
    ['monitoring', 'GET', '/cgi-bin/sendsms', 403, 'insufficient_scope'],
  ]);
  t.notOk(JSON.stringify(audit).includes('4711'), 'no text');
});
