import t from 'tap';
import type { Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { defineBehavior, is, onSimulator, type Behavior } from '../../simulator/index.ts';
import { profiles } from './helpers.ts';

/** The agent on a SIM asking for `simPin`, the environment holding `envPin`; `behaviors` go in front. */
async function pinAgent(t: Test, dir: string, simPin: string, envPin: string, behaviors: Behavior[], profile: (typeof profiles)[number] = 'generic') {
  process.env.SMSEDGE_TEST_PIN = envPin;
  const unwatch = onSimulator((sim) => behaviors.forEach((b) => sim.useBehavior(b)));
  t.teardown(unwatch);
  const clock = new ManualClock();
  const agent = createAgent(resolveConfig({ agentId: 'pin', dataDir: dir, plugins: [modem({ port: 'simulator', pinEnv: 'SMSEDGE_TEST_PIN', simulator: { pin: simPin, profile } })] }), { clock, log: silentLogger() });
  await agent.start();
  unwatch();
  t.teardown(() => agent.stop());
  const state = () => agent.use('sms').modems()[0]!.state;
  for (let i = 0; i < 1200 && !['online', 'sim-locked'].includes(state()); i++) await clock.advance(250);
  const pinWrites = () => agent.use('simulator').transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CPIN=')).length;
  return { agent, state, pinWrites, sim: agent.use('simulator') };
}

/** The answer to AT+CPIN="…" comes 30 s late (a slow SIM): after the driver's 20 s timeout. */
const slowPin = (): Behavior => defineBehavior({
  name: 'slow-pin',
  match: is('+CPIN'),
  handle(ctx) {
    if (ctx.cmd.kind === 'set') ctx.modem.armFault('slow', 1, { ms: 30_000 });
    return false;
  },
});

for (const profile of profiles) {
  t.test(`${profile}: a wrong PIN on a slow SIM: the timeout is settled by asking the SIM, the PIN is never sent twice`, async (t) => {
    const { state, pinWrites, sim } = await pinAgent(t, t.testdir(), '2468', '1111', [slowPin()], profile);
    t.equal(state(), 'sim-locked');
    t.equal(pinWrites(), 1, 'sent once');
    t.equal(sim.modem.sim.pinAttempts, 2, 'one attempt used');
    // The counter the driver asked: 27.007 +CPINR where the modem has it, else the vendor's own.
    const counter = { generic: 'AT+CPINR', sim800: 'AT+SPIC', huawei: 'AT^CPIN?', quectel: 'AT+QPINC' }[profile];
    const answered = sim.transcriptEntries().filter((e) => e.dir === '<' && /^(\+CPINR|\+SPIC|\^CPIN|\+QPINC):/.test(e.text)).map((e) => e.text);
    t.ok(sim.transcriptEntries().some((e) => e.dir === '>' && e.text.startsWith(counter)), `asked ${counter}`);
    t.ok(answered.length >= 2, `read the counter before and after the PIN: ${answered.join(' | ')}`);
  });
}

for (const profile of profiles) {
  t.test(`${profile}: the right PIN on a slow SIM: online, the PIN sent once`, async (t) => {
    const { state, pinWrites } = await pinAgent(t, t.testdir(), '2468', '2468', [slowPin()], profile);
    t.equal(state(), 'online');
    t.equal(pinWrites(), 1);
  });
}

t.test('a PIN the SIM never saw (counter unchanged) is sent again at the next set-up', async (t) => {
  let swallow = 1;
  const lost = defineBehavior({
    name: 'lost-pin',
    match: is('+CPIN'),
    handle(ctx) {
      if (ctx.cmd.kind !== 'set' || swallow-- <= 0) return false;
      ctx.final(''); // no result code at all; the SIM did not get it
      return true;
    },
  });
  const { state, pinWrites, sim } = await pinAgent(t, t.testdir(), '2468', '2468', [lost]);
  t.equal(state(), 'online');
  t.equal(pinWrites(), 2);
  t.equal(sim.modem.sim.pinAttempts, 3);
});

t.test('without an attempt counter, a PIN with no clear answer is not sent again', async (t) => {
  const { state, pinWrites, sim } = await pinAgent(t, t.testdir(), '2468', '1111', [
    slowPin(),
    ...['+CPINR', '+QPINC', '+SPIC', '^CPIN'].map((c) => defineBehavior({ name: `no-${c}`, match: is(c), handle: (ctx) => (ctx.error(), true) })),
  ]);
  t.equal(state(), 'sim-locked');
  t.equal(pinWrites(), 1);
  t.equal(sim.modem.sim.pinAttempts, 2);
});
