import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../core/log.ts';
import { maskPhone, redactString, redactUrl, registerSecret } from '../../core/redact.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'trace', destination: destination as never }), text: () => lines.join('') };
}

t.test('phone numbers are masked to their first three and last four digits', async (t) => {
  t.equal(maskPhone('+15550100100'), '+155****0100');
  t.equal(maskPhone('07700900123'), '077****0123');
  t.equal(maskPhone('12345'), '12345', 'short codes are not personal');
});

t.test('phone numbers are masked in every common notation; dates, times, addresses and ids are not numbers', async (t) => {
  const numbers: [string, string][] = [
    ['call 555-867-5309 now', 'call 555****5309 now'],
    ['(555) 867-5309', '555****5309'],
    ['555.867.5309', '555****5309'],
    ['1-555-867-5309', '155****5309'],
    ['+1 555 867 5309', '+155****5309'],
    ['+1-555-867-5309.', '+155****5309.'],
    ['0049 171 1234567', '004****4567'],
    ['+49 (0)171 1234567', '+490****4567'],
    ['+44 20 7946 0958', '+442****0958'],
    ['0171 1234567', '017****4567'],
    ['030 12345678', '030****5678'],
    ['020 7946 0958', '020****0958'],
    ['06 12 34 56 78', '061****5678'],
    ['to: +4917112345678', 'to: +491****5678'],
  ];
  for (const [input, masked] of numbers) t.equal(redactString(input), masked, input);
  for (const kept of [
    'at 2026-12-07T03:44:01.123Z ok',
    '2026-12-07 10:00',
    '12/07/2026',
    '192.168.100.200',
    '10.0.0.1:8080',
    'v1.2.3',
    '0193a1f2-7c4e-7b3a-9d21-5e0f6a8b9c01',
    'took 1234 ms',
    'part 3 of 10',
    'ports 8080 and 9000',
  ])
    t.equal(redactString(kept), kept, kept);
});

t.test('URLs lose userinfo and query strings', async (t) => {
  t.equal(redactUrl('https://user:pw@hooks.example.com/in/abc?token=s3cr3t'), 'https://hooks.example.com/in/abc?[redacted]');
  t.equal(redactString('posting to http://10.0.0.5:9000/hook?key=abc now'), 'posting to http://10.0.0.5:9000/hook?[redacted] now');
});

t.test('a scenario of log calls leaks no secret, body, number, token or PDU', async (t) => {
  const apiKey = 'sk_live_4f9a8b7c6d5e';
  const webhookSecret = 'whsec_MfKQ9r8GKYqrTQz2';
  const pin = '4821';
  process.env.SMSEDGE_TEST_API_KEY = apiKey;
  const { log, text, lines } = capture();
  registerSecret(webhookSecret);
  registerSecret(pin);
  const body = 'Your code is 829301';
  const phone = '+15550100100';
  const pdu = '07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07';
  const plugin = log.child({ plugin: 'modem' });
  plugin.info({ from: phone, text: body }, 'sms received');
  plugin.debug({ pdu }, 'raw pdu');
  plugin.debug(`r: +CMGR: 0,,24 ${pdu}`);
  plugin.info({ event: { type: 'sms.received', data: { from: phone, text: body, to: [phone] } } }, 'event');
  plugin.warn({ url: `https://bob:hunter2@example.com/hook?token=abc123xyz`, headers: { authorization: `Bearer ${apiKey}` } }, 'delivery failed');
  plugin.error({ err: new Error(`request with key ${apiKey} for ${phone} failed`) }, 'boom');
  plugin.info(`AT+CPIN="${pin}" sent, secret ${webhookSecret}`);
  plugin.info({ caller: phone }, `call from ${phone}`);
  const out = text();
  t.ok(lines.length >= 8);
  for (const secret of [apiKey, webhookSecret, `"${pin}"`, body, '829301', phone, '5550100100', pdu.slice(10, 40), 'hunter2', 'abc123xyz'])
    t.notOk(out.includes(secret), `does not contain ${secret.slice(0, 6)}…`);
  t.match(out, /\+155\*\*\*\*0100/, 'numbers appear masked');
  t.match(out, /"plugin":"modem"/);
  t.match(out, /https:\/\/example\.com\/hook\?\[redacted\]/);
  delete process.env.SMSEDGE_TEST_API_KEY;
});

t.test('URLs followed by punctuation keep their punctuation and are still redacted', async (t) => {
  t.equal(redactString('at http://a.lan:8080/x?k=1, http://b.lan/y.'), 'at http://a.lan:8080/x?[redacted], http://b.lan/y.');
});

t.test('fragments of a text are hidden wherever a program echoes them', async (t) => {
  const { fragmentsOf, redactFragments } = await import('../../core/redact.ts');
  const body = 'Hello Ann\nyour bank code is 481516';
  const out = redactFragments('got: your bank code is 481516 / code=481516 / Hello Ann', fragmentsOf(body));
  t.notMatch(out, /481516|bank code|Hello Ann/);
  t.same(fragmentsOf(''), []);
});

t.test('publicEvent hides a callback URL and leaves other events alone', async (t) => {
  const { publicEvent } = await import('../../core/events.ts');
  const sent = { id: 'e', type: 'sms.sent' as const, timestamp: 't', data: { messageId: 'm', to: '+1', modem: 'x', parts: 1, sentAt: 't', references: [1], callbackUrl: 'https://h/cb?token=x' } };
  t.notOk('callbackUrl' in publicEvent(sent).data);
  t.ok('callbackUrl' in sent.data, 'the original is not changed');
  const ping = { id: 'p', type: 'system.ping' as const, timestamp: 't', data: { agentId: 'a', uptimeSeconds: 1 } };
  t.equal(publicEvent(ping), ping);
});

t.test('pino-pretty is loaded only for pretty output, and pretty output still works', async (t) => {
  // A fresh process: this one may already have loaded pino-pretty through another test.
  const { spawnSync } = await import('node:child_process');
  const logUrl = new URL('../../core/log.ts', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const { createLogger } = await import(${JSON.stringify(logUrl)});
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/pino-pretty/'));
    createLogger({ pretty: false }).info('json line');
    process.stderr.write('after json: ' + loaded() + '\\n');
    createLogger({ pretty: true }).info({ from: '+15550100100' }, 'pretty line');
    process.stderr.write('after pretty: ' + loaded() + '\\n');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /after json: false\n/, 'JSON output does not load pino-pretty');
  t.match(r.stderr, /after pretty: true\n/);
  t.match(r.stdout, /"msg":"json line"/);
  t.match(r.stdout, /INFO.*pretty line/, 'the pretty line is human-readable');
  t.match(r.stdout, /\+155\*\*\*\*0100/, 'and redacted like any record');
  t.notMatch(r.stdout, /5550100100/);
});

t.test('an error logged under `error` (not `err`) is serialized and scrubbed the same way', async (t) => {
  const key = 'sk_live_9e8d7c6b5a41';
  registerSecret(key);
  const { log, lines } = capture();
  log.warn({ error: new Error(`POST https://user:pw@example.com/in?token=t0k3n with ${key} for +15550100100 failed`) }, 'callback failed');
  const line = JSON.parse(lines[0]!) as { error: { message: string } };
  t.type(line.error.message, 'string', 'the Error keeps its message (not an empty object)');
  t.match(line.error.message, /failed$/);
  for (const secret of [key, 'pw@', 't0k3n', '5550100100']) t.notOk(lines[0]!.includes(secret), `no ${secret.slice(0, 4)}…`);
  t.match(line.error.message, /\+155\*\*\*\*0100/);
});
