// SMS → e-mail against a real SMTP server (smtp-server) with STARTTLS, implicit TLS and AUTH.
import t from 'tap';
import * as v from 'valibot';
import { ManualClock } from '../../core/clock.ts';
import { ConfigError } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { ChannelError } from '../../plugins/channels/channel.ts';
import { emailChannel, emailOptions, Mailer, threadId } from '../../plugins/channels/email.ts';
import { received } from './events.ts';
import { startMailServer } from './mailserver.ts';

const deps = (env: NodeJS.ProcessEnv = {}) => ({ name: 'mail', clock: new ManualClock(), log: silentLogger(), env });

t.test('an SMS is mailed over STARTTLS with AUTH: full number and text, one thread per number', async (t) => {
  const server = await startMailServer({ users: { gateway: 's3cret-pass' } });
  t.teardown(() => server.close());
  const channel = emailChannel(
    v.parse(emailOptions, {
      host: 'localhost',
      port: server.port,
      user: 'gateway',
      passwordEnv: 'SMTP_PASSWORD',
      from: 'SMS gateway <sms@gw.example>',
      to: ['me@example.com', 'you@example.com'],
      tls: { caFile: server.caFile },
    }),
    deps({ SMTP_PASSWORD: 's3cret-pass' }),
  );
  t.teardown(() => channel.stop?.());
  const first = received({ from: '+4917012345678', text: 'Your code is 123456' });
  const second = received({ from: '+4917012345678', text: 'Second one' });
  const other = received({ from: '+4915199999999', text: 'Other sender' });
  await channel.send({ event: first });
  await channel.send({ event: second });
  await channel.send({ event: other });
  const [a, b, c] = server.mails;
  t.equal(server.mails.length, 3);
  t.equal(a!.user, 'gateway', 'authenticated');
  t.equal(a!.secure, true, 'upgraded with STARTTLS before AUTH');
  t.equal(a!.from, 'sms@gw.example');
  t.same(a!.to, ['me@example.com', 'you@example.com']);
  t.equal(a!.header('Subject'), 'SMS from +4917012345678');
  t.match(a!.body, /Your code is 123456/);
  t.match(a!.body, /From: \+4917012345678/);
  t.match(a!.body, /Modem: modem/);
  t.equal(a!.header('Message-ID'), `<${first.id}@gw.example>`, 'the event id: a resend carries the same id');
  t.equal(a!.header('Auto-Submitted'), 'auto-generated');
  const thread = threadId('+4917012345678', 'gw.example');
  t.equal(a!.header('In-Reply-To'), thread);
  t.equal(b!.header('In-Reply-To'), thread, 'same number, same thread');
  t.equal(b!.header('References'), thread);
  t.not(c!.header('In-Reply-To'), thread, 'another number, another thread');
  t.notMatch(thread, /4917012345678/, 'the number is not in the header');
});

t.test('subject and body templates', async (t) => {
  const server = await startMailServer();
  t.teardown(() => server.close());
  const channel = emailChannel(
    v.parse(emailOptions, {
      host: '127.0.0.1',
      port: server.port,
      from: 'sms@gw.example',
      to: 'me@example.com',
      subject: '[{modem}] {from}\nInjected: header',
      body: 'Text: {text} ({type}, {{literal}})',
      tls: { caFile: server.caFile, servername: 'localhost' },
    }),
    deps(),
  );
  t.teardown(() => channel.stop?.());
  await channel.send({ event: received({ from: '+15550100100', text: 'hello there', modem: 'sim2' }) });
  const mail = server.mails[0]!;
  t.equal(mail.header('Subject'), '[sim2] +15550100100 Injected: header', 'a line break in the subject cannot add a header');
  t.equal(mail.header('Injected'), undefined);
  t.match(mail.body, 'Text: hello there (sms.received, {literal})');
});

t.test('implicit TLS (secure: true)', async (t) => {
  const server = await startMailServer({ secure: true, users: { u: 'p4ssword' } });
  t.teardown(() => server.close());
  const mailer = new Mailer(
    { host: 'localhost', port: server.port, secure: true, user: 'u', passwordEnv: 'PW', from: 'sms@gw.example', to: 'me@example.com', tls: { caFile: server.caFile } },
    { env: { PW: 'p4ssword' } },
  );
  t.teardown(() => mailer.close());
  const sent = await mailer.send({ subject: 'answer', text: 'body', to: 'other@example.com', replyTo: 'sms+1@gw.example', headers: { 'X-Smsedge': '1' }, ...mailer.thread('+15550100100') });
  t.match(sent.messageId, /@gw\.example>$/);
  const mail = server.mails[0]!;
  t.equal(mail.secure, true);
  t.same(mail.to, ['other@example.com'], 'an explicit recipient replaces the configured one');
  t.equal(mail.header('Reply-To'), 'sms+1@gw.example');
  t.equal(mail.header('X-Smsedge'), '1');
});

t.test('with a user, a server without STARTTLS gets no password (requireTLS by default)', async (t) => {
  const server = await startMailServer({ hideSTARTTLS: true, allowInsecureAuth: true, users: { u: 'p4ssword' } });
  t.teardown(() => server.close());
  const mailer = new Mailer({ host: 'localhost', port: server.port, user: 'u', passwordEnv: 'PW', from: 'sms@gw.example', to: 'me@example.com' }, { env: { PW: 'p4ssword' } });
  t.teardown(() => mailer.close());
  const error = await mailer.send({ subject: 's', text: 't' }).catch((e: unknown) => e);
  t.type(error, ChannelError);
  t.equal((error as ChannelError).code, 'mail_failed');
  t.equal(server.mails.length, 0);
});

t.test('an untrusted certificate is refused unless told otherwise', async (t) => {
  const server = await startMailServer();
  t.teardown(() => server.close());
  const strict = new Mailer({ host: 'localhost', port: server.port, requireTLS: true, from: 'sms@gw.example', to: 'me@example.com' });
  t.teardown(() => strict.close());
  await t.rejects(strict.send({ subject: 's', text: 't' }), { code: 'mail_failed', retryable: true });
  const lax = new Mailer({ host: 'localhost', port: server.port, requireTLS: true, from: 'sms@gw.example', to: 'me@example.com', tls: { rejectUnauthorized: false } });
  t.teardown(() => lax.close());
  await lax.send({ subject: 's', text: 't' });
  t.equal(server.mails.length, 1);
});

t.test('a refused recipient (5xx) is not retryable; a temporary refusal (4xx) is', async (t) => {
  const server = await startMailServer({ reject: (rcpt) => (rcpt.startsWith('gone') ? 550 : rcpt.startsWith('busy') ? 451 : undefined) });
  t.teardown(() => server.close());
  const mailer = new Mailer({ host: 'localhost', port: server.port, from: 'sms@gw.example', to: 'gone@example.com', tls: { caFile: server.caFile } });
  t.teardown(() => mailer.close());
  await t.rejects(mailer.send({ subject: 's', text: 't' }), { code: 'mail_failed', retryable: false });
  await t.rejects(mailer.send({ subject: 's', text: 't', to: 'busy@example.com' }), { code: 'mail_failed', retryable: true });
  await t.rejects(mailer.send({ subject: 's', text: 't', to: ['ok@example.com', 'gone@example.com'] }), { code: 'mail_rejected', retryable: false });
});

t.test('config errors name the key', async (t) => {
  t.throws(() => new Mailer({ host: 'h', user: 'u', passwordEnv: 'NOT_SET', from: 'a@b.c', to: 'a@b.c' }, { key: 'channels.mail.email', env: {} }), ConfigError);
  t.throws(() => new Mailer({ host: 'h', user: 'u', passwordEnv: 'NOT_SET', from: 'a@b.c', to: 'a@b.c' }, { key: 'channels.mail.email', env: {} }), { key: 'channels.mail.email.passwordEnv', code: 'config_error' });
  const bad = v.safeParse(emailOptions, { host: 'h', from: 'a@b.c', to: 'a@b.c', subject: 'SMS from {form}' });
  t.notOk(bad.success);
  t.match(bad.issues?.[0]?.message, /unknown placeholder \{form\}/);
  t.notOk(v.safeParse(emailOptions, { host: 'h', from: 'nobody', to: 'a@b.c' }).success);
});
