import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { ofType, profiles, startRig } from './helpers.ts';

for (const profile of profiles) {
  t.test(`${profile}: a hung modem is soft-reset and comes back; queued work waits`, async (t) => {
    const rig = await startRig(t, { simulator: { profile }, healthIntervalSeconds: 10, hangThreshold: 2, commandTimeoutMs: 2000 });
    const sms = rig.agent.use('sms');
    rig.sim.fault('hang');
    const { id } = sms.send({ to: '+15550300300', text: 'during the hang', deliveryReport: false });
    await rig.until(() => sms.modems()[0]!.resets === 1, 'soft reset', 300_000);
    await rig.until(() => (sms.getMessage(id) as { status?: string } | undefined)?.status === 'sent', 'sent after the reset', 300_000);
    t.ok(ofType(rig.events, 'modem.offline').some((e) => e.data.reason === 'no answer'));
    t.equal(sms.stats().resets, 1);
  });
}

t.test('health reports signal, operator, registration; deregistration goes offline and back', async (t) => {
  const rig = await startRig(t, { healthIntervalSeconds: 5 });
  const [status] = rig.agent.use('sms').modems();
  t.match(status, { state: 'online', registration: 'home', simulator: true });
  t.type(status!.signalDbm, 'number');
  t.match(status!.imei, /^\d{4}\*+\d{2}$/, 'IMEI masked');
  const health = await rig.agent.health();
  t.match(health.plugins.modem, { status: 'pass', outboundQueued: 0 });
  rig.sim.deregister();
  await rig.until(() => ofType(rig.events, 'modem.offline').length === 1, 'offline');
  rig.sim.register();
  await rig.until(() => ofType(rig.events, 'modem.online').length === 2, 'online again');
});

t.test('system.ping every N minutes when enabled', async (t) => {
  const rig = await startRig(t, { pingMinutes: 5 });
  await rig.clock.advance(11 * 60_000);
  t.equal(ofType(rig.events, 'system.ping').length, 2);
  t.equal(ofType(rig.events, 'system.ping')[0]!.data.agentId, 'test');
});

async function pinAgent(dir: string, simPin: string, envPin: string, profile: (typeof profiles)[number] = 'generic') {
  process.env.SMSEDGE_TEST_PIN = envPin;
  const clock = new ManualClock();
  const agent = createAgent(resolveConfig({ agentId: 'pin', dataDir: dir, plugins: [modem({ port: 'simulator', pinEnv: 'SMSEDGE_TEST_PIN', simulator: { pin: simPin, profile } })] }), { clock, log: silentLogger() });
  await agent.start();
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  for (let i = 0; i < 200 && !['online', 'sim-locked'].includes(agent.use('sms').modems()[0]!.state); i++) await clock.advance(50);
  return { agent, events };
}

t.test('the SIM PIN from the environment unlocks the SIM; it never reaches the trace', async (t) => {
  const { agent } = await pinAgent(t.testdir(), '2468', '2468');
  t.teardown(() => agent.stop());
  t.equal(agent.use('sms').modems()[0]!.state, 'online');
  const transcript = agent.use('simulator').transcript();
  t.match(transcript, /AT\+CPIN=/);
});

for (const profile of profiles) {
  t.test(`${profile}: a wrong PIN is tried once, never again (not even after a restart)`, async (t) => {
    const dir = t.testdir();
    const first = await pinAgent(dir, '2468', '1111', profile);
    t.equal(first.agent.use('sms').modems()[0]!.state, 'sim-locked');
    t.equal(first.agent.use('simulator').modem.sim.pinAttempts, 2, 'one attempt used');
    t.ok(ofType(first.events, 'modem.offline').some((e) => /refused/.test(e.data.reason)));
    await first.agent.stop();
    const second = await pinAgent(dir, '2468', '1111', profile);
    t.teardown(() => second.agent.stop());
    t.equal(second.agent.use('sms').modems()[0]!.state, 'sim-locked');
    const writes = second.agent.use('simulator').transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CPIN='));
    t.equal(writes.length, 0, 'the refused PIN was not sent again');
  });
}

t.test('two modems: round robin, or the one asked for', async (t) => {
  const rig = await startRig(t, { id: 'a' }, { plugins: [{ id: 'b', retry: { initialDelayMs: 0 } }] });
  const sms = rig.agent.use('sms');
  t.equal(sms.modems().length, 2);
  const picks = [0, 1, 2, 3].map((i) => sms.send({ to: '+15550300301', text: `rr ${i}`, deliveryReport: false }));
  const pinned = sms.send({ to: '+15550300301', text: 'to b', modem: 'b', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 5, 'all sent');
  const byId = new Map(ofType(rig.events, 'sms.sent').map((e) => [e.data.messageId, e.data.modem]));
  t.same(picks.map((p) => byId.get(p.id)).sort(), ['a', 'a', 'b', 'b']);
  t.equal(byId.get(pinned.id), 'b');
});
