import t from 'tap';
import { decodePdu, encodeSubmit } from '../../core/sms/index.ts';
import { lines, setup } from './helpers.ts';

t.test('stored delivery: +CMTI, +CMGR marks read, +CMGL=4 lists, +CMGD deletes', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  const mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'hello there' });
  t.match(await host.waitFor(/\+CMTI: "SM",1\r\n/, mark), /\+CMTI: "SM",1/);
  const read = lines(await host.at('AT+CMGR=1'));
  t.match(read[0], /^\+CMGR: 0,,\d+$/);
  const d = decodePdu(read[1]!);
  t.equal(d.type, 'deliver');
  t.equal(d.type === 'deliver' && d.from, '+491701234567');
  t.equal(d.text, 'hello there');
  t.equal(Number(read[0]!.split(',')[2]), d.tpduLength, '<length> is the TPDU length');
  t.match(lines(await host.at('AT+CMGR=1'))[0], /^\+CMGR: 1,/, 'read once: REC READ');
  t.same(lines(await host.at('AT+CMGL=0')), ['OK'], 'no unread left');
  t.equal(lines(await host.at('AT+CMGL=4')).length, 3);
  t.same(lines(await host.at('AT+CMGD=1')), ['OK']);
  t.same(lines(await host.at('AT+CMGL=4')), ['OK']);
  t.same(lines(await host.at('AT+CMGR=1')), ['ERROR'], 'empty index on generic: error (CMEE=0)');
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CMGR=1')), ['+CMS ERROR: 321']);
  t.same(lines(await host.at('AT+CMGR=99')), ['+CMS ERROR: 321'], 'outside the storage');
});

t.test('CNMI mt=0 stores without indication; mode 0 buffers until mode 1', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CNMI?')), ['+CNMI: 0,0,0,0,0', 'OK']);
  sim.receiveSms({ from: '+491701234567', text: 'silent' });
  await host.at('AT');
  t.notMatch(host.received(), /CMTI/);
  t.equal(sim.modem.storage('SM').used, 1);
  await host.at('AT+CNMI=0,1,0,0,0');
  sim.receiveSms({ from: '+491701234567', text: 'buffered' });
  await host.at('AT');
  t.notMatch(host.received(), /CMTI/, 'mode 0: held in the TA');
  const mark = host.mark();
  await host.at('AT+CNMI=1,1,0,0,0');
  t.match(await host.waitFor(/\+CMTI: "SM",2/, mark), /CMTI/, 'flushed when mode becomes 1 (bfr 0)');
  t.same(lines(await host.at('AT+CNMI=?')), ['+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)', 'OK']);
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CNMI=2,1,0,5,0')), ['+CMS ERROR: 303'], 'unsupported value');
});

t.test('routed +CMT needs +CNMA; without it (CSMS=1) routing is switched off and the SMS is stored', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CNMA')), ['+CMS ERROR: 340'], 'nothing to acknowledge');
  t.same(lines(await host.at('AT+CSMS=1')), ['+CSMS: 1,1,1', 'OK']);
  await host.at('AT+CNMI=2,2,0,1,0');
  let mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'routed one' });
  const urc = await host.waitFor(/\+CMT: ,\d+\r\n[0-9A-F]+\r\n/, mark);
  const pdu = /\+CMT: ,(\d+)\r\n([0-9A-F]+)/.exec(urc)!;
  t.equal(decodePdu(pdu[2]!).text, 'routed one');
  t.equal(decodePdu(pdu[2]!).tpduLength, Number(pdu[1]));
  mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'routed two' });
  await host.at('AT');
  t.notMatch(host.received().slice(mark), /\+CMT:/, 'the next waits for the acknowledgement');
  mark = host.mark();
  t.same(lines(await host.at('AT+CNMA')).slice(0, 1), ['OK']);
  await host.waitFor(/\+CMT: ,\d+\r\n[0-9A-F]+\r\n/, mark);
  t.equal(sim.modem.storage('SM').used, 0, 'routed messages are not stored');
  // No acknowledgement for the second one: 27.005 3.4.4 says routing goes off and mt/ds become 0.
  await clock.advance(15_000);
  t.same(sim.modem.settings.cnmi, [2, 0, 0, 0, 0]);
  t.equal(sim.modem.storage('SM').used, 1, 'the unacknowledged SMS is kept');
});

t.test('class 2 is stored on the SIM even when routing', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CPMS="ME","ME","ME"');
  await host.at('AT+CNMI=2,2,0,0,0');
  const mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'sim specific', class: 2 });
  t.match(await host.waitFor(/\+CMTI: "SM",1/, mark), /CMTI/);
});

t.test('CMGS: prompt, PDU + Ctrl-Z, incrementing TP-MR, length check, ESC cancels', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMEE=1');
  const { parts } = encodeSubmit({ to: '+491709876543', text: 'outgoing' });
  const part = parts[0]!;
  t.equal(await host.at(`AT+CMGS=${part.tpduLength}`), '\r\n> ');
  let mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  t.same(lines(await host.waitFor(/OK\r\n$/, mark)), ['+CMGS: 0', 'OK']);
  await host.at(`AT+CMGS=${part.tpduLength}`);
  mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  t.same(lines(await host.waitFor(/OK\r\n$/, mark)), ['+CMGS: 1', 'OK'], 'references increment');
  t.same(sim.sent().map((s) => [s.mr, s.to, s.text]), [[0, '+491709876543', 'outgoing'], [1, '+491709876543', 'outgoing']]);

  await host.at(`AT+CMGS=${part.tpduLength + 1}`);
  mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  t.same(lines(await host.waitFor(/ERROR[^\r]*\r\n$/, mark)), ['+CMS ERROR: 304'], 'length mismatch');

  await host.at(`AT+CMGS=${part.tpduLength}`);
  mark = host.mark();
  await host.write('0011\x1b');
  t.same(lines(await host.waitFor(/OK\r\n$/, mark)), ['OK'], 'ESC cancels');
  t.equal(sim.sent().length, 2);

  await host.at(`AT+CMGS=${part.tpduLength}`);
  mark = host.mark();
  await host.write('ZZ\x1a');
  t.same(lines(await host.waitFor(/ERROR[^\r]*\r\n$/, mark)), ['+CMS ERROR: 304'], 'not a PDU');

  sim.deregister();
  await host.at(`AT+CMGS=${part.tpduLength}`);
  mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  t.same(lines(await host.waitFor(/ERROR[^\r]*\r\n$/, mark)), ['+CMS ERROR: 331'], 'no network service');
});

t.test('TP-MR wraps at 255', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  sim.modem.nextMr = 255;
  const part = encodeSubmit({ to: '+491709876543', text: 'wrap' }).parts[0]!;
  for (const expected of [255, 0]) {
    await host.at(`AT+CMGS=${part.tpduLength}`);
    const mark = host.mark();
    await host.write(`${part.pdu}\x1a`);
    t.match(await host.waitFor(/OK\r\n$/, mark), `+CMGS: ${expected}`);
  }
});

async function send(host: Awaited<ReturnType<typeof setup>>['host'], to: string, text: string) {
  const part = encodeSubmit({ to, text, statusReport: true }).parts[0]!;
  await host.at(`AT+CMGS=${part.tpduLength}`);
  const mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  return Number(/\+CMGS: (\d+)/.exec(await host.waitFor(/OK\r\n$/, mark))![1]);
}

t.test('status reports: stored in SR with +CDSI, matching the mr; outcomes per recipient', async (t) => {
  const { sim, host, clock } = await setup({ delivery: { delayMs: 2000 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  sim.setDeliveryOutcome('+491700000002', 'failed', 1000);
  sim.setDeliveryOutcome('+491700000003', 'pending-then-delivered', 1000);
  const mr1 = await send(host, '+491700000001', 'one');
  const mr2 = await send(host, '+491700000002', 'two');
  const mr3 = await send(host, '+491700000003', 'three');
  const mark = host.mark();
  await clock.advance(999);
  t.notMatch(host.received().slice(mark), /CDSI/, 'nothing before the delay');
  await clock.advance(1);
  await host.waitFor(/\+CDSI: "SR",2\r\n/, mark);
  await clock.advance(1000);
  await host.waitFor(/\+CDSI: "SR",4\r\n/, mark);
  await host.at('AT+CPMS="SR"');
  const listing = lines(await host.at('AT+CMGL=4'));
  const reports = [];
  for (let i = 0; i < listing.length - 1; i += 2) reports.push(decodePdu(listing[i + 1]!));
  const summary = reports.map((r) => r.type === 'status-report' && [r.mr, r.recipient, r.status, r.state]);
  t.same(summary, [
    [mr2, '+491700000002', 0x41, 'failed'],
    [mr3, '+491700000003', 0x21, 'pending'],
    [mr1, '+491700000001', 0x00, 'delivered'],
    [mr3, '+491700000003', 0x00, 'delivered'],
  ]);
});

t.test('status report routed as +CDS when ds=1', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,1,0');
  const mr = await send(host, '+491700000001', 'one');
  const mark = host.mark();
  await clock.advance(3000);
  const urc = await host.waitFor(/\+CDS: \d+\r\n[0-9A-F]+\r\n/, mark);
  const m = /\+CDS: (\d+)\r\n([0-9A-F]+)/.exec(urc)!;
  const r = decodePdu(m[2]!);
  t.equal(r.type, 'status-report');
  t.equal(r.type === 'status-report' && r.mr, mr);
  t.equal(r.tpduLength, Number(m[1]));
  t.same(lines(await host.at('AT+CNMA')), ['OK']);
});

t.test('multipart out of order, with a part missing, 16-bit references', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  const r = sim.receiveSms({ from: '+491701234567', text: 'x', parts: 3, order: [3, 1, 2], ref16: true, dropPart: 2 });
  t.equal(r.parts, 3);
  const listing = lines(await host.at('AT+CMGL=4'));
  const decoded = [listing[1], listing[3]].map((p) => decodePdu(p!));
  t.same(decoded.map((d) => d.concat && [d.concat.part, d.concat.total, d.concat.ref16 ?? false]), [[3, 3, true], [1, 3, true]]);
  t.equal(decoded[0]!.concat!.ref, decoded[1]!.concat!.ref);
  t.throws(() => sim.receiveSms({ from: '+1', text: 'x', parts: 2, order: [1, 1] }), { code: 'invalid_argument' });
  t.throws(() => sim.receiveSms({ from: '', text: 'x' }), { code: 'invalid_argument' });
});

t.test('UCS2 and flash messages; 8-bit port-addressed data', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  sim.receiveSms({ from: '+491701234567', text: 'Привет 👋', class: 0 });
  sim.receiveSms({ from: '+491701234567', data: new Uint8Array([1, 2, 3]), port: { src: 0, dst: 2948 } });
  const listing = lines(await host.at('AT+CMGL=4'));
  const a = decodePdu(listing[1]!);
  const b = decodePdu(listing[3]!);
  t.equal(a.text, 'Привет 👋');
  t.equal(a.encoding, 'ucs2');
  t.equal(a.class, 0);
  t.same(b.port, { src: 0, dst: 2948 });
  t.same([...(b.data ?? [])], [1, 2, 3]);
});

t.test('storage: CPMS, full storage holds messages at the network until CMGD frees space', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT+CPMS=?')), ['+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")', 'OK']);
  t.same(lines(await host.at('AT+CPMS="ME","ME","ME"')), ['+CPMS: 0,100,0,100,0,100', 'OK']);
  t.same(lines(await host.at('AT+CPMS?')), ['+CPMS: "ME",0,100,"ME",0,100,"ME",0,100', 'OK']);
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CPMS="XX"')), ['+CMS ERROR: 302']);
  t.same(lines(await host.at('AT+CPMS="ME","SR"')), ['+CMS ERROR: 302'], 'SR only for reading');
  await host.at('AT+CNMI=2,1,0,2,0');
  sim.fault('storage-full');
  t.same(lines(await host.at('AT+CPMS?')), ['+CPMS: "ME",100,100,"ME",100,100,"ME",100,100', 'OK']);
  let mark = host.mark();
  sim.receiveSms({ from: '+491701234567', text: 'waits at the SC' });
  await host.at('AT');
  t.notMatch(host.received().slice(mark), /CMTI/);
  t.equal(sim.modem.networkQueue.length, 1);
  mark = host.mark();
  await host.at('AT+CMGD=1,1');
  await host.waitFor(/\+CMTI: "ME",1\r\n/, mark);
  t.same(lines(await host.at('AT+CPMS?'))[0], '+CPMS: "ME",1,100,"ME",1,100,"ME",1,100');
});

t.test('CMGD delete flags', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  for (let i = 0; i < 3; i++) sim.receiveSms({ from: '+491701234567', text: `m${i}` });
  await host.at('AT+CMGR=1');
  t.same(lines(await host.at('AT+CMGD=?')), ['+CMGD: (1,2,3),(0-4)', 'OK']);
  await host.at('AT+CMGD=0,1');
  t.same(sim.modem.storage('SM').list().map((m) => m.index), [2, 3], 'flag 1: read ones');
  await host.at('AT+CMGD=0,4');
  t.equal(sim.modem.storage('SM').used, 0, 'flag 4: all');
});

t.test('text mode: CMGL "ALL", CMGR, CMGS with a quoted number', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMGF=1');
  sim.receiveSms({ from: '+491701234567', text: 'plain text', timestamp: '2026-03-04T05:06:07+01:00' });
  t.same(lines(await host.at('AT+CMGL="ALL"')), ['+CMGL: 1,"REC UNREAD","+491701234567",,"26/03/04,05:06:07+04"', 'plain text', 'OK']);
  t.same(lines(await host.at('AT+CMGR=1')), ['+CMGR: "REC READ","+491701234567",,"26/03/04,05:06:07+04"', 'plain text', 'OK']);
  t.equal(await host.at('AT+CMGS="+491709876543"'), '\r\n> ');
  const mark = host.mark();
  await host.write('typed text\x1a');
  t.match(await host.waitFor(/OK\r\n$/, mark), /\+CMGS: 0/);
  t.equal(sim.sent()[0]!.text, 'typed text');
});
