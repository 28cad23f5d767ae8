import t from 'tap';
import { encodeSubmit } from '../../core/sms/index.ts';
import { lines, openHost, setup } from './helpers.ts';

t.test('garbage, dropped characters, slow answers', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  sim.fault('garbage');
  const mark = host.mark();
  await host.write('AT\r');
  const got = await host.waitFor(/OK\r\n/, mark);
  t.ok(got.startsWith('\xff\xfe\x00'), 'garbage before the answer');
  t.same(lines(await host.at('AT')), ['OK'], 'once');
  sim.fault('drop-chars', { chars: 2 });
  t.same(lines(await host.at('AT+CGMM')), ['SIMULAT-3GPP', 'OK'], 'two characters lost mid-line');
  sim.fault('slow', { ms: 4000 });
  const m2 = host.mark();
  await host.write('AT\r');
  await clock.advance(3999);
  t.equal(host.received().slice(m2), '', 'not yet');
  await clock.advance(1);
  await host.waitFor(/OK/, m2);
  sim.clearFaults();
  t.same(lines(await host.at('AT')), ['OK']);
});

t.test('hang: no answer until the port is reopened (or for a time)', async (t) => {
  const { sim, host, clock } = await setup();
  t.teardown(() => sim.close());
  sim.fault('hang');
  const mark = host.mark();
  await host.write('AT\r');
  await clock.advance(60_000);
  t.equal(host.received().slice(mark), '');
  await host.close();
  const again = await openHost(sim.path, sim.binding);
  t.same(lines(await again.at('AT')), ['OK', 'OK'].slice(1), 'answers after reopening');
  sim.fault('hang', { ms: 5000 });
  const m2 = again.mark();
  await again.write('AT\r');
  await clock.advance(5000);
  t.equal(again.received().slice(m2), '');
  t.same(lines(await again.at('AT')), ['OK'], 'answers again after the time');
  await again.close();
});

t.test('URC inside a response', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  sim.receiveSms({ from: '+491701234567', text: 'first' });
  sim.fault('urc-inside-response');
  const answer = lines(await host.at('AT+CMGL=4'));
  t.match(answer[0], /^\+CMGL: 1,0,,/);
  t.equal(answer[1], '+CMTI: "SM",2', 'the indication sits between the header and the PDU');
  t.equal(sim.modem.storage('SM').used, 2);
});

t.test('+CMS ERROR 500/304/330 on the next send', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CMEE=1');
  const part = encodeSubmit({ to: '+491709876543', text: 'x' }).parts[0]!;
  for (const code of [500, 304, 330, null]) {
    if (code) sim.fault(`cms-${code}` as 'cms-500');
    await host.at(`AT+CMGS=${part.tpduLength}`);
    const mark = host.mark();
    await host.write(`${part.pdu}\x1a`);
    const got = await host.waitFor(/(OK|ERROR: \d+)\r\n$/, mark);
    t.match(got, code ? `+CMS ERROR: ${code}` : '+CMGS: 0');
  }
  t.throws(() => sim.fault('nope' as 'hang'), { code: 'unknown_fault' });
});
