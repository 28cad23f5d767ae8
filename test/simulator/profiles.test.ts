import t from 'tap';
import { decodeGsm7Packed, decodeUcs2Hex } from '../../core/sms/index.ts';
import { lines, setup } from './helpers.ts';

t.test('sim800: bare CCID, quoted alpha, OK on empty read, no CEREG, default CNMI', async (t) => {
  const { sim, host } = await setup({ profile: 'sim800' });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CCID')), ['8901001012345678901', 'OK']);
  t.same(lines(await host.at('AT+CEREG?')), ['ERROR'], '2G module');
  t.same(lines(await host.at('AT+CNMI?')), ['+CNMI: 2,1,0,0,0', 'OK']);
  t.same(lines(await host.at('AT+CMGR=5')), ['OK'], 'empty index');
  const mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'hi' });
  await host.waitFor(/\+CMTI: "SM",1\r\n/, mark); // CNMI 2,1 by default
  t.match(lines(await host.at('AT+CMGR=1'))[0], /^\+CMGR: 0,"",\d+$/);
  t.same(lines(await host.at('AT+CPMS=?')), ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")', 'OK']);
  t.same(lines(await host.at('AT+COPS?')), ['+COPS: 0,0,"smsedge sim",0', 'OK']);
});

t.test('sim800 as shipped: <ds> 2 refused, status reports routed as +CDS', async (t) => {
  const { sim, host, clock } = await setup({ profile: 'sim800' });
  t.teardown(async () => { await host.close(); sim.close(); });
  const { encodeSubmit } = await import('../../core/sms/index.ts');
  t.same(lines(await host.at('AT+CNMI=?')), ['+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)', 'OK']);
  t.same(lines(await host.at('AT+CMEE=1')), ['OK']);
  t.same(lines(await host.at('AT+CNMI=2,1,0,2,0')), ['+CMS ERROR: 303']);
  await host.at('AT+CNMI=2,1,0,1,0');
  const part = encodeSubmit({ to: '+491700000001', text: 'x', statusReport: true }).parts[0]!;
  await host.at(`AT+CMGS=${part.tpduLength}`);
  await host.write(`${part.pdu}\x1a`);
  await host.waitFor(/\+CMGS: 0/);
  const mark = host.mark();
  await clock.advance(3000);
  await host.waitFor(/\+CDS: \d+\r\n07[0-9A-F]+\r\n/, mark);
});

t.test('sim800 without its routing quirk: status reports land in SM (no SR storage)', async (t) => {
  const { sim, host, clock } = await setup({ profile: 'sim800', quirks: { statusReports: 'as-asked' } });
  t.teardown(async () => { await host.close(); sim.close(); });
  const { encodeSubmit } = await import('../../core/sms/index.ts');
  await host.at('AT+CNMI=2,1,0,2,0');
  const part = encodeSubmit({ to: '+491700000001', text: 'x', statusReport: true }).parts[0]!;
  await host.at(`AT+CMGS=${part.tpduLength}`);
  await host.write(`${part.pdu}\x1a`);
  await host.waitFor(/\+CMGS: 0/);
  const mark = host.mark();
  await clock.advance(3000);
  await host.waitFor(/\+CDSI: "SM",1\r\n/, mark);
});

t.test('huawei: 0-based indices, ^ICCID, noise URCs, hex-packed USSD, ^SMMEMFULL', async (t) => {
  const { sim, host, clock } = await setup({ profile: 'huawei' });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  let mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'hi' });
  await host.waitFor(/\+CMTI: "SM",0\r\n/, mark);
  t.same(lines(await host.at('AT+CCID')), ['ERROR']);
  t.same(lines(await host.at('AT^ICCID?')), ['^ICCID: 8901001012345678901', 'OK']);
  mark = host.mark();
  sim.setSignal(12);
  await host.waitFor(/\^RSSI: 12\r\n/, mark);
  mark = host.mark();
  await clock.advance(20_000);
  await host.waitFor(/\^BOOT:/, mark);
  t.same(lines(await host.at('AT^CURC=0')), ['OK']);
  mark = host.mark();
  await clock.advance(20_000);
  sim.setSignal(13);
  await host.at('AT');
  t.notMatch(host.received().slice(mark), /\^BOOT|\^RSSI/, '^CURC=0 silences the noise');
  mark = host.mark();
  await host.at('AT+CUSD=1,"AA180C3602",15'); // *100# packed
  const m = /\+CUSD: 0,"([0-9A-F]+)",15/.exec(await host.waitFor(/\+CUSD: 0,"[0-9A-F]+",15\r\n/, mark))!;
  t.equal(decodeGsm7Packed(m[1]!), 'Your balance is 5.00 EUR.');
  t.same(lines(await host.at('AT+CNMI=?')), ['+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)', 'OK']);
  mark = host.mark();
  sim.fault('storage-full');
  sim.receiveSms({ from: '+491701234567', text: 'no room' });
  await host.waitFor(/\^SMMEMFULL: "SM"\r\n/, mark);
});

t.test('quectel: +QCCID, +QIND noise, UCS2 charset for USSD, boot URCs after reset', async (t) => {
  const { sim, host, clock } = await setup({ profile: 'quectel', resetMs: 100 });
  t.teardown(() => sim.close());
  t.same(lines(await host.at('AT+QCCID')), ['+QCCID: 8901001012345678901', 'OK']);
  let mark = host.mark();
  sim.setSignal(-75);
  await host.waitFor(/\+QIND: "csq",19,99\r\n/, mark);
  await host.at('AT+CSCS="UCS2"');
  mark = host.mark();
  await host.at('AT+CUSD=1,"002A0031003000300023",15');
  const m = /\+CUSD: 0,"([0-9A-F]+)",15/.exec(await host.waitFor(/\+CUSD: 0,"[0-9A-F]+",15\r\n/, mark))!;
  t.equal(decodeUcs2Hex(m[1]!), 'Your balance is 5.00 EUR.');
  t.same(lines(await host.at('AT+CEREG?')), ['+CEREG: 0,1', 'OK']);
  await host.at('AT+CFUN=1,1');
  await new Promise((r) => host.port.once('close', r));
  await clock.advance(100);
  const { openHost } = await import('./helpers.ts');
  const again = await openHost(sim.path, sim.binding);
  t.teardown(() => again.close());
  await again.waitFor(/\+QIND: PB DONE\r\n/);
  t.match(again.received(), /RDY[\s\S]*\+QUSIM: 1[\s\S]*\+QIND: SMS DONE/);
});
