import t from 'tap';
import { decodeGsm7Packed } from '../../core/sms/index.ts';
import { lines, openHost, setup } from './helpers.ts';

t.test('PIN: attempts count down, PUK after three, blocked after ten wrong PUKs', async (t) => {
  const { sim, host } = await setup({ pin: '1234' });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CPIN?')), ['+CPIN: SIM PIN', 'OK']);
  t.same(lines(await host.at('AT+CIMI')), ['+CME ERROR: 11'], 'SIM commands need the PIN');
  t.same(lines(await host.at('AT+CMGL=4')), ['+CMS ERROR: 311']);
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 0,0', 'OK'], 'not registered while locked');
  t.same(lines(await host.at('AT+CPIN="0000"')), ['+CME ERROR: 16']);
  t.same(lines(await host.at('AT+CPINR="SIM PIN"')), ['+CPINR: SIM PIN,2,3', 'OK']);
  await host.at('AT+CPIN="0000"');
  await host.at('AT+CPIN="0000"');
  t.same(lines(await host.at('AT+CPIN?')), ['+CPIN: SIM PUK', 'OK'], 'locked after three');
  t.same(lines(await host.at('AT+CPIN="1234"')), ['+CME ERROR: 50'], 'the PIN no longer helps; PUK and new PIN needed');
  t.same(lines(await host.at('AT+CPIN="12345678","4321"')), ['OK']);
  t.same(lines(await host.at('AT+CPIN?')), ['+CPIN: READY', 'OK']);
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 0,1', 'OK']);
  t.equal(sim.modem.sim.pin, '4321');
  sim.modem.sim.status = 'SIM PUK';
  for (let i = 0; i < 10; i++) await host.at('AT+CPIN="00000000","1111"');
  t.same(lines(await host.at('AT+CPIN?')), ['+CME ERROR: 13'], 'blocked');
});

t.test('correct PIN: SMS held by the network arrive once registered', async (t) => {
  const { sim, host } = await setup({ pin: '1234' });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  sim.receiveSms({ from: '+491701234567', text: 'waiting' });
  await host.at('AT+CREG=1');
  const mark = host.mark();
  t.same(lines(await host.at('AT+CPIN="1234"')), ['OK']);
  const after = await host.waitFor(/\+CMTI: "SM",1\r\n/, mark);
  t.match(after, /\+CREG: 1\r\n/);
});

t.test('registration URCs, operator, signal, CFUN radio off/on', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CREG=2');
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 2,1,"1A2B","01C3D4E5"', 'OK']);
  t.same(lines(await host.at('AT+COPS?')), ['+COPS: 0,0,"smsedge sim",7', 'OK']);
  await host.at('AT+CEREG=1');
  let mark = host.mark();
  sim.deregister();
  t.match(await host.waitFor(/\+CEREG: 2\r\n/, mark), /\+CREG: 2\r\n/);
  t.same(lines(await host.at('AT+COPS?')), ['+COPS: 0', 'OK']);
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 99,99', 'OK']);
  mark = host.mark();
  sim.register();
  await host.waitFor(/\+CREG: 1,"1A2B","01C3D4E5"\r\n/, mark);
  sim.setSignal(-91);
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 11,99', 'OK'], '-91 dBm = 11');
  sim.setSignal(31);
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 31,99', 'OK']);
  t.throws(() => sim.setSignal(40), { code: 'invalid_argument' });
  t.same(lines(await host.at('AT+CFUN=0')), ['OK']);
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 2,0', 'OK']);
  t.same(lines(await host.at('AT+CFUN?')), ['+CFUN: 0', 'OK']);
  await host.at('AT+CFUN=1');
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 2,1,"1A2B","01C3D4E5"', 'OK']);
});

t.test('AT+CFUN=1,1 resets: the port disappears and comes back; settings are reset', async (t) => {
  const { sim, host, clock } = await setup({ profile: 'sim800', resetMs: 1000 });
  t.teardown(() => sim.close());
  await host.at('AT+CMEE=1');
  const closed = new Promise((resolve) => host.port.once('close', resolve));
  t.same(lines(await host.at('AT+CFUN=1,1')), ['OK']);
  const err = (await closed) as { disconnected?: boolean };
  t.equal(err?.disconnected, true, 'serialport sees a disconnect');
  await t.rejects(openHost(sim.path, sim.binding), { code: 'ENOENT' }, 'gone while rebooting');
  await clock.advance(1000);
  const again = await openHost(sim.path, sim.binding);
  t.teardown(() => again.close());
  await again.waitFor(/SMS Ready\r\n/);
  t.match(again.received(), /RDY\r\n[\s\S]*\+CPIN: READY[\s\S]*Call Ready/);
  t.same(lines(await again.at('AT+CMEE?')).slice(-2), ['+CMEE: 0', 'OK'], 'settings back to defaults');
});

t.test('USB unplug and replug', async (t) => {
  const { sim, host } = await setup();
  t.teardown(() => sim.close());
  const closed = new Promise((resolve) => host.port.once('close', resolve));
  sim.unplug();
  t.equal(((await closed) as { disconnected?: boolean }).disconnected, true);
  t.same(await sim.binding.list(), []);
  sim.replug();
  t.same((await sim.binding.list()).map((p) => p.path), [sim.path]);
  const again = await openHost(sim.path, sim.binding);
  t.teardown(() => again.close());
  t.match(await again.at('AT'), /OK/);
});

t.test('USSD: menu, session continuation, cancel, unknown code', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  let mark = host.mark();
  t.same(lines(await host.at('AT+CUSD=1,"*100#",15')), ['OK']);
  t.match(await host.waitFor(/\+CUSD: 0,"Your balance is 5\.00 EUR\.",15\r\n/, mark), /CUSD/);
  mark = host.mark();
  await host.at('AT+CUSD=1,"*101#",15');
  await host.waitFor(/\+CUSD: 1,"Menu\n1 Balance\n2 Data left",15\r\n/, mark);
  mark = host.mark();
  await host.at('AT+CUSD=1,"2",15');
  await host.waitFor(/\+CUSD: 0,"Data left: 1\.5 GB",15\r\n/, mark);
  await host.at('AT+CUSD=1,"*101#",15');
  t.same(lines(await host.at('AT+CUSD=2')), ['OK']);
  t.equal(sim.modem.ussdSession, null, 'cancelled');
  mark = host.mark();
  await host.at('AT+CUSD=1,"*999#",15');
  await host.waitFor(/\+CUSD: 4\r\n/, mark);
  sim.setUssdMenu({ '*1#': { text: 'Grüße ✓' } });
  mark = host.mark();
  await host.at('AT+CUSD=1,"*1#",15');
  const ucs2 = /\+CUSD: 0,"([0-9A-F]+)",72/.exec(await host.waitFor(/\+CUSD: 0,"[0-9A-F]+",72\r\n/, mark))!;
  t.equal(Buffer.from(ucs2[1]!, 'hex').swap16().toString('utf16le'), 'Grüße ✓', 'non-GSM text as UCS2');
});

t.test('calls: RING, +CLIP, repeated rings on the clock, ATH', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CLIP=1');
  let mark = host.mark();
  t.ok(sim.incomingCall('+491701234567'));
  t.notOk(sim.incomingCall('+491700000000'), 'one call at a time');
  await host.waitFor(/\r\nRING\r\n\r\n\+CLIP: "\+491701234567",145,"",0,"",0\r\n/, mark);
  mark = host.mark();
  await clock.advance(3000);
  await host.waitFor(/RING/, mark);
  t.same(lines(await host.at('AT+CLCC')), ['+CLCC: 1,1,4,0,0,"+491701234567",145', 'OK']);
  t.same(lines(await host.at('ATH')), ['OK']);
  mark = host.mark();
  await clock.advance(10_000);
  await host.at('AT');
  t.notMatch(host.received().slice(mark), /RING/, 'no more rings after hang-up');
  sim.incomingCall('0301234567');
  await host.waitFor(/\+CLIP: "0301234567",129/);
  mark = host.mark();
  t.ok(sim.hangupCall());
  await host.waitFor(/NO CARRIER/, mark);
});

t.test('CCLK follows the injected clock; identity; ATI; echo and ATV0', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CCLK?')), ['+CCLK: "26/01/01,00:00:00+00"', 'OK']);
  await host.at('AT+CCLK="26/06/01,12:00:00+08"');
  await clock.advance(61_000);
  t.same(lines(await host.at('AT+CCLK?')), ['+CCLK: "26/06/01,12:01:01+08"', 'OK']);
  t.same(lines(await host.at('AT+CGSN')), ['004999010640000', 'OK']);
  t.same(lines(await host.at('AT+CIMI')), ['001010123456789', 'OK']);
  t.same(lines(await host.at('AT+CCID')), ['+CCID: 8901001012345678901', 'OK']);
  t.same(lines(await host.at('AT+CGMM;+CGMR')), ['SIMULATOR-3GPP', 'smsedge-sim 1.0', 'OK'], 'concatenated commands');
  t.match(lines(await host.at('ATI'))[0], /Manufacturer: smsedge/);
  t.same(lines(await host.at('ATE1')), ['OK']);
  t.match(await host.at('AT+CMGF?'), /^AT\+CMGF\?\r\r\n\+CMGF: 0\r\n\r\nOK\r\n$/, 'echo');
  await host.at('ATE0');
  const mark = host.mark();
  await host.write('ATV0\r');
  await host.waitFor(/^0\r$/, mark);
  await host.write('AT\r');
  t.equal(await host.waitFor(/^0\r0\r$/, mark), '0\r0\r', 'numeric result codes');
  await host.write('ATV1\r');
});
