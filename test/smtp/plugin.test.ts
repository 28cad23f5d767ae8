// The smtp plugin's parts on their own: config errors that name the key, sender patterns, recipient
// numbers, the threads table against an injected clock, and the answer handler's retry decisions.
import { connect, createServer, type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';
import { ChannelError } from '../../plugins/channels/channel.ts';
import type { Mail } from '../../plugins/channels/email.ts';
import { recipientNumber, senderMatcher, SmtpRefusal } from '../../plugins/smtp/inbound.ts';
import { smtp } from '../../plugins/smtp/index.ts';
import { smtpOptions } from '../../plugins/smtp/options.ts';
import { answerHandler, answerSubject } from '../../plugins/smtp/replies.ts';
import { numberKey, Threads } from '../../plugins/smtp/threads.ts';
import * as v from 'valibot';
import { smtpAgent } from './fixtures.ts';

const DAY = 86_400_000;

async function startWith(t: Test, options: Record<string, unknown>) {
  const agent = createAgent(resolveConfig({ agentId: 'smtp-config', dataDir: t.testdir(), plugins: [smtp({ domain: 'sms.example.com', port: 0, ...options })] }), { log: silentLogger() });
  t.teardown(() => agent.stop());
  return agent.start();
}

t.test('config errors name the key', async (t) => {
  await t.rejects(startWith(t, {}), { message: /smtp.*: allow: no one may send: list senders in allow/ });
  delete process.env.SMSEDGE_TEST_SMTP_UNSET;
  await t.rejects(startWith(t, { users: [{ name: 'a', passwordEnv: 'SMSEDGE_TEST_SMTP_UNSET' }] }), { message: /users\[0\]\.passwordEnv: the environment variable SMSEDGE_TEST_SMTP_UNSET is not set/ });
  process.env.SMSEDGE_TEST_SMTP_SET = 'a-password-of-some-length';
  await t.rejects(startWith(t, { host: '0.0.0.0', users: [{ name: 'a', passwordEnv: 'SMSEDGE_TEST_SMTP_SET' }] }), { message: /: tls: signing in \(users\) on 0\.0\.0\.0 needs tls: passwords would cross the network in clear/ });
  await t.rejects(startWith(t, { allow: ['*@example.com'], tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }), { message: /tls\.cert: cannot read \/nonexistent\/cert\.pem/ });
  t.throws(() => resolveConfig({ plugins: [smtp({ domain: 'not a domain', allow: [] })] }), /domain/);
  t.throws(() => resolveConfig({ plugins: [smtp({ domain: 'sms.example.com', allow: ['nobody'] })] }), /allow/);
  t.throws(() => resolveConfig({ plugins: [smtp({ domain: 'sms.example.com', allow: ['*@x.org'], maxParts: 11 })] }), /maxParts.*at most 10/);
  t.throws(() => resolveConfig({ plugins: [smtp({ domain: 'sms.example.com', allow: ['*@x.org'], reply: { host: 'mail', from: 'a@b', to: 'c@d' } })] }), /reply.*to/);
  const parsed = v.parse(smtpOptions, { domain: 'SMS.Example.com', allow: ['Ops@Example.COM'] });
  t.match(parsed, { domain: 'sms.example.com', allow: ['ops@example.com'], port: 2525, host: '127.0.0.1', maxParts: 3, onTooLong: 'truncate', subject: 'fallback' });
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  await t.rejects(startWith(t, { allow: ['*@example.com'], port }), { message: new RegExp(`smtp: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`) });
});

t.test('sender patterns match whole addresses, case-insensitively', async (t) => {
  const allowed = senderMatcher(['*@example.com', 'nagios@monitor.example.net', '*@*.ops.example.org']);
  t.ok(allowed('ops@example.com'));
  t.ok(allowed('OPS@EXAMPLE.COM'));
  t.ok(allowed('nagios@monitor.example.net'));
  t.ok(allowed('web1@eu.ops.example.org'));
  t.notOk(allowed('ops@example.com.evil.org'), 'anchored at the end');
  t.notOk(allowed('ops@notexample.com'));
  t.notOk(allowed('zabbix@monitor.example.net'));
  t.notOk(allowed('x@ops.example.org'), '*. needs a label');
  t.notOk(allowed('opsXexample.com'), 'the dot is literal, @ is required');
  t.notOk(senderMatcher([])('a@b.c'));
});

t.test('recipients name a number at the domain', async (t) => {
  t.equal(recipientNumber('+4917612345678@sms.example.com', 'sms.example.com'), '+4917612345678');
  t.equal(recipientNumber('004917612345678@SMS.Example.com', 'sms.example.com'), '+4917612345678');
  t.equal(recipientNumber('017612345678@sms.example.com', 'sms.example.com'), '017612345678');
  t.equal(recipientNumber('112@sms.example.com', 'sms.example.com'), '112', 'a short code');
  const refusal = (address: string) => {
    try {
      recipientNumber(address, 'sms.example.com');
    } catch (error) {
      return [(error as SmtpRefusal).responseCode, (error as SmtpRefusal).message];
    }
    return undefined;
  };
  t.match(refusal('+4917612345678@example.com'), [550, /^5\.7\.1 .*relay access denied/]);
  t.match(refusal('+49 176 1234@sms.example.com'), [553, /^5\.1\.3 .*is not a phone number/]);
  t.match(refusal('+49-176-12345678@sms.example.com'), [553, /not a phone number/]);
  t.match(refusal('+4917612345678901234@sms.example.com'), [553, /at most 15 digits/]);
  t.match(refusal('@sms.example.com'), [553, /\(empty\) is not a phone number/]);
  t.match(refusal('postmaster'), [550, /relay access denied/]);
});

t.test('threads: the last writer per number, durable, forgotten after maxAgeDays', async (t) => {
  const store = openStore({ path: `${t.testdir()}/smtp.db` });
  t.teardown(() => store.close());
  const threads = new Threads(store);
  const now = Date.parse('2026-12-07T08:00:00Z');
  t.equal(numberKey('+4917612345678'), numberKey('004917612345678'));
  threads.remember('+4917612345678', { writer: 'a@example.com', subject: 'one', mailId: '<1@x>', refs: '<1@x>' }, now);
  threads.remember('004917612345678', { writer: 'b@example.com', subject: 'two', mailId: null, refs: '' }, now + 1000);
  t.match(threads.of('+4917612345678', now - 30 * DAY), { writer: 'b@example.com', subject: 'two', mailId: null, address: '004917612345678' }, 'the last writer wins, whichever form');
  t.equal(threads.of('+4917612345678', now + 2000), undefined, 'older than the window asked for');
  t.equal(threads.of('017612345678', 0), undefined, 'a national form is another number');
  threads.markSeen('a@example.com', '<1@x>', '+4917612345678', 'sms-1', now);
  t.equal(threads.seen('a@example.com', '<1@x>', '004917612345678'), 'sms-1');
  t.equal(threads.seen('b@example.com', '<1@x>', '+4917612345678'), undefined, 'another sender with the same id is another mail');
  threads.prune(now + 8 * DAY, 30);
  t.equal(threads.seen('a@example.com', '<1@x>', '+4917612345678'), undefined, 'seen mails kept 7 days');
  t.ok(threads.of('+4917612345678', 0), 'threads kept for maxAgeDays');
  threads.prune(now + 31 * DAY, 30);
  t.equal(threads.of('+4917612345678', 0), undefined);
});

t.test('the answer handler: a 4xx is tried again by the journal, a 5xx is not', async (t) => {
  const store = openStore({ path: ':memory:' });
  t.teardown(() => store.close());
  const threads = new Threads(store);
  const now = Date.parse('2026-12-07T08:00:00Z');
  threads.remember('+15550100100', { writer: 'ops@example.com', subject: 'Re: disk', mailId: '<m1@x>', refs: '<m0@x> <m1@x>' }, now - 10 * DAY);
  const sent: Mail[] = [];
  let fail: Error | undefined;
  const stats = { answered: 0, undeliverable: 0 };
  const clock = { now };
  const handler = answerHandler({
    options: v.parse(smtpOptions, { domain: 'sms.example.com', allow: ['*@x.org'], reply: { host: 'mail', from: 'sms@example.com', maxAgeDays: 14 } }) as never,
    threads,
    send: async (mail) => {
      if (fail) throw fail;
      sent.push(mail);
    },
    now: () => clock.now,
    log: silentLogger(),
    stats,
  });
  const event = (from: string, text?: string) =>
    ({ id: '01a00000-0000-7000-8000-000000000001', type: 'sms.received', timestamp: '2026-12-07T08:00:00Z', data: { messageId: 'm', from, text, encoding: 'gsm7', parts: 1, receivedAt: '2026-12-07T08:00:00+00:00', smsc: null, modem: 'modem', class: null } }) as AnyEvent;

  await handler(event('+15550100100', 'done'));
  t.match(sent[0], { to: 'ops@example.com', subject: 'Re: disk', inReplyTo: '<m1@x>', references: ['<m0@x>', '<m1@x>'], replyTo: '+15550100100@sms.example.com', messageId: '<01a00000-0000-7000-8000-000000000001@sms.example.com>' });
  await handler(event('+15550100100')); // 8-bit data: nothing to mail
  await handler({ ...event('+15550100100', 'x'), type: 'sms.sent' } as AnyEvent);
  t.equal(sent.length, 1);

  fail = new ChannelError('mail_failed', 'SMTP 451', { retryable: true });
  await t.rejects(handler(event('+15550100100', 'again')), { code: 'mail_failed' }, 'rejected: the journal offers it again');
  fail = new ChannelError('mail_failed', 'SMTP 550', { retryable: false });
  await handler(event('+15550100100', 'refused'));
  t.same(stats, { answered: 1, undeliverable: 1 });

  fail = undefined;
  clock.now = now + 5 * DAY; // the thread is 15 days old now, past maxAgeDays 14
  await handler(event('+15550100100', 'late'));
  t.equal(sent.length, 1, 'no answer to an old thread');

  t.equal(answerSubject('Disk full'), 'Re: Disk full');
  t.equal(answerSubject('RE: Disk full'), 'RE: Disk full');
  t.equal(answerSubject('  '), 'SMS answer');
});

t.test('a client that goes away in the middle of DATA queues nothing', async (t) => {
  const { agent, port } = await smtpAgent(t, { allow: ['*@example.com'] });
  const sms = agent.use('sms');
  const before = sms.stats().outboundTotal;
  const { socket, expect } = dialogue(port);
  await expect('220');
  socket.write('EHLO test\r\n');
  await expect('250');
  socket.write('MAIL FROM:<ops@example.com>\r\nRCPT TO:<+15550100100@sms.example.com>\r\nDATA\r\n');
  await expect('354');
  socket.write('Subject: half\r\n\r\nthe first half of the text, and then');
  await new Promise<void>((r) => socket.end(r));
  await new Promise<void>((r) => socket.on('close', () => r()));
  // The server has seen the close once a new connection is greeted after it.
  const again = connect(port, '127.0.0.1');
  await new Promise<void>((r) => again.once('data', () => r()));
  again.destroy();
  t.equal(sms.stats().outboundTotal, before, 'no SMS from half a mail');
  t.match(await agent.health(), { plugins: { smtp: { accepted: 0, refused: 1 } } }, 'the half mail failed to parse: nothing hangs');
});

/** A raw SMTP connection: `expect(code)` waits for a final reply line with that code. */
function dialogue(port: number) {
  const socket = connect(port, '127.0.0.1');
  const lines: string[] = [];
  let buffered = '';
  const waiters: (() => void)[] = [];
  let closed = false;
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    const parts = buffered.split('\r\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  const expect = async (code: string): Promise<string> => {
    for (;;) {
      const line = lines.find((l) => l.startsWith(`${code} `));
      if (line) {
        lines.splice(0);
        return line;
      }
      if (closed) throw new Error(`closed without ${code}: ${lines.join(' | ')}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { socket, expect, closed: () => closed };
}

t.test('a connection is closed after three failed sign-ins', async (t) => {
  process.env.SMSEDGE_TEST_SMTP_GUESS = 'the-right-password-123';
  const { port } = await smtpAgent(t, { users: [{ name: 'zabbix', passwordEnv: 'SMSEDGE_TEST_SMTP_GUESS' }] });
  const { socket, expect, closed } = dialogue(port);
  t.teardown(() => socket.destroy());
  const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');
  await expect('220');
  socket.write('EHLO test\r\n');
  await expect('250');
  socket.write(`AUTH PLAIN ${plain('zabbix', 'guess-1')}\r\n`);
  t.match(await expect('535'), /5\.7\.8 authentication credentials invalid/);
  socket.write(`AUTH PLAIN ${plain('nobody', 'guess-2')}\r\n`);
  t.match(await expect('535'), /credentials invalid/, 'an unknown name reads the same');
  socket.write(`AUTH PLAIN ${plain('zabbix', 'guess-3')}\r\n`);
  t.match(await expect('421'), /4\.7\.0 3 failed sign-ins: closing the connection/);
  await new Promise<void>((r) => (closed() ? r() : socket.once('close', () => r())));
  t.ok(closed(), 'closed by the server');

  // The right password on a new connection works.
  const next = dialogue(port);
  t.teardown(() => next.socket.destroy());
  await next.expect('220');
  next.socket.write('EHLO test\r\n');
  await next.expect('250');
  next.socket.write(`AUTH PLAIN ${plain('zabbix', 'the-right-password-123')}\r\n`);
  t.match(await next.expect('235'), /Authentication successful/);
  next.socket.write('MAIL FROM:<anyone@anywhere.org>\r\n');
  await next.expect('250');
});
