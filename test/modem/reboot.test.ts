// A modem that reboots in place (no USB re-enumeration: a SIM800 on a Pi's UART after a brown-out): its
// boot lines make the driver set it up again, PIN included (once, never one refused before).
import t from 'tap';
import type { Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { scenarios, type Simulator } from '../../simulator/index.ts';
import { ofType, profiles, startRig } from './helpers.ts';

const sent = (sim: Simulator, prefix: string) => sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith(prefix)).length;

for (const profile of profiles) {
  t.test(`${profile}: rebooted in place: set up again, status reports back on, messages flow`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    const cnmi = [...rig.sim.modem.settings.cnmi];
    t.not(cnmi[3], 0, 'status-report indications on after the first set-up');
    const setUps = sent(rig.sim, 'AT+CNMI=');
    const reboot = scenarios['reboot-in-place'].run(rig.sim);
    await rig.until(() => sent(rig.sim, 'AT+CNMI=') > setUps, 'set up again');
    await reboot;
    await rig.until(() => rig.agent.use('sms').modems()[0]!.state === 'online', 'online again');
    t.same(rig.sim.modem.settings.cnmi, cnmi, 'the same indications as before the reboot');
    t.equal(rig.sim.modem.settings.cmgf, 0, 'PDU mode');
    t.equal(rig.sim.modem.settings.cscs, 'GSM');
    t.ok(ofType(rig.events, 'modem.offline').some((e) => e.data.reason === 'modem rebooted'), 'said why it went offline');

    rig.sim.receiveSms({ from: '+15550100400', text: 'after the reboot' });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'received');
    rig.agent.use('sms').send({ to: '+15550100401', text: 'report me', deliveryReport: true });
    await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'the delivery report', 60_000);
  });
}

t.test('boot lines printed by a modem that kept its set-up: only the storage is swept', async (t) => {
  const rig = await startRig(t);
  const setUps = sent(rig.sim, 'AT+CNMI=');
  const lists = sent(rig.sim, 'AT+CMGL=4');
  rig.sim.modem.urc('SMS Ready'); // a late ready line, nothing lost
  await rig.until(() => sent(rig.sim, 'AT+CMGL=4') > lists, 'swept');
  t.equal(sent(rig.sim, 'AT+CNMI='), setUps, 'not set up again');
  t.equal(ofType(rig.events, 'modem.offline').length, 0);
  rig.sim.modem.urc('+QIND: "csq",20,99'); // not a boot line
  await rig.clock.advance(5000);
  t.equal(sent(rig.sim, 'AT+CNMI='), setUps);
});

/** The agent on a SIM800 asking for `simPin`, the environment holding `envPin`. */
async function pinAgent(t: Test, simPin: string, envPin: string) {
  process.env.SMSEDGE_REBOOT_PIN = envPin;
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const agent = createAgent(resolveConfig({ agentId: 'reboot', dataDir: t.testdir(), plugins: [modem({ port: 'simulator', pinEnv: 'SMSEDGE_REBOOT_PIN', simulator: { pin: simPin, profile: 'sim800' } })] }), { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const sim = agent.use('simulator');
  const state = () => agent.use('sms').modems()[0]!.state;
  const until = async (what: string, cond: () => boolean) => {
    for (let i = 0; i < 2400 && !cond(); i++) await clock.advance(250);
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };
  const pinWrites = () => sent(sim, 'AT+CPIN=');
  await until('online', () => state() === 'online');
  return { agent, sim, state, until, pinWrites };
}

t.test('a PIN-locked SIM after the reboot: the PIN is entered once more and the modem comes back', async (t) => {
  const { sim, state, until, pinWrites } = await pinAgent(t, '4321', '4321');
  t.equal(pinWrites(), 1);
  void scenarios['reboot-in-place'].run(sim);
  await until('PIN again', () => pinWrites() === 2);
  await until('online again', () => state() === 'online');
  void scenarios['reboot-in-place'].run(sim);
  await until('PIN a third time', () => pinWrites() === 3);
  await until('online again', () => state() === 'online');
  t.equal(sim.modem.sim.pinAttempts, 3, 'no attempt wasted');
});

t.test('a PIN refused after a reboot is never sent again', async (t) => {
  const { sim, state, until, pinWrites } = await pinAgent(t, '4321', '4321');
  sim.modem.sim.pin = '9999'; // the SIM was given another PIN in a phone
  void scenarios['reboot-in-place'].run(sim);
  await until('sim-locked', () => state() === 'sim-locked');
  t.equal(pinWrites(), 2, 'tried once');
  t.equal(sim.modem.sim.pinAttempts, 2);
  void scenarios['reboot-in-place'].run(sim);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(pinWrites(), 2, 'not again');
  t.equal(state(), 'sim-locked');
});
