import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import { waitFor } from '../file/wait.ts';
import { skipReason, startBroker } from './broker.ts';
import { watch } from './client.ts';

const skip = skipReason();

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-fleet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An agent with the real modem plugin on its simulator and the MQTT plugin in fleet group `sms`. */
function fleetAgent(t: Test, url: string, agentId: string) {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const config = resolveConfig({
    agentId,
    dataDir: tmp(t),
    plugins: [modem({ port: 'simulator', retry: { initialDelayMs: 0 } }), mqtt({ url, group: 'sms', reconnectPeriodMs: 50 })],
  });
  const agent = createAgent(config, { log: silentLogger(), clock });
  const events: AnyEvent[] = [];
  t.teardown(() => agent.stop());
  return { agent, clock, events, agentId };
}

t.test('two agents in one group split 100 send jobs, each done exactly once', { skip }, async (t) => {
  const broker = await startBroker(tmp(t));
  t.teardown(() => broker.stop());
  const agents = [fleetAgent(t, broker.url, 'pi-a'), fleetAgent(t, broker.url, 'pi-b')];
  for (const a of agents) {
    await a.agent.start();
    a.agent.journal.listen((e) => a.events.push(e));
  }
  // Simulated modems move on their agents' clocks: drive both while waiting on real I/O.
  const drive = async (cond: () => boolean, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      for (const a of agents) await a.clock.advance(100);
    }
  };
  await drive(() => agents.every((a) => a.agent.use('sms').modems().every((m) => m.state === 'online')), 'modems online');
  await waitFor(async () => {
    for (const a of agents) if (!(await a.agent.health()).plugins.mqtt?.connected) return false;
    return true;
  }, 'both connected');

  const w = await watch(broker.url, ['smsedge/fleet/response/send', 'smsedge/+/state']);
  t.teardown(() => w.close());
  await waitFor(() => w.on('smsedge/pi-a/state').length && w.on('smsedge/pi-b/state').length, 'both online');
  // The shared subscription is made right after connecting; a probe job proves it is in place.
  await waitFor(async () => {
    await w.client.publishAsync('smsedge/fleet/request/send', JSON.stringify({ transaction: 'probe', to: '+15550100199', text: 'probe', clientRef: 'probe' }), { qos: 1 });
    return waitFor(() => w.on('smsedge/fleet/response/send').length > 0, 'probe answer', 300).catch(() => false);
  }, 'the fleet subscription');
  await waitFor(async () => {
    // Both agents must have subscribed before the jobs go out, or one could miss its share.
    for (const a of agents) if ((await a.agent.health()).plugins.mqtt?.connects !== 1) return false;
    return true;
  }, 'subscriptions');

  const total = 100;
  for (let i = 0; i < total; i++) {
    await w.client.publishAsync(
      'smsedge/fleet/request/send',
      JSON.stringify({ transaction: i, to: `+1555010${String(i).padStart(4, '0')}`, text: `job ${i}`, clientRef: `job-${i}` }),
      { qos: 1 },
    );
  }
  const answers = () => (w.json('smsedge/fleet/response/send') as { transaction: unknown; agentId: string; status: string }[]).filter((r) => r.transaction !== 'probe');
  await drive(() => answers().length >= total, `${total} answers`);
  const sent = () => agents.flatMap((a) => a.events.filter((e) => e.type === 'sms.sent' && e.data.clientRef?.startsWith('job-')).map((e) => ({ agent: a.agentId, ref: (e.data as { clientRef: string }).clientRef })));
  await drive(() => sent().length >= total, `${total} sms.sent events`);
  // A little more time: anything sent twice would show up now.
  for (let i = 0; i < 20; i++) for (const a of agents) await a.clock.advance(100);

  const byTx = new Map<unknown, number>();
  for (const r of answers()) byTx.set(r.transaction, (byTx.get(r.transaction) ?? 0) + 1);
  t.equal(byTx.size, total, 'every job answered');
  t.ok([...byTx.values()].every((n) => n === 1), 'each job answered once');
  t.ok(answers().every((r) => r.status === 'ok'), 'all accepted');

  const refs = sent().map((s) => s.ref);
  t.equal(refs.length, total, 'exactly 100 messages sent');
  t.equal(new Set(refs).size, total, 'each job sent exactly once');
  const share = Object.fromEntries(agents.map((a) => [a.agentId, sent().filter((s) => s.agent === a.agentId).length]));
  t.ok(share['pi-a']! > 0 && share['pi-b']! > 0, `both agents took jobs (${JSON.stringify(share)})`);
  for (const r of answers()) {
    const agent = sent().find((s) => s.ref === `job-${String(r.transaction)}`)?.agent;
    t.equal(r.agentId, agent, `job ${String(r.transaction)} answered by the agent that sent it`);
  }
});
