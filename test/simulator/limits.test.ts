import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createSimulator, type Simulator } from '../../simulator/index.ts';

/** Sends `count` SMS through the AT interface (stdio-style connection): AT+CMGS, prompt, PDU, +CMGS. */
async function sendMany(sim: Simulator, count: number): Promise<void> {
  let text = '';
  let wake: (() => void) | null = null;
  const conn = sim.connect((d) => {
    text += d.toString('latin1');
    wake?.();
  });
  const until = async (re: RegExp) => {
    while (!re.test(text)) await new Promise<void>((r) => (wake = r));
    text = '';
  };
  conn.write(Buffer.from('ATE0\r'));
  await until(/OK\r\n$/);
  for (let i = 0; i < count; i++) {
    const [part] = encodeSubmit({ to: '+15550300300', text: `message ${i}` }).parts;
    conn.write(Buffer.from(`AT+CMGS=${part!.tpduLength}\r`));
    await until(/> $/);
    conn.write(Buffer.from(`${part!.pdu}\x1a`));
    await until(/OK\r\n$/);
  }
  conn.close();
}

t.test('the transcript and sent() keep the last 1,000 entries by default: 3,000 SMS do not grow them', async (t) => {
  const sim = createSimulator({ clock: new ManualClock(0) });
  t.teardown(() => sim.close());
  await sendMany(sim, 3000);
  t.equal(sim.sent().length, 1000);
  t.equal(sim.modem.sent.length, 1000, 'the modem holds no more than it shows');
  t.equal(sim.sent().at(-1)!.text, 'message 2999', 'the newest are kept');
  t.equal(sim.sent()[0]!.text, 'message 2000');
  t.equal(sim.transcriptEntries().length, 1000);
  t.equal(sim.transcript().trimEnd().split('\n').length, 1000);
  t.match(sim.transcriptEntries().at(-1), { dir: '<', text: 'OK' });
});

t.test('the limits are options: a test that needs everything raises them', async (t) => {
  const sim = createSimulator({ clock: new ManualClock(0), transcriptLimit: 10_000, sentLimit: Infinity });
  t.teardown(() => sim.close());
  await sendMany(sim, 1500);
  t.equal(sim.sent().length, 1500);
  t.equal(sim.transcriptEntries().length, 2 + 1500 * 5, 'ATE0 and OK, then per SMS: command, prompt, PDU, +CMGS, OK');
  const small = createSimulator({ clock: new ManualClock(0), transcriptLimit: 3, sentLimit: 2 });
  t.teardown(() => small.close());
  await sendMany(small, 5);
  t.equal(small.sent().length, 2);
  t.equal(small.transcriptEntries().length, 3);
  t.throws(() => createSimulator({ sentLimit: -1 }), { code: 'invalid_argument' });
});
