// Fuzz: random and mutated PDUs may only ever throw PduDecodeError, never anything else, never hang.
import fc from 'fast-check';
import t from 'tap';
import { decodePdu, encodeDeliver, encodeStatusReport, encodeSubmit, PduDecodeError, toJSON } from '../../core/sms/index.ts';

function onlyDecodeErrors(hex: string, opts?: { tpduLength?: number; smsc?: boolean }): boolean {
  try {
    const d = decodePdu(hex, opts);
    JSON.stringify(toJSON(d)); // the CLI path must not throw either
    return true;
  } catch (err) {
    if (err instanceof PduDecodeError && typeof err.code === 'string' && Number.isInteger(err.offset)) return true;
    throw err;
  }
}

const seeds = [
  ...encodeSubmit({ to: '+4915112345678', text: 'Hello {world} €', statusReport: true, validityMinutes: 600 }).parts,
  ...encodeSubmit({ to: '12345', text: 'Ünïcødé 😀'.repeat(20), ref16: true }).parts,
  ...encodeDeliver({ from: 'Bank', text: 'x'.repeat(200), timestamp: '2024-02-29T23:59:59-03:30' }),
  ...encodeDeliver({ from: '+1', data: new Uint8Array(300).fill(7), port: { src: 9200, dst: 2948 } }),
  encodeStatusReport({ mr: 7, recipient: '+31628870634', scts: new Date(0), dischargeTime: new Date(1e12), status: 0x43 }),
].map((p) => p.pdu);

t.test('random bytes', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.integer({ min: -5, max: 300 })), (bytes, len) =>
    onlyDecodeErrors(Buffer.from(bytes).toString('hex'), len === null ? undefined : { tpduLength: len })), { numRuns: 3000 });
  t.pass('only PduDecodeError');
});

t.test('mutated valid PDUs: flipped bytes, truncation, junk', async (t) => {
  fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.nat(), fc.boolean(), fc.string({ maxLength: 4 }), (seed, flips, cut, doCut, junk) => {
      const bytes = Buffer.from(seed, 'hex');
      for (const [at, v] of flips) bytes[at % bytes.length] = v;
      const hex = bytes.toString('hex');
      const mutated = (doCut ? hex.slice(0, cut % (hex.length + 1)) : hex) + junk;
      return onlyDecodeErrors(mutated) && onlyDecodeErrors(mutated, { smsc: false }) && onlyDecodeErrors(mutated, { tpduLength: 20 });
    }), { numRuns: 3000 });
  t.pass('only PduDecodeError');
});

t.test('non-string and absurd input', async (t) => {
  for (const bad of [undefined, null, 42, {}, '0'.repeat(100_000), 'ff'.repeat(50_000)]) {
    t.ok(onlyDecodeErrors(bad as string), String(bad).slice(0, 20));
  }
});
