// Weak keys and key guessing (issue 32 item 9): a key that guards an API on the network must be
// strong, and wrong keys are throttled per client address.
import { request } from 'node:http';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { keyWeakness } from '../../plugins/api/auth.ts';
import { api } from '../../plugins/api/index.ts';
import { AuthThrottle, clientKey } from '../../plugins/api/throttle.ts';
import { harness, KEY } from '../api/fixtures/agent.ts';

function get(base: string, path: string, key: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter?: string; json: any }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, localAddress, headers: { authorization: `Bearer ${key}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () =>
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a weak key is a config error for a network bind, naming the variable', async (t) => {
  for (const weak of ['x', 'short-key-12345', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'abababababababab']) {
    process.env.SMSEDGE_TEST_WEAK_KEY = weak;
    const agent = createAgent(resolveConfig({ agentId: 't', dataDir: t.testdir(), plugins: [api({ host: '0.0.0.0', port: 0, apiKeyEnv: 'SMSEDGE_TEST_WEAK_KEY' })] }), { log: silentLogger() });
    await t.rejects(agent.start(), { message: /SMSEDGE_TEST_WEAK_KEY: the API key (is \d+ characters long|repeats)/ }, weak);
  }
  delete process.env.SMSEDGE_TEST_WEAK_KEY;
});

t.test('on loopback a weak key is accepted with a warning', async (t) => {
  process.env.SMSEDGE_TEST_WEAK_KEY = 'pw';
  t.teardown(() => delete process.env.SMSEDGE_TEST_WEAK_KEY);
  const h = await harness(t, { api: { apiKeyEnv: 'SMSEDGE_TEST_WEAK_KEY' } });
  t.ok(h.logs.some((l) => l.level === 'warn' && /the API key is 2 characters long/.test(String(l.msg))));
  t.notOk(JSON.stringify(h.logs).includes('"pw"'));
});

t.test('key strength in plain words', async (t) => {
  t.equal(keyWeakness(KEY), undefined);
  t.equal(keyWeakness('0123456789abcdef'), undefined);
  t.match(keyWeakness('hunter2'), /is 7 characters long/);
  t.match(keyWeakness('1111222211112222'), /repeats/);
});

t.test('wrong keys are throttled per address: 429 with Retry-After, then allowed again', async (t) => {
  const h = await harness(t);
  const base = h.http.urls()[0]!;
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await get(base, '/sms/messages', `wrong-key-${i}-0123456789`)).status);
  t.same(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
  t.ok(h.logs.some((l) => l.msg === 'too many wrong API keys from one address: throttled' && l.client === '127.0.0.1'));
  // The right key is not even compared while the address waits: guessing cannot continue.
  let res = await get(base, '/sms/messages', KEY);
  t.equal(res.status, 429);
  t.equal(res.json.error.code, 'too_many_failed_authentications');
  t.equal(res.retryAfter, '5');
  // Routes that need no key still answer (as to a client without one).
  t.equal((await get(base, '/health', 'wrong-key-again-0123456789')).status, 200);
  // Another address is not affected.
  t.equal((await get(base, '/sms/messages', KEY, '127.0.0.2')).status, 200);
  await h.clock.advance(5_000);
  res = await get(base, '/sms/messages', KEY);
  t.equal(res.status, 200, 'after the wait the right key works');
  t.equal((await get(base, '/sms/messages', 'wrong-once-more-0123456789')).status, 401, 'one try came back');
  t.equal((await get(base, '/sms/messages', 'wrong-and-again-0123456789')).status, 429);
});

t.test('the bucket refills to full and forgets; IPv6 is counted per /64', async (t) => {
  const clock = new ManualClock();
  const throttle = new AuthThrottle({ clock, burst: 2, refillMs: 1000, maxClients: 2 });
  t.equal(throttle.fail('10.0.0.1'), false);
  t.equal(throttle.fail('10.0.0.1'), true);
  t.equal(throttle.waitMs('10.0.0.1'), 1000);
  t.equal(throttle.waitMs('::ffff:10.0.0.1'), 1000, 'IPv4-mapped is the same client');
  await clock.advance(400);
  t.equal(throttle.waitMs('10.0.0.1'), 600);
  await clock.advance(5_000);
  t.equal(throttle.waitMs('10.0.0.1'), 0);
  throttle.fail('2001:db8:1:2::1');
  throttle.fail('2001:db8:1:2:ffff::9');
  t.ok(throttle.waitMs('2001:db8:1:2:abcd::1') > 0);
  t.equal(throttle.waitMs('2001:db8:1:3::1'), 0);
  t.equal(clientKey('2001:0db8:0001:0002:0000:0000:0000:0001'), '2001:db8:1:2::/64');
  t.equal(clientKey('::1'), '0:0:0:0::/64');
  // At most maxClients remembered: the oldest is forgotten.
  throttle.fail('10.0.0.2');
  throttle.fail('10.0.0.2');
  throttle.fail('10.0.0.3');
  throttle.fail('10.0.0.3');
  t.equal(throttle.waitMs('2001:db8:1:2::1'), 0);
  t.ok(throttle.waitMs('10.0.0.3') > 0);
});
