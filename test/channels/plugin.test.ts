// The channel plugin: one channel as a plain sink on the journal, in order, retried on the agent's
// clock until the far end takes the event; a refusal retrying cannot change is skipped.
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { channel } from '../../plugins/channels/index.ts';
import { notBlockedBy } from '../../plugins/rules/index.ts';
import { received as sms } from '../fixtures/events.ts';
import { waitFor } from '../file/wait.ts';
import { loopback } from './loopback.ts';

t.test('events go to the channel in order; a 503 is retried on the clock, a 400 skipped; blocked ones filtered out', async (t) => {
  const answers = [503, 200, 400, 200];
  const server = await loopback(() => ({ status: answers.shift() ?? 200, json: {} }));
  t.teardown(() => server.close());
  const clock = new ManualClock();
  const filter = notBlockedBy({ rules: [{ name: 'spam', when: { from: 'SPAMMER' }, then: ['block'] }] });
  const agent = createAgent(
    resolveConfig({
      agentId: 'ch',
      dataDir: t.testdir(),
      plugins: [channel({ id: 'push', ntfy: { url: `${server.url}/sms` }, filter, retry: { initialMs: 1000, maxMs: 5000 } })],
    }),
    { clock, log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  agent.journal.append('sms.received', sms(1, { text: 'first' }));
  agent.journal.append('sms.received', sms(2, { text: 'spam', from: 'SPAMMER' }));
  agent.journal.append('sms.received', sms(3, { text: 'refused' }));
  agent.journal.append('sms.received', sms(4, { text: 'last' }));
  agent.journal.append('system.ping', { agentId: 'ch', uptimeSeconds: 1 });
  await server.count(1);
  t.equal(server.requests.length, 1, 'the 503 waits for the clock');
  await clock.advance(1000);
  await waitFor(() => agent.journal.lags()['channel#push'] === 0, 'the sink to catch up');
  t.same(server.requests.map((r) => r.body), ['first', 'first', 'refused', 'last'], 'in order; the blocked one and other types left out');
  const health = (await agent.health()).plugins['channel#push']!;
  t.match(health, { status: 'pass', kind: 'ntfy', sent: 2, failures: 2, skipped: 1, lag: 0 });
});

t.test('exactly one kind', async (t) => {
  t.throws(() => resolveConfig({ plugins: [channel({ id: 'x' })] }), /exactly one of email, telegram, ntfy, matrix, http/);
});
