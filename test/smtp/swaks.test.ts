// E-mail to SMS with Debian's swaks as the client (which takes a leading + for an option: the
// numbers are written 00...), as a monitoring host's script would send it:
// one SMS per recipient, the writer's own words only, queued before the 250, and refusals with the
// SMTP codes a mail server gives (550 sender/relay, 553 not a number, 552 too big, 554 no text).
import t from 'tap';
import { DOMAIN, hasSwaks, queuedIds, smtpAgent, swaks } from './fixtures.ts';

if (!hasSwaks()) {
  t.plan(0, 'swaks is not installed (apt-get install swaks): e-mail to SMS with a real client is not tested');
} else {
  t.test('a mail from an allowed sender becomes one SMS per recipient, queued before the 250', async (t) => {
    const { agent, port, waitFor } = await smtpAgent(t, { allow: ['*@example.com'], maxBytes: 4096, maxParts: 1 });
    const sms = agent.use('sms');
    const body = [
      'PROBLEM: disk / on db1 is 97% full',
      '',
      'On Mon, 7 Dec 2026 at 06:00, Ops <ops@example.com> wrote:',
      '> the last alert',
      '> was yesterday',
      '',
      '-- ',
      'Nagios Core 4',
    ].join('\n');
    const res = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100100@${DOMAIN},0015550100101@${DOMAIN}`, '--header', 'Subject: ** PROBLEM alert **', '--body', body]);
    t.equal(res.code, 0, res.code ? res.out : 'swaks: accepted');
    t.match(res.out, /<-\s+250 2\.0\.0 Ok: queued as /);
    const ids = queuedIds(res.out);
    t.equal(ids.length, 2, 'one SMS per recipient');
    // The 250 came after the commit: both messages are in the store the moment swaks is done.
    const stored = ids.map((id) => sms.getMessage(id));
    t.match(stored, [
      { direction: 'outbound', to: '+15550100100', text: 'PROBLEM: disk / on db1 is 97% full' },
      { direction: 'outbound', to: '+15550100101', text: 'PROBLEM: disk / on db1 is 97% full' },
    ]);
    await waitFor('sms.sent', (e) => (e.data as { messageId: string }).messageId === ids[1]);

    // National digits as they are; the same number twice is one SMS.
    const twice = await swaks(port, ['--from', 'NAGIOS@Example.com', `--to=015112345678@${DOMAIN},015112345678@${DOMAIN}`, '--body', 'twice']);
    t.equal(twice.code, 0, twice.code ? twice.out : 'swaks: accepted');
    t.equal(queuedIds(twice.out).length, 1);
    t.match(sms.getMessage(queuedIds(twice.out)[0]!), { to: '015112345678', text: 'twice' });

    // maxParts 1 with the default onTooLong: cut at a word to fit one part.
    const long = `${'word '.repeat(60)}end`;
    const cut = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100102@${DOMAIN}`, '--body', long]);
    t.equal(cut.code, 0, cut.code ? cut.out : 'swaks: accepted');
    const cutText = (sms.getMessage(queuedIds(cut.out)[0]!) as { text: string }).text;
    t.ok(cutText.length <= 160 && cutText.length > 150, `cut to one part (${cutText.length} characters)`);
    t.match(cutText, /^(word )+word$/, 'at a word boundary');

    // A subject alone (the body empty) is the text with the default subject: 'fallback'.
    const subjectOnly = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100103@${DOMAIN}`, '--header', 'Subject: RECOVERY db1', '--body', ' ']);
    t.equal(subjectOnly.code, 0, subjectOnly.code ? subjectOnly.out : 'swaks: accepted');
    t.match(sms.getMessage(queuedIds(subjectOnly.out)[0]!), { text: 'RECOVERY db1' });
  });

  t.test('refusals carry the SMTP code and say why in plain words', async (t) => {
    const { agent, port } = await smtpAgent(t, { allow: ['nagios@example.com', '*@*.ops.example.com'], maxBytes: 2048 });
    const before = agent.use('sms').stats().outboundTotal;

    const stranger = await swaks(port, ['--from', 'someone@elsewhere.org', `--to=0015550100100@${DOMAIN}`, '--body', 'x']);
    t.not(stranger.code, 0);
    t.match(stranger.out, /550 5\.7\.1 <someone@elsewhere\.org>: sender may not send SMS here: the address is not in the allow list/);

    const relay = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100100@example.org`, '--body', 'x']);
    t.not(relay.code, 0);
    t.match(relay.out, /550 5\.7\.1 <0015550100100@example\.org>: relay access denied: this server only takes mail to <number>@sms\.example\.com/);

    const notNumber = await swaks(port, ['--from', 'web1@eu.ops.example.com', `--to=on-call@${DOMAIN}`, '--body', 'x']);
    t.not(notNumber.code, 0);
    t.match(notNumber.out, /553 5\.1\.3 <on-call@sms\.example\.com>: on-call is not a phone number/);

    const empty = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100100@${DOMAIN}`, '--header', 'Subject: ', '--body', '> only a quote\n-- \nsig']);
    t.not(empty.code, 0);
    t.match(empty.out, /554 5\.6\.0 the mail has no text to send/);

    const big = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100100@${DOMAIN}`, '--body', 'y'.repeat(4000)]);
    t.not(big.code, 0);
    t.match(big.out, /552 .*message (too big|exceeds fixed maximum message size)/);

    t.equal(agent.use('sms').stats().outboundTotal, before, 'nothing refused was queued');
    t.match(await agent.health(), { plugins: { smtp: { status: 'pass', refused: 5, accepted: 0 } } });
  });
}
