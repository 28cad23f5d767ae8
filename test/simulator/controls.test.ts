// serialport's control calls on a simulated port (what gammu-style hosts and serialport's own
// stream use): a baud rate change, DTR/RTS, reading the modem lines, flush and drain; the modem
// keeps answering through all of them.
import t from 'tap';
import { createSimulator } from '../../simulator/index.ts';
import { ManualClock } from '../../core/clock.ts';
import { lines, openHost } from './helpers.ts';

t.test('update, set, get, flush and drain work and leave the modem answering', async (t) => {
  const sim = createSimulator({ clock: new ManualClock() });
  t.teardown(() => sim.close());
  const host = await openHost(sim.path, sim.binding);
  t.teardown(() => host.close());
  await host.at('ATE0');
  const port = host.port;
  const cb = (f: (done: (err?: Error | null) => void) => void) => new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())));

  t.equal(port.baudRate, 115200);
  await cb((done) => port.update({ baudRate: 9600 }, done));
  t.equal(port.baudRate, 9600, 'the stream reports the new rate');
  t.equal(await (port.port as unknown as { getBaudRate(): Promise<{ baudRate: number }> }).getBaudRate().then((r) => r.baudRate), 9600, 'and the binding holds it');
  t.match((port.port as unknown as { openOptions: { path: string } }).openOptions, { path: sim.path });

  await cb((done) => port.set({ dtr: false, rts: false }, done));
  await cb((done) => port.set({ dtr: true, rts: true }, done));
  const status = await new Promise<Record<string, boolean>>((resolve, reject) => port.get((err, s) => (err ? reject(err) : resolve(s as unknown as Record<string, boolean>))));
  t.match(status, { cts: Boolean, dsr: Boolean, dcd: Boolean }, 'the modem lines are read');

  await cb((done) => port.flush(done));
  t.same(lines(await host.at('AT')), ['OK'], 'answers after a flush');
  const mark = host.mark();
  port.write('ATI\r');
  await cb((done) => port.drain(done));
  await host.waitFor(/IMEI: \d+\r\n[\s\S]*OK\r\n$/, mark);
  t.same(lines(await host.at('AT+CMEE=1')), ['OK'], 'and after a drain');
});
