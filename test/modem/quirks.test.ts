// Real-firmware answers the set-up and the health check must survive, each through a simulator quirk:
// a malformed AT+CPMS=?, registration on LTE only, USSD answers in the GSM character set.
import t from 'tap';
import { onSimulator, scenarios, type Simulator } from '../../simulator/index.ts';
import { decodeUssd } from '../../plugins/modem/ussd.ts';
import { ofType, startRig } from './helpers.ts';

/** Runs `scenario` on the simulator before the modem opens it (its quirk is there from power-on). */
function before(t: { teardown(fn: () => void): void }, run: (sim: Simulator) => Promise<void>): void {
  t.teardown(onSimulator((sim) => void run(sim)));
}

const sent = (sim: Simulator, prefix: string) => sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith(prefix)).map((e) => e.text);

for (const kind of ['quotes', 'garbled'] as const) {
  t.test(`a malformed AT+CPMS=? (${kind}): the storages are still swept, messages that came while the agent was down are read`, async (t) => {
    before(t, async (sim) => {
      await scenarios['cpms-malformed'].run(sim, { kind });
      sim.modem.storage('ME').store({ stat: 0, kind: 'deliver', ...(await import('../../core/sms/index.ts')).encodeDeliver({ from: '+15550100300', text: 'waiting in ME', timestamp: '2026-03-01T09:00:00Z' })[0]! });
    });
    const inbox = [{ from: '+15550100301', text: 'waiting in SM' }];
    const rig = await startRig(t, { simulator: { inbox } });
    // Mismatched quotes are read leniently (SM, ME, SR); with no storage name at all, the set-up falls
    // back to the storages AT+CPMS? reports (SM here): the sweep stays on either way.
    const expected = kind === 'quotes' ? ['waiting in ME', 'waiting in SM'] : ['waiting in SM'];
    await rig.until(() => ofType(rig.events, 'sms.received').length === expected.length, 'swept');
    await rig.clock.advance(60_000);
    t.same(ofType(rig.events, 'sms.received').map((e) => e.data.text).sort(), expected);
    t.ok(sent(rig.sim, 'AT+CMGL=4').length >= expected.length, 'the storages listed');
    if (kind === 'garbled') t.ok(sent(rig.sim, 'AT+CPMS?').length > 0, 'fell back to what AT+CPMS? reports');
  });
}

t.test('LTE only: +CREG says not registered, +CEREG home: online, and its indications move the state', async (t) => {
  before(t, (sim) => scenarios['lte-only'].run(sim));
  const rig = await startRig(t, { healthIntervalSeconds: 5 });
  t.match(rig.agent.use('sms').modems()[0], { state: 'online', registration: 'home' });
  t.ok(sent(rig.sim, 'AT+CEREG=1').length === 1, '+CEREG indications switched on');
  t.same(sent(rig.sim, 'AT+C5GREG?'), [], 'not asked what the modem does not support');
  rig.sim.receiveSms({ from: '+15550100302', text: 'over LTE' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'received');
  rig.sim.deregister();
  await rig.until(() => ofType(rig.events, 'modem.offline').length === 1, 'offline by +CEREG: 2');
  t.match(ofType(rig.events, 'modem.offline')[0]!.data, { reason: 'network: searching' });
  rig.sim.register();
  await rig.until(() => ofType(rig.events, 'modem.online').length === 2, 'online again');
});

t.test('a 2G modem without +CEREG is asked +CREG only, and goes online as before', async (t) => {
  const rig = await startRig(t, { simulator: { profile: 'sim800' } });
  t.same(sent(rig.sim, 'AT+CEREG?'), []);
  t.ok(sent(rig.sim, 'AT+CREG?').length > 0);
});

t.test('a modem registered for "SMS only" (27.007 <stat> 6) counts as registered', async (t) => {
  t.same((await import('../../plugins/modem/parse.ts')).parseCreg('+CEREG: 0,6', false), { stat: 6, text: 'home (SMS only)', registered: true });
  t.same((await import('../../plugins/modem/parse.ts')).parseCreg('+CREG: 3', true), { stat: 3, text: 'denied', registered: false });
});

for (const profile of ['generic', 'sim800', 'quectel'] as const) {
  t.test(`${profile}: a USSD answer in the GSM character set is decoded ("wählen", not "w{hlen")`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    await scenarios['ussd-charset'].run(rig.sim);
    rig.sim.setUssdMenu({ '*100#': { text: 'Kontostand: 3.00 € Bitte wählen Sie: 1 Konto [aufladen] ~ Ende' } });
    const answer = rig.agent.use('sms').ussd('*100#', { timeoutMs: 20_000 });
    await rig.until(() => rig.sim.transcriptEntries().some((e) => e.text.startsWith('+CUSD:')), 'answer');
    t.equal((await answer).response, 'Kontostand: 3.00 € Bitte wählen Sie: 1 Konto [aufladen] ~ Ende');
    t.ok(rig.sim.transcriptEntries().some((e) => e.text.includes('w{hlen')), 'the modem printed GSM codes');
    t.equal(rig.sim.modem.settings.cscs, 'GSM', 'the set-up chose the GSM character set');
  });
}

t.test('USSD decoding by DCS and character set', async (t) => {
  t.equal(decodeUssd('Bitte w{hlen', null, 'text', 'GSM'), 'Bitte wählen', 'GSM codes as characters');
  t.equal(decodeUssd('Bitte w{hlen', null, 'text', 'IRA'), 'Bitte w{hlen', 'IRA is taken as printed');
  t.equal(decodeUssd('777B686C656E', 15, 'text', 'HEX'), 'wählen', 'HEX: one code per octet');
  t.equal(decodeUssd('77E8', 15, 'text', 'HEX'), '77E8', 'not 7-bit codes: as printed');
  t.equal(decodeUssd('42697474652077', 15, 'text', 'HEX'), 'Bitte w');
  t.equal(decodeUssd('1B65', 15, 'text', 'HEX'), '€', 'the extension table');
  t.equal(decodeUssd('0048006900200021', 15, 'text', 'UCS2'), 'Hi !', 'UCS2 charset: hex of UTF-16');
  t.equal(decodeUssd('0048006100760069', 15, 'text', 'GSM'), 'Havi', 'UCS2 mislabelled as GSM 7-bit');
  t.equal(decodeUssd('C8329BFD06DDDF72369905CABFEB729038CC0EBBC765', 15, 'text', 'GSM'), 'Hello world, your balance', 'packed GSM 7-bit hex, whatever +CSCS');
  t.equal(decodeUssd('Balance $5 #1', 15, 'text', 'GSM'), 'Balance $5 #1');
  t.equal(decodeUssd('004100420000FFFF', 72, 'text', 'GSM'), 'AB', 'UCS2 up to a NUL');
});

t.test('the same quirks switched on in the configuration (simulator.quirks): the agent copes with all at once', async (t) => {
  const rig = await startRig(t, { simulator: { profile: 'quectel', quirks: { lteOnly: true, ussdCharset: true, wrongLength: -3, cpmsTest: 'malformed' } } });
  t.match(rig.agent.use('sms').modems()[0], { state: 'online', registration: 'home' });
  const text = 'Grüße aus dem Netz: wählen Sie 1 für [Hilfe], 2 für das Guthaben in €, 3 um das Menü zu schließen.';
  rig.sim.receiveSms({ from: '+15550100303', text });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'received');
  t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, text, 'whole despite the <length>');
  rig.sim.setUssdMenu({ '*100#': { text: 'Bitte wählen' } });
  const answer = rig.agent.use('sms').ussd('*100#', { timeoutMs: 20_000 });
  await rig.until(() => rig.sim.transcriptEntries().some((e) => e.text.startsWith('+CUSD:')), 'answer');
  t.equal((await answer).response, 'Bitte wählen');
});
