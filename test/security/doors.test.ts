// The front doors' own callbacks (Kannel's dlr-url, Twilio's StatusCallback) are outbound HTTP too:
// they follow the webhook plugin's destination policy, and answers are read bounded (issue 32 items
// 5 and 11).
import t from 'tap';
import { kannel } from '../../plugins/kannel/index.ts';
import { doorAgent, KEY, receiver } from '../doors/fixtures.ts';

t.test('a dlr-url to a refused destination is never called; the door says why', async (t) => {
  const dlr = await receiver(t);
  // Receivers on this machine refused: the loopback receiver stands for a service the key holder should not reach.
  const { agent, base, waitFor } = await doorAgent(t, [kannel()], { webhook: { destinations: { loopback: false } } as never });
  const res = await fetch(`${base}/cgi-bin/sendsms?${new URLSearchParams({ username: 'x', password: KEY, to: '+15550100100', text: 'hi', 'dlr-mask': '31', 'dlr-url': `${dlr.url}/dlr?type=%d` })}`);
  t.equal(res.status, 202);
  await waitFor('sms.sent');
  const deadline = Date.now() + 20_000;
  let health: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    health = (await agent.health()).plugins.kannel as Record<string, unknown> | undefined;
    if (JSON.stringify(health ?? {}).includes('refused')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.match(JSON.stringify(health), /127\.0\.0\.1 is refused \(loopback/);
  t.same(dlr.requests, [], 'nothing reached the refused address');
});
