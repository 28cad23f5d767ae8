// The real Kannel from Debian in front of the door: an application sends through Kannel's own smsbox,
// whose bearerbox forwards over an `smsc = http`, `system-type = kannel` connection to the agent's
// /cgi-bin/sendsms (the way one Kannel hands messages to another). Kannel must take the agent's
// answer as accepted, and the agent's delivery report must travel back through Kannel's own DLR
// machinery (the dlr-url it gave, with %d filled in) to the application's dlr-url as type 1.
import t from 'tap';
import { kannel } from '../../plugins/kannel/index.ts';
import { freePort, needsKannel, runKannel, whenUp } from '../fixtures/kannel.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

t.test('a real Kannel hands a message to the door and receives its delivery report', { skip: needsKannel }, async (t) => {
  const app = await receiver(t);
  const { base, sim, waitFor } = await doorAgent(t, [kannel()]);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  const [smscPort, sendsms] = await Promise.all([freePort(), freePort()]);
  await runKannel(t, t.testdir(), [
    'group = smsc', 'smsc = http', 'smsc-id = smsedge', 'system-type = kannel', `send-url = "${base}/cgi-bin/sendsms"`,
    'smsc-username = tool', `smsc-password = "${KEY}"`, `port = ${smscPort}`, 'connect-allow-ip = 127.0.0.1',
    `dlr-url = "http://127.0.0.1:${smscPort}/?username=tool&password=${KEY}"`, '',
    'group = smsbox', 'bearerbox-host = 127.0.0.1', `sendsms-port = ${sendsms}`, 'log-level = 0', 'log-file = "$SMSBOX_LOG"', '',
    'group = sendsms-user', 'username = app', 'password = app-secret', 'max-messages = 1', '',
  ]);

  const dlrUrl = `${app.url}/dlr?type=%d`;
  const query = new URLSearchParams({ username: 'app', password: 'app-secret', from: 'Monitor', to: '+15550100100', text: 'Disk full on nas', 'dlr-mask': '3', 'dlr-url': dlrUrl });
  const res = await whenUp(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms?${query}`);
  t.equal(res.status, 202, 'Kannel queued it');
  t.match(await res.text(), /^0: Accepted for delivery/);

  const sent = await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100100');
  t.ok(sent, 'Kannel handed it to the agent, which sent it');
  t.equal(sim.sent().find((p) => p.to === '+15550100100')?.text, 'Disk full on nas');
  const report = await app.next((r) => r.url.startsWith('/dlr'));
  t.equal(new URL(report.url, app.url).searchParams.get('type'), '1', "the agent's delivery report reached the application through Kannel as delivered");
});
