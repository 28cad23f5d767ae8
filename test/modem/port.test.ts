// Which binding a modem opens: `port` is required; `simulator` loads the simulator (which registers
// itself); a registered port name gets its factory's binding; anything else is a device path.
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { ConfigError, resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { modem, registerPort } from '../../plugins/modem/index.ts';
import { createSimulator } from '../../simulator/index.ts';

t.test('modem() without port is a config error naming the key', async (t) => {
  for (const options of [undefined, {}, { port: '' }, { port: 7 }]) {
    const error = (() => {
      try {
        resolveConfig({ dataDir: t.testdir(), plugins: [modem(options as never)] });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    t.type(error, ConfigError, JSON.stringify(options ?? null));
    t.match(error?.message, /^plugins\[0\] \(modem\)(\.port: |: missing required key "port")/, String(error?.message));
  }
});

async function startAgent(t: Test, port: string) {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const agent = createAgent(resolveConfig({ agentId: 'port', dataDir: t.testdir(), plugins: [modem({ port, healthIntervalSeconds: 3600, reconnectMaxSeconds: 3600 })] }), { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const state = () => agent.use('sms').modems()[0]!.state;
  for (let i = 0; i < 400 && state() === 'starting'; i++) await clock.advance(50);
  return { agent, state };
}

t.test("port: 'simulator' runs on the simulator and provides it", async (t) => {
  const { agent, state } = await startAgent(t, 'simulator');
  t.equal(state(), 'online');
  t.ok(agent.tryUse('simulator'), 'the simulator service');
  t.equal(agent.tryUse('simulators')?.get('default'), agent.tryUse('simulator'));
});

t.test('a device path never falls back to the simulator', async (t) => {
  const { agent, state } = await startAgent(t, '/dev/smsedge-no-such-port');
  t.not(state(), 'online');
  t.equal(agent.tryUse('simulator'), undefined, 'no simulator behind a device path');
});

t.test('a registered port name opens the binding its factory gives', async (t) => {
  const sim = createSimulator({ profile: 'quectel' });
  t.teardown(() => sim.close());
  let asked = 0;
  const remove = registerPort('bench-modem', (ctx) => {
    asked++;
    t.equal(ctx.options.port, 'bench-modem');
    return { binding: sim.binding as never, path: sim.path, simulated: true, close: () => {} };
  });
  t.teardown(remove);
  const { agent, state } = await startAgent(t, 'bench-modem');
  t.equal(asked, 1);
  t.equal(state(), 'online');
  t.ok(sim.transcriptEntries().some((e) => e.dir === '>' && e.text.startsWith('AT')), 'the agent spoke to that simulator');
  t.equal(agent.tryUse('simulator'), undefined, 'a registered port is not the built-in simulator');
  remove();
  remove();
});
