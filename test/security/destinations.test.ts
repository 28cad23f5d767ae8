// Webhook destinations (issue 32 item 5): refused addresses are refused where the connection is made,
// after DNS and at every attempt; a callbackUrl is checked when the send is accepted.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { DestinationError, DestinationPolicy, embeddedIpv4, type Resolver } from '../../plugins/webhook/destination.ts';
import { checkUrl } from '../../plugins/webhook/url.ts';
import { classifyError, createHttpTransport } from '../../plugins/webhook/transport.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { harness as apiHarness } from '../api/fixtures/agent.ts';
import { harness, receiver, until } from '../webhook/helpers.ts';

/** A resolver the test controls: name → addresses (a list per attempt, the last one repeating). */
function fakeResolver(table: Record<string, string[] | string[][]>) {
  const asked: string[] = [];
  const counts = new Map<string, number>();
  const resolve: Resolver = async (name) => {
    asked.push(name);
    const entry = table[name];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const list = Array.isArray(entry[0]) ? (entry as string[][])[Math.min(n, entry.length - 1)]! : (entry as string[]);
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

async function server(t: Test) {
  const hits: string[] = [];
  const s = createServer((req, res) => {
    hits.push(`${req.socket.localAddress} ${req.url}`);
    req.resume();
    // A new connection every time: each attempt resolves again.
    res.writeHead(200, { connection: 'close' }).end('ok');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return { port: (s.address() as AddressInfo).port, hits };
}

const post = (transport: ReturnType<typeof createHttpTransport>, url: string) =>
  transport({ url, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal });

t.test('the policy: LAN and this machine allowed; metadata, link-local and friends refused', async (t) => {
  const policy = new DestinationPolicy();
  for (const ok of ['192.168.1.20', '10.0.0.5', '172.16.3.4', '100.64.1.2', '127.0.0.1', '::1', 'fd12:3456::1', '8.8.8.8', '2001:db8::1'])
    t.equal(policy.refusal(ok), undefined, ok);
  for (const bad of ['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', '0.0.0.0', '0.1.2.3', '224.0.0.1', '255.255.255.255',
    'fe80::1', 'fd00:ec2::254', '::', 'ff02::1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '[fe80::1%eth0]'])
    t.type(policy.refusal(bad), 'string', bad);
  t.equal(embeddedIpv4('::ffff:7f00:1'), '127.0.0.1');
  t.equal(embeddedIpv4('::1'), undefined);
  t.equal(embeddedIpv4('2001:db8::1'), undefined);
  // Loopback can be refused; an explicit allow wins over the defaults, an explicit deny over both.
  const strict = new DestinationPolicy({ loopback: false, allow: ['169.254.10.0/24'], deny: ['192.168.9.0/24', '169.254.10.66'] });
  t.match(strict.refusal('127.0.0.1'), /loopback/);
  t.match(strict.refusal('::ffff:127.0.0.1'), /loopback/);
  t.equal(strict.refusal('169.254.10.5'), undefined);
  t.match(strict.refusal('169.254.10.66'), /destinations\.deny/);
  t.match(strict.refusal('192.168.9.1'), /destinations\.deny/);
  t.throws(() => new DestinationPolicy({ allow: ['nonsense/99'] }));
});

t.test('numeric spellings of an address are judged as the address they are', async (t) => {
  const strict = new DestinationPolicy({ loopback: false });
  for (const url of ['http://2130706433/', 'http://0x7f000001/', 'http://127.1/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.0.0.1./', 'http://[::ffff:127.0.0.1]/'])
    t.throws(() => checkUrl(url, undefined, 'url', strict), { code: 'invalid_url', field: 'url', message: /127\.0\.0\.1|::ffff:7f00:1/ }, url);
  t.throws(() => checkUrl('http://2852039166/latest/meta-data/', undefined, 'callbackUrl', new DestinationPolicy()), { field: 'callbackUrl', message: /169\.254\.169\.254/ });
  t.ok(checkUrl('http://3232235796:8080/', undefined, 'url', new DestinationPolicy()), '192.168.1.20 as a number is a LAN address: allowed');
});

t.test('the address actually connected to is checked after DNS, at every attempt', async (t) => {
  const s = await server(t);
  // rebind.test answers loopback first, then the metadata address (a DNS rebinding between attempts).
  const dns = fakeResolver({ 'lan.test': ['127.0.0.1'], 'metadata.test': ['169.254.169.254'], 'mixed.test': ['169.254.169.254', '127.0.0.1'], 'rebind.test': [['127.0.0.1'], ['169.254.169.254']] });
  const transport = createHttpTransport({ resolver: dns.resolve });
  t.teardown(() => transport.close());
  t.same(await post(transport, `http://lan.test:${s.port}/a`), { status: 200, retryAfter: null });
  const refused = await post(transport, `http://metadata.test:${s.port}/b`).catch((e: unknown) => e);
  t.match(classifyError(refused), { errorClass: 'destination', message: /169\.254\.169\.254 is refused \(link-local/ });
  t.same(await post(transport, `http://mixed.test:${s.port}/c`), { status: 200, retryAfter: null }, 'only the allowed address is tried');
  t.same(await post(transport, `http://rebind.test:${s.port}/d`), { status: 200, retryAfter: null });
  const second = await post(transport, `http://rebind.test:${s.port}/e`).catch((e: unknown) => e);
  t.equal(classifyError(second).errorClass, 'destination', 'the second attempt resolved again and was refused');
  t.same(s.hits.map((h) => h.split(' ')[1]), ['/a', '/c', '/d']);
  // Literals never reach the resolver: checked before connecting.
  const literal = await post(transport, 'http://169.254.169.254/latest/meta-data/').catch((e: unknown) => e);
  t.ok(literal instanceof Error && classifyError(literal).errorClass === 'destination');
  const strict = createHttpTransport({ resolver: dns.resolve, policy: new DestinationPolicy({ loopback: false }) });
  t.teardown(() => strict.close());
  t.equal(classifyError(await post(strict, `http://127.1:${s.port}/f`).catch((e: unknown) => e)).errorClass, 'destination');
  t.equal(classifyError(await post(strict, `http://lan.test:${s.port}/g`).catch((e: unknown) => e)).errorClass, 'destination');
  t.equal(s.hits.length, 3, 'nothing refused was ever connected to');
});

t.test('a subscription whose name rebinds to a refused address: the delivery log says why, nothing arrives', async (t) => {
  const r = await receiver(t);
  const dns = fakeResolver({ 'hook.test': [['127.0.0.1'], ['169.254.169.254']] });
  const h = await harness(t, { resolver: dns.resolve });
  h.service.create({ url: `http://hook.test:${r.port}/in`, secret: null, format: 'callstack' });
  h.receive('one');
  await r.waitFor(1);
  h.receive('two');
  await until(() => h.service.deliveries({ status: 'retrying' }).items.length === 1, 'the second delivery retrying');
  const [d] = h.service.deliveries({ status: 'retrying' }).items;
  t.match(d, { lastError: { class: 'destination' } });
  t.match(JSON.stringify(d), /169\.254\.169\.254 is refused/);
  t.equal(r.received.length, 1);
  // Address literals are refused at subscribe time, in plain words naming the field.
  t.throws(() => h.service.create({ url: 'http://[::ffff:169.254.169.254]/x' }), { status: 400, code: 'invalid_url', field: 'url' });
  t.throws(() => h.service.create({ url: 'http://0.0.0.0:8080/x' }), { status: 400, code: 'invalid_url' });
});

t.test('POST /sms/send checks callbackUrl by the same rules when it accepts the send', async (t) => {
  const dns = fakeResolver({ 'metadata.test': ['169.254.169.254', 'fe80::1'], 'lan.test': ['192.168.1.20'] });
  const h = await apiHarness(t, { plugins: [webhook({ resolver: dns.resolve, destinations: { loopback: false } })] });
  const send = (callbackUrl: string) => h.request('/sms/send', { method: 'POST', json: { to: '+15550100100', text: 'hi', callbackUrl } });
  for (const url of ['http://169.254.169.254/latest/meta-data/iam', 'http://metadata.test/x', 'http://2130706433:8080/', 'http://[fd00:ec2::254]/']) {
    const res = await send(url);
    t.equal(res.status, 400, url);
    t.match(await res.json(), { error: { code: 'invalid_url', field: 'callbackUrl', message: /refused/ } }, url);
  }
  t.equal(h.sms.sent.length, 0, 'nothing was queued');
  t.equal((await send('http://lan.test/cb')).status, 202);
  t.equal((await send('http://not-resolving-now.test/cb')).status, 202, 'a name that does not resolve now is checked at every attempt instead');
});

t.test('a refusal carries the address and how to allow it', async (t) => {
  const e = new DestinationError('169.254.169.254', 'link-local');
  t.match(e.message, /destinations\.allow/);
  t.equal(e.code, 'destination_refused');
});
