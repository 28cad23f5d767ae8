// The real Kannel from Debian as an SMPP client of the agent: bearerbox binds to the smpp plugin as
// a transceiver (`smsc = smpp`), smsbox serves `sendsms` and an `sms-service`. A message sent through
// Kannel's sendsms reaches the simulator through the agent; its delivery report comes back as a
// deliver_sm receipt and reaches the application's dlr-url through Kannel's DLR machinery; an SMS the
// simulator receives reaches the application's sms-service URL through Kannel.
import t from 'tap';
import { receiver } from '../doors/fixtures.ts';
import { freePort, needsKannel, runKannel, whenUp } from '../fixtures/kannel.ts';
import { PASSWORDS, smppAgent, until } from './fixtures.ts';

t.test('Kannel over SMPP: sendsms to the simulator, the delivery report to the dlr-url, a received SMS to the sms-service', { skip: needsKannel }, async (t) => {
  const app = await receiver(t);
  const { port, sim, waitFor, agent } = await smppAgent(t, { accounts: [{ systemId: 'kannel', passwordEnv: 'SMSEDGE_SMPP_TEST_A' }] });
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100101', 'delivered', 20);
  const sendsms = await freePort();
  await runKannel(t, t.testdir(), [
    'group = smsc', 'smsc = smpp', 'smsc-id = smsedge', 'host = 127.0.0.1', `port = ${port}`, 'transceiver-mode = true',
    'smsc-username = kannel', `smsc-password = "${PASSWORDS.SMSEDGE_SMPP_TEST_A}"`, 'system-type = ""',
    'enquire-link-interval = 30', 'reconnect-delay = 1', '',
    'group = smsbox', 'bearerbox-host = 127.0.0.1', `sendsms-port = ${sendsms}`, 'log-level = 0', 'log-file = "$SMSBOX_LOG"', '',
    'group = sendsms-user', 'username = app', 'password = app-secret', 'max-messages = 5', 'concatenation = true', '',
    'group = sms-service', 'keyword = default', `get-url = "${app.url}/mo?from=%p&to=%P&text=%a&smsc=%i"`, 'max-messages = 0', 'catch-all = true', '',
  ]);
  // bearerbox binds to the agent: wait until the account has a transceiver session.
  await until(async () => {
    const h = await agent.health();
    return (h.plugins.smpp as unknown as { accounts: { kannel: { transceiver: number } } }).accounts.kannel.transceiver === 1;
  }, 'Kannel bound as a transceiver');

  const query = new URLSearchParams({ username: 'app', password: 'app-secret', from: 'Monitor', to: '+15550100100', text: 'Disk full on nas', 'dlr-mask': '3', 'dlr-url': `${app.url}/dlr?type=%d&id=%I` });
  const res = await whenUp(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms?${query}`);
  t.equal(res.status, 202, 'Kannel queued it');
  t.match(await res.text(), /^0: Accepted for delivery/);
  const sent = await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100100');
  t.ok(sent, 'Kannel submitted it over SMPP and the agent sent it');
  t.equal(sim.sent().find((p) => p.to === '+15550100100')?.text, 'Disk full on nas');
  const report = await app.next((r) => r.url.startsWith('/dlr'));
  t.equal(new URL(report.url, app.url).searchParams.get('type'), '1', "the agent's receipt reached the application's dlr-url through Kannel as delivered");

  sim.receiveSms({ from: '+15550100199', text: 'Reply from the field: all good' });
  const mo = await app.next((r) => r.url.startsWith('/mo'));
  const params = new URL(mo.url, app.url).searchParams;
  t.equal(params.get('text'), 'Reply from the field: all good', 'the received SMS reached the sms-service URL');
  t.match(params.get('from'), /^\+?15550100199$/);
  t.equal(params.get('smsc'), 'smsedge');

  // Long, both ways: Kannel splits a long sendsms into UDH parts, the agent sends it whole; a long
  // received SMS goes to Kannel as UDH parts, which Kannel joins before calling the sms-service.
  const long = 'Backup of nas finished with warnings: 3 files skipped, 2 retried, check the log on the server. '.repeat(2).trim();
  const longQuery = new URLSearchParams({ username: 'app', password: 'app-secret', from: 'Backup', to: '+15550100101', text: long, 'dlr-mask': '1', 'dlr-url': `${app.url}/dlr-long?type=%d` });
  const longRes = await fetch(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms?${longQuery}`);
  t.equal(longRes.status, 202, await longRes.text());
  await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100101');
  const parts = sim.sent().filter((p) => p.to === '+15550100101').sort((a, b) => (a.concat?.part ?? 1) - (b.concat?.part ?? 1));
  t.equal(parts.map((p) => p.text).join(''), long, 'sent whole, after Kannel split it');
  const longReport = await app.next((r) => r.url.startsWith('/dlr-long'));
  t.equal(new URL(longReport.url, app.url).searchParams.get('type'), '1', 'one delivery report for the long message, from the receipts of its parts');

  sim.receiveSms({ from: '+15550100198', text: long });
  const longMo = await app.next((r) => r.url.startsWith('/mo') && new URL(r.url, app.url).searchParams.get('from')?.endsWith('15550100198') === true);
  t.equal(new URL(longMo.url, app.url).searchParams.get('text'), long, 'the long received SMS reached the sms-service whole');
});
