// E-mail to SMS with nodemailer as the client (STARTTLS with the configured certificate, AUTH with a
// password from the environment), and SMS answers mailed back through a real SMTP server to
// whoever wrote to the number last, in their thread, also after a restart.
import nodemailer from 'nodemailer';
import t from 'tap';
import { startMailServer, testCertificate } from '../channels/mailserver.ts';
import { DOMAIN, smtpAgent } from './fixtures.ts';

const PASSWORD_ENV = 'SMSEDGE_TEST_SMTP_ZABBIX_PASSWORD';
const PASSWORD = 'zabbix-password-0123456789';
process.env[PASSWORD_ENV] = PASSWORD;

t.test('e-mail to SMS over STARTTLS with AUTH, and the answer mailed back to the last writer', async (t) => {
  const { caFile, cert } = testCertificate();
  const tls = { cert: caFile, key: caFile.replace(/cert\.pem$/, 'key.pem') };
  const relay = await startMailServer({ reject: (rcpt) => (rcpt === 'gone@example.com' ? 550 : undefined) });
  t.teardown(() => relay.close());
  const options = {
    allow: ['ops@example.com', 'gone@example.com'],
    users: [{ name: 'zabbix', passwordEnv: PASSWORD_ENV }],
    tls,
    maxParts: 1,
    onTooLong: 'bounce',
    maxRecipients: 2,
    reply: { host: '127.0.0.1', port: relay.port, from: 'SMS gateway <sms@example.com>', tls: { caFile } },
  };
  const dataDir = t.testdir();
  const first = await smtpAgent(t, options, dataDir);
  const sms = first.agent.use('sms');
  const client = (auth?: { user: string; pass: string }) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: first.port, secure: false, requireTLS: true, tls: { ca: cert }, ...(auth ? { auth } : {}) });
  const zabbix = client({ user: 'zabbix', pass: PASSWORD });
  t.teardown(() => zabbix.close());

  // Signed in over STARTTLS (requireTLS fails without it): an HTML-only mail becomes its text.
  const info = await zabbix.sendMail({
    from: 'zabbix@monitor.example.net',
    to: `+15550100100@${DOMAIN}`,
    subject: 'Problem: CPU',
    html: '<p>CPU load <b>high</b> on web1</p>',
    messageId: '<z1@monitor.example.net>',
  });
  t.match(info.response, /^250 2\.0\.0 Ok: queued as \S+$/);
  const [id] = /queued as (\S+)/.exec(info.response)!.slice(1);
  t.match(sms.getMessage(id!), { to: '+15550100100', text: 'CPU load high on web1' });

  // The same mail again (the client lost our 250): answered 250, no second SMS.
  const before = sms.stats().outboundTotal;
  const again = await zabbix.sendMail({ from: 'zabbix@monitor.example.net', to: `+15550100100@${DOMAIN}`, subject: 'Problem: CPU', html: '<p>CPU load <b>high</b> on web1</p>', messageId: '<z1@monitor.example.net>' });
  t.match(again.response, new RegExp(`already queued as ${id}$`));
  t.equal(sms.stats().outboundTotal, before, 'no second SMS');

  // Too long for maxParts 1 with onTooLong 'bounce'; more recipients than maxRecipients.
  await t.rejects(zabbix.sendMail({ from: 'zabbix@monitor.example.net', to: `+15550100100@${DOMAIN}`, text: 'x'.repeat(200) }), {
    message: /5\.3\.4 the text needs 2 SMS parts, more than the 1 allowed: make it shorter/,
    responseCode: 554,
  });
  const many = await zabbix.sendMail({ from: 'zabbix@monitor.example.net', to: ['+15550100101', '+15550100102', '+15550100103'].map((n) => `${n}@${DOMAIN}`), text: 'three' });
  t.same(many.accepted, [`+15550100101@${DOMAIN}`, `+15550100102@${DOMAIN}`]);
  t.same(many.rejected, [`+15550100103@${DOMAIN}`], 'the third recipient is refused (452 too many recipients)');

  // A wrong password; no sign-in from an address not allowed.
  const wrong = client({ user: 'zabbix', pass: 'not-the-password' });
  await t.rejects(wrong.sendMail({ from: 'zabbix@monitor.example.net', to: `+15550100100@${DOMAIN}`, text: 'x' }), { message: /535 5\.7\.8 authentication credentials invalid/, responseCode: 535 });
  wrong.close();
  const anonymous = client();
  await t.rejects(anonymous.sendMail({ from: 'zabbix@monitor.example.net', to: `+15550100100@${DOMAIN}`, text: 'x' }), {
    message: /550 5\.7\.1 <zabbix@monitor\.example\.net>: sender may not send SMS here: sign in \(AUTH\) or send from an allowed address/,
    responseCode: 550,
  });

  // Then ops writes to the same number, and "gone" to another: they are the last writers.
  await anonymous.sendMail({ from: 'Ops <ops@example.com>', to: `+15550100100@${DOMAIN}`, subject: 'Disk full on db1', text: 'Can you look at db1?', messageId: '<m1@example.com>' });
  await anonymous.sendMail({ from: 'gone@example.com', to: `+15550100101@${DOMAIN}`, text: 'hello', messageId: '<m2@example.com>' });
  anonymous.close();

  // The threads are in the store: after a restart the answers still find their writers.
  await first.agent.stop();
  const second = await smtpAgent(t, options, dataDir);
  second.sim.receiveSms({ from: '+15550100199', text: 'who is this?' }); // nobody wrote to this number
  second.sim.receiveSms({ from: '+15550100101', text: 'to gone' }); // the relay refuses this writer (550)
  second.sim.receiveSms({ from: '+15550100100', text: 'On it, rebooting db1' });
  const answer = await relay.nth(1);
  t.same(answer.to, ['ops@example.com']);
  t.equal(answer.secure, true, 'mailed over STARTTLS');
  t.match(answer.header('subject'), 'Re: Disk full on db1');
  t.match(answer.header('in-reply-to'), '<m1@example.com>');
  t.match(answer.header('references'), '<m1@example.com>');
  t.match(answer.header('reply-to'), `+15550100100@${DOMAIN}`);
  t.match(answer.header('from'), 'sms@example.com');
  t.match(answer.body, /^On it, rebooting db1/);
  t.match(answer.body, /SMS from \+15550100100/);
  t.equal(relay.mails.length, 1, 'no mail for the number nobody wrote to, none accepted for the refused writer');
  // The relay's 250 reaches the agent after the mail reached the relay: wait for the sink to catch up.
  const health = async () => (await second.agent.health()).plugins.smtp as unknown as { answered: number; undeliverable: number };
  for (let i = 0; i < 10_000 && (await health()).answered < 1; i++) await new Promise((r) => setImmediate(r));
  t.match(await health(), { answered: 1, undeliverable: 1 });
});
