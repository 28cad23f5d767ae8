import t from 'tap';
import { decodePdu } from '../../core/sms/index.ts';
import { scenarios } from '../../simulator/index.ts';
import { lines, openHost, setup } from './helpers.ts';

t.test('locked SIM', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await scenarios['locked-sim'].run(sim, { pin: '2468' });
  t.same(lines(await host.at('AT+CPIN?')), ['+CPIN: SIM PIN', 'OK']);
  t.same(lines(await host.at('AT+CPIN="2468"')), ['OK']);
  await scenarios['locked-sim'].run(sim, { puk: true });
  t.same(lines(await host.at('AT+CPIN?')), ['+CPIN: SIM PUK', 'OK']);
});

t.test('no network, then registered', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CREG=1');
  const before = host.mark();
  const done = scenarios['no-network'].run(sim, { afterMs: 30_000 });
  await host.waitFor(/\+CREG: 2\r\n/, before);
  t.same(lines(await host.at('AT+CREG?')), ['+CREG: 1,2', 'OK']);
  const mark = host.mark();
  await clock.advance(30_000);
  await done;
  await host.waitFor(/\+CREG: 1\r\n/, mark);
});

t.test('weak signal with flickers', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  const done = scenarios['weak-signal'].run(sim, { rssi: 4, flickers: 1, everyMs: 1000 });
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 4,99', 'OK']);
  await clock.advance(1000);
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 99,99', 'OK']);
  await clock.advance(1000);
  await done;
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 4,99', 'OK']);
});

t.test('burst of incoming SMS', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  const mark = host.mark();
  await scenarios.burst.run(sim, { count: 25 });
  await host.waitFor(/\+CMTI: "SM",25\r\n/, mark);
  t.equal((host.received().slice(mark).match(/\+CMTI:/g) ?? []).length, 25);
  const listing = lines(await host.at('AT+CMGL=4'));
  t.equal(listing.length, 51);
  t.equal(decodePdu(listing[49]!).text, 'Burst message 25 of 25');
});

t.test('multipart out of order with a missing part', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await scenarios['multipart-out-of-order'].run(sim, { parts: 4, dropPart: 2 });
  const listing = lines(await host.at('AT+CMGL=4'));
  const parts = listing.filter((_, i) => i % 2 === 1 && i < listing.length - 1).map((p) => decodePdu(p).concat?.part);
  t.same(parts, [4, 1, 3]);
});

t.test('USB unplug and back', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(() => sim.close());
  const closed = new Promise((r) => host.port.once('close', r));
  const done = scenarios['usb-unplug'].run(sim, { awayMs: 2000 });
  await closed;
  await t.rejects(openHost(sim.path, sim.binding));
  await clock.advance(2000);
  await done;
  const again = await openHost(sim.path, sim.binding);
  t.same(lines(await again.at('AT')), ['OK']);
  await again.close();
});

t.test('modem hang', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await scenarios.hang.run(sim, { ms: 10_000 });
  const mark = host.mark();
  await host.write('AT+CSQ\r');
  await clock.advance(9_999);
  t.equal(host.received().slice(mark), '');
  await clock.advance(1);
  t.same(lines(await host.at('AT')), ['OK']);
});
