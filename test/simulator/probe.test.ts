// The standard commands ModemManager, Gammu and smstools3 probe: each answers as a 3GPP modem does.
import t from 'tap';
import { lines, setup } from './helpers.ts';

t.test('identification and SIM probes', async (t) => {
  const { sim, host } = await setup({ profile: 'sim800' });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+GCAP')), ['+GCAP: +CGSM', 'OK']);
  t.same(lines(await host.at('AT+CNUM')), ['+CNUM: "","+15550000001",145', 'OK']);
  // EF_ICCID, BCD with swapped nibbles; EF_AD says 2-digit MNC; EF_SPN; EF_IMSI; an unknown file.
  t.same(lines(await host.at('AT+CRSM=176,12258,0,0,10')), ['+CRSM: 144,0,"981000012143658709F1"', 'OK']);
  t.same(lines(await host.at('AT+CRSM=176,28589,0,0,4')), ['+CRSM: 144,0,"00000002"', 'OK']);
  t.same(lines(await host.at('AT+CRSM=176,28486,0,0,17')), ['+CRSM: 144,0,"00736D73656467652073696DFFFFFFFFFF"', 'OK'], '"smsedge sim"');
  t.same(lines(await host.at('AT+CRSM=176,28423,0,0,9')), ['+CRSM: 144,0,"080910101032547698"', 'OK']);
  t.same(lines(await host.at('AT+CRSM=176,12345,0,0,9')), ['+CRSM: 106,130', 'OK']);
  t.same(lines(await host.at('AT+CRSM=242')), ['+CRSM: 109,0', 'OK']);
  t.same(lines(await host.at('AT+CLCK="SC",2')), ['+CLCK: 0', 'OK']);
  t.same(lines(await host.at('AT+CLCK="SC",1,"1234"')), ['ERROR']);
  t.same(lines(await host.at('AT+CPBS?')), ['+CPBS: "SM",0,250', 'OK']);
  t.same(lines(await host.at('AT+CPBR=1,10')), ['OK']);
});

t.test('status probes: indicators, packet service, activity, battery', async (t) => {
  const { sim, host } = await setup({ profile: 'generic' });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CIND=?')), ['+CIND: ("battchg",(0-5)),("signal",(0-5)),("service",(0,1)),("call",(0,1)),("roam",(0,1)),("smsfull",(0,1)),("message",(0,1))', 'OK']);
  t.same(lines(await host.at('AT+CIND?')), ['+CIND: 5,4,1,0,0,0,0', 'OK']);
  t.same(lines(await host.at('AT+CGATT?')), ['+CGATT: 1', 'OK']);
  t.same(lines(await host.at('AT+CEREG?')), ['+CEREG: 0,1', 'OK']);
  t.same(lines(await host.at('AT+CGDCONT?')), ['+CGDCONT: 1,"IPV4V6","internet","0.0.0.0",0,0', 'OK']);
  t.same(lines(await host.at('AT+CPAS')), ['+CPAS: 0', 'OK']);
  t.same(lines(await host.at('AT+CBC')), ['+CBC: 1,100', 'OK']);
  t.same(lines(await host.at('AT+WS46?')), ['+WS46: 25', 'OK']);
  t.same(lines(await host.at('AT+CSCB?')), ['+CSCB: 0,"",""', 'OK']);
  t.same(lines(await host.at('AT+CMER=3,0,0,1')), ['OK']);
  sim.deregister();
  t.same(lines(await host.at('AT+CGATT?')), ['+CGATT: 0', 'OK']);
  t.same(lines(await host.at('AT+CMEE=1')), ['OK']);
  t.same(lines(await host.at('AT+CGATT=1')), ['+CME ERROR: 30']);
});

t.test('settings a probe sets and reads back; ATZ forgets them', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CMMS=?')), ['+CMMS: (0-2)', 'OK']);
  t.same(lines(await host.at('AT+CMMS=1')), ['OK']);
  t.same(lines(await host.at('AT+CMMS?')), ['+CMMS: 1', 'OK']);
  t.same(lines(await host.at('AT+CMMS=7')), ['ERROR']);
  t.same(lines(await host.at('AT+CTZR=1;+CGEREP=2')), ['OK']);
  await host.at('ATZ');
  await host.at('ATE0');
  t.same(lines(await host.at('AT+CMMS?;+CTZR?')), ['+CMMS: 0', '+CTZR: 0', 'OK']);
});

t.test('a locked SIM answers SIM probes with its state', async (t) => {
  const { sim, host } = await setup({ pin: '1234' });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CNUM')), ['+CME ERROR: 11']);
  t.same(lines(await host.at('AT+CRSM=176,12258,0,0,10')), ['+CME ERROR: 11']);
});

t.test('what ModemManager asks while it sets a modem up', async (t) => {
  const { sim, host } = await setup({ profile: 'sim7600', pin: null });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CSIM=10,"0020000100"')), ['+CSIM: 4,"63C3"', 'OK'], 'PIN attempts left');
  t.same(lines(await host.at('AT+CSIM=10,"002C000100"')), ['+CSIM: 4,"63CA"', 'OK'], 'PUK attempts left');
  t.same(lines(await host.at('AT+CSIM=10,"00A4000C02"')), ['+CSIM: 4,"6D00"', 'OK'], 'anything else: not supported');
  t.same(lines(await host.at('AT+CRSM=176,28478,0,0,0')), ['+CRSM: 144,0,"FFFFFFFF"', 'OK'], 'GID1');
  t.same(lines(await host.at('AT+CRSM=176,28599,0,0,15')), ['+CRSM: 144,0,"11F2FFFFFFFFFFFFFFFFFFFFFFFFFF"', 'OK'], 'EF_ECC: 112');
  t.same(lines(await host.at('AT+CPOL=,2')), ['OK']);
  t.same(lines(await host.at('AT+CPOL?')), ['OK'], 'no preferred operators');
  t.same(lines(await host.at('AT+CPLS=0;+CPLS?')), ['+CPLS: 0', 'OK']);
  t.same(lines(await host.at('AT+CEMODE?')), ['+CEMODE: 2', 'OK']);
  t.same(lines(await host.at('AT+CESQ')), ['+CESQ: 99,99,255,255,20,47', 'OK']);
  t.same(lines(await host.at('AT+CRC=1;+CCWA=1;+CRC?')), ['+CRC: 1', 'OK']);
  const { sim: gsm, host: h2 } = await setup({ profile: 'sim800' });
  t.teardown(async () => { await h2.close(); gsm.close(); });
  t.same(lines(await h2.at('AT+CESQ')), ['+CESQ: 38,99,255,255,255,255', 'OK'], '2G: rxlev only');
  t.same(lines(await h2.at('AT+CSIM=4')), ['ERROR']);
});
