// The timing model on a ManualClock: nothing leaves before its time, everything leaves once the clock
// has moved far enough. No real waiting.
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createSimulator, SimulatorError, type CreateSimulatorOptions } from '../../simulator/index.ts';
import { Timing } from '../../simulator/timing.ts';
import { openHost } from './helpers.ts';

/** A timed simulator with a host; echo switched off (by advancing the clock through ATE0's answer). */
async function timed(opts: CreateSimulatorOptions) {
  const clock = new ManualClock();
  const sim = createSimulator({ ...opts, clock });
  const host = await openHost(sim.path, sim.binding);
  const from = host.mark();
  await host.write('ATE0\r');
  await clock.advance(1000);
  await host.waitFor(/OK\r\n$/, from);
  return { sim, host, clock };
}

/** Moves the clock in steps until `re` shows up after `from`; returns the clock time it took. */
async function timeUntil(clock: ManualClock, host: { received(): string }, re: RegExp, from: number, stepMs = 1, maxMs = 60_000): Promise<number> {
  const t0 = clock.now();
  while (!re.test(host.received().slice(from))) {
    if (clock.now() - t0 > maxMs) throw new Error(`no ${re} within ${maxMs} ms`);
    await clock.advance(stepMs);
  }
  return clock.now() - t0;
}

t.test('off by default: an answer needs no clock at all', async (t) => {
  const clock = new ManualClock();
  const sim = createSimulator({ clock });
  t.teardown(() => sim.close());
  t.equal(sim.timing, null);
  const host = await openHost(sim.path, sim.binding);
  t.teardown(() => host.close());
  t.match(await host.at('AT'), /OK\r\n$/);
  t.equal(clock.pending, 0, 'no timer was set');
});

t.test('a command takes its wire time both ways and the profile latency', async (t) => {
  const { sim, host, clock } = await timed({ profile: 'sim800', timing: { baud: 9600 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.equal(sim.timing!.baud, 9600);
  const from = host.mark();
  await host.write('AT+CSQ\r');
  // 7 bytes in (7.3 ms), 20 ms SIM800 latency, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n" = 21 bytes out (21.9 ms).
  const ms = await timeUntil(clock, host, /OK\r\n$/, from);
  t.ok(ms >= 48 && ms <= 51, `took ${ms} ms on the clock`);
});

t.test('the line speed is the host\'s open() rate unless set', async (t) => {
  const { sim, host } = await timed({ timing: true });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.equal(sim.timing!.baud, 115200, 'the helper opens at 115200');
  t.equal(sim.timing!.wireMs(1152), 100);
});

t.test('a listing takes as long as its bytes on the wire, and the SIM access', async (t) => {
  const inbox = Array.from({ length: 10 }, (_, i) => ({ from: `+1555010${String(i).padStart(4, '0')}`, text: `message ${i} `.repeat(10) }));
  const { sim, host, clock } = await timed({ profile: 'sim800', timing: { baud: 9600 }, inbox });
  t.teardown(async () => { await host.close(); sim.close(); });
  const from = host.mark();
  await host.write('AT+CMGL=4\r');
  const ms = await timeUntil(clock, host, /OK\r\n$/, from, 5);
  const bytes = Buffer.byteLength(host.received().slice(from), 'latin1');
  const expected = (10 * 1000 * (bytes + 'AT+CMGL=4\r'.length)) / 9600 + 60;
  t.ok(bytes > 2000, `${bytes} bytes listed`);
  t.ok(ms >= expected - 1 && ms <= expected + 10, `took ${ms} ms, the wire and SIM need ${expected.toFixed(0)} ms`);
});

t.test('+CMGS takes the network time; its status report follows reportDelayMs after the answer', async (t) => {
  const { sim, host, clock } = await timed({ timing: { networkMs: 4000, jitterMs: 0, reportDelayMs: 2000 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.write('AT+CNMI=2,1,0,2,0\r');
  await clock.advance(100);
  const part = encodeSubmit({ to: '+491700000001', text: 'timed', statusReport: true }).parts[0]!;
  let from = host.mark();
  await host.write(`AT+CMGS=${part.tpduLength}\r`);
  await timeUntil(clock, host, /> $/, from);
  from = host.mark();
  await host.write(`${part.pdu}\x1a`);
  const sendMs = await timeUntil(clock, host, /\+CMGS: 0\r\n\r\nOK\r\n/, from, 10);
  t.ok(sendMs >= 4000 && sendMs <= 4020, `+CMGS answered after ${sendMs} ms`);
  t.equal(sim.sent().length, 1);
  from = host.mark();
  const reportMs = await timeUntil(clock, host, /\+CDSI: "SR",1\r\n/, from, 10);
  t.ok(reportMs >= 1990 && reportMs <= 2010, `status report ${reportMs} ms after the answer`);
});

t.test('the jitter is seeded: networkSequence predicts what the sends take', async (t) => {
  const { sim, host, clock } = await timed({ timing: { networkMs: 2000, jitterMs: 500, seed: 7 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  const expected = sim.timing!.networkSequence(3);
  t.ok(expected.every((ms) => ms >= 1500 && ms <= 2500), `${expected}`);
  t.not(expected[0], expected[1], 'it varies');
  const part = encodeSubmit({ to: '+491700000001', text: 'x' }).parts[0]!;
  for (const want of expected) {
    await host.write(`AT+CMGS=${part.tpduLength}\r`);
    await clock.advance(50);
    const from = host.mark();
    await host.write(`${part.pdu}\x1a`);
    const ms = await timeUntil(clock, host, /OK\r\n$/, from, 1);
    t.ok(ms >= want && ms <= want + 5, `took ${ms}, predicted ${want}`);
  }
  t.same(new Timing({ networkMs: 2000, jitterMs: 500, seed: 7 }, { commandMs: 0, storageMs: 0 }).networkSequence(3), expected, 'same seed, same sequence');
});

t.test('URCs wait behind an answer in progress and take their wire time', async (t) => {
  const { sim, host, clock } = await timed({ timing: { networkMs: 1000, jitterMs: 0 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.write('AT+CNMI=2,1,0,0,0\r');
  await clock.advance(100);
  const part = encodeSubmit({ to: '+491700000001', text: 'x' }).parts[0]!;
  await host.write(`AT+CMGS=${part.tpduLength}\r`);
  await clock.advance(50);
  const from = host.mark();
  await host.write(`${part.pdu}\x1a`);
  await clock.advance(100);
  sim.receiveSms({ from: '+15550001', text: 'while sending' });
  await clock.advance(100);
  t.equal(host.received().slice(from), '', 'the modem is busy on the air');
  await timeUntil(clock, host, /\+CMTI: "SM",1\r\n/, from);
  t.match(host.received().slice(from), /^\r\n\+CMGS: 0\r\n\r\nOK\r\n\r\n\+CMTI/, 'the answer first, then the indication');
});

t.test('closing the simulator cancels what is still on the line', async (t) => {
  const { sim, host, clock } = await timed({ timing: { networkMs: 1000 } });
  await host.write('AT\r');
  sim.close();
  await clock.advance(1000);
  await host.close();
  t.equal(clock.pending, 0, 'no sleeper left behind');
});

t.test('bad timing settings are refused with a plain message', async (t) => {
  t.throws(() => createSimulator({ timing: { baud: 10 } }), new SimulatorError('invalid_argument', 'timing.baud must be 50 bit/s or more'));
  t.throws(() => createSimulator({ timing: { networkMs: -1 } }), new SimulatorError('invalid_argument', 'timing.networkMs must be a number of 0 or more'));
});
