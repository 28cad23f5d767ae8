// receiveSms({ parts: n }) makes exactly n parts, whatever takes room in the UDH: an 8- or 16-bit
// concatenation reference, a port addressing IE; in every encoding.
import t from 'tap';
import fc from 'fast-check';
import { ManualClock } from '../../core/clock.ts';
import { decodePdu, reassemble, segments } from '../../core/sms/index.ts';
import { createSimulator, type ReceiveSmsOptions } from '../../simulator/index.ts';

function receive(opts: Omit<ReceiveSmsOptions, 'from'>) {
  const sim = createSimulator({ clock: new ManualClock() });
  try {
    const r = sim.receiveSms({ from: '+15550100200', ...opts });
    return { ...r, decoded: r.pdus.map((p) => decodePdu(p)) };
  } finally {
    sim.close();
  }
}

t.test('parts: 3 with a 16-bit reference is 3 parts', async (t) => {
  const r = receive({ text: 'Split ', parts: 3, ref16: true });
  t.equal(r.parts, 3);
  t.equal(r.pdus.length, 3);
  t.same(r.decoded.map((d) => d.concat && { total: d.concat.total, part: d.concat.part, ref16: d.concat.ref16 }), [
    { total: 3, part: 1, ref16: true }, { total: 3, part: 2, ref16: true }, { total: 3, part: 3, ref16: true },
  ]);
});

t.test('a port addressing IE counts too (it used to give one part more)', async (t) => {
  const r = receive({ text: 'x', parts: 3, port: { src: 0, dst: 5000 } });
  t.equal(r.parts, 3);
  t.same(r.decoded.map((d) => d.concat?.total), [3, 3, 3]);
  t.same(r.decoded.map((d) => d.port?.dst), [5000, 5000, 5000]);
  t.equal(segments('a'.repeat(153), { port: true }).parts, 2, 'segments({ port }) counts the port IE');
  t.equal(segments('a'.repeat(153)).parts, 1);
});

t.test('a UCS2 text with a GSM 7-bit prefix is counted in the encoding it is sent in', async (t) => {
  const r = receive({ text: 'Grüße aus Köln 😀', parts: 2 });
  t.equal(r.parts, 2);
  t.same(r.decoded.map((d) => d.encoding), ['ucs2', 'ucs2']);
});

t.test('255 parts of a short text', async (t) => {
  const r = receive({ text: 'x', parts: 255, ref16: true });
  t.equal(r.parts, 255);
});

t.test('any text, parts, reference size, port and encoding: exactly that many parts, reassembling to the text sent', async (t) => {
  const chars = fc.constantFrom('a', ' ', '€', '[', 'ü', '😀', 'Ж', '.', '\n', '{');
  fc.assert(fc.property(
    fc.array(chars, { minLength: 1, maxLength: 40 }).map((a) => a.join('')),
    fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean(), fc.constantFrom('auto', 'ucs2') as fc.Arbitrary<'auto' | 'ucs2'>,
    (text, parts, ref16, withPort, encoding) => {
      const port = withPort ? { src: 0, dst: 5000 } : undefined;
      if (segments(text, { encoding, ref16, port: withPort }).parts > parts) return; // too long for n parts: an error, tested elsewhere
      const r = receive({ text, parts, ref16, port, encoding });
      if (r.parts !== parts || r.decoded.length !== parts) throw new Error(`${r.parts} parts for ${parts}`);
      for (const d of r.decoded) if (parts > 1 && (d.concat?.total !== parts || Boolean(d.concat.ref16) !== ref16)) throw new Error('bad concat IE');
      if (parts > 1) {
        const whole = reassemble(r.decoded.map((d) => ({ concat: d.concat!, text: d.text })));
        if (!whole.complete || !whole.text.startsWith(text.slice(0, 1))) throw new Error('does not reassemble');
      }
    },
  ), { numRuns: 300 });
  t.pass('300 runs');
});

t.test('a text too long for the parts asked is an invalid_argument', async (t) => {
  t.throws(() => receive({ text: 'a'.repeat(400), parts: 2 }), { code: 'invalid_argument' });
});
