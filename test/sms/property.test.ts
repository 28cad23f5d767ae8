// Property tests: round trips through encode/decode and the segmentation invariants (fast-check).
import fc from 'fast-check';
import t from 'tap';
import { DEFAULT_TABLE, SINGLE_TABLES } from '../../core/sms/alphabet.ts';
import { decodePdu, encodeDeliver, encodeSubmit, reassemble, segments, type Concat } from '../../core/sms/index.ts';

const gsmChars = [...DEFAULT_TABLE, ...SINGLE_TABLES.get(0)!].filter((c) => c !== '\uffff');
const gsmText = fc.array(fc.constantFrom(...gsmChars), { maxLength: 500 }).map((a) => a.join(''));
const anyText = fc.string({ unit: 'binary', maxLength: 300 }); // includes astral characters (surrogate pairs)
const number = fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,15}$/)).map(([intl, d]) => (intl ? '+' : '') + d);

function joinParts(pdus: { pdu: string; tpduLength: number }[]): { text: string; concat: (Concat | null)[] } {
  const decoded = pdus.map((p) => decodePdu(p.pdu, { tpduLength: p.tpduLength }));
  const concat = decoded.map((d) => d.concat);
  if (decoded.length === 1) return { text: decoded[0]!.text ?? '', concat };
  const whole = reassemble(decoded.map((d) => ({ concat: d.concat!, text: d.text })));
  return { text: whole.complete ? whole.text : '<incomplete>', concat };
}

t.test('GSM 7-bit text round-trips through SMS-SUBMIT in gsm7 and ucs2', async (t) => {
  fc.assert(fc.property(gsmText, number, fc.boolean(), (text, to, ref16) => {
    for (const encoding of ['gsm7', 'ucs2'] as const) {
      const out = encodeSubmit({ to, text, encoding, ref16 });
      if (out.encoding !== encoding) return false;
      const back = joinParts(out.parts);
      if (back.text !== text) return false;
      if (decodePdu(out.parts[0]!.pdu).type !== 'submit') return false;
    }
    return true;
  }), { numRuns: 300 });
  t.pass('held');
});

t.test('any string (well-formed UTF-16) round-trips with auto encoding, surrogate pairs intact', async (t) => {
  fc.assert(fc.property(anyText, number, (text, from) => {
    const parts = encodeDeliver({ from, text, timestamp: new Date(0) });
    const back = joinParts(parts);
    return back.text === text && parts.every((p) => decodePdu(p.pdu).type === 'deliver');
  }), { numRuns: 300 });
  t.pass('held');
});

t.test('segmentation invariants: parts match the encoder, never over capacity', async (t) => {
  fc.assert(fc.property(fc.oneof(gsmText, anyText), fc.boolean(), (text, ref16) => {
    const seg = segments(text, { ref16 });
    const out = encodeSubmit({ to: '+100', text, ref16 });
    if (seg.parts !== out.parts.length || seg.encoding !== out.encoding) return false;
    if (seg.unitsLeft < 0 || seg.unitsLeft > seg.perPart) return false;
    const single = seg.encoding === 'gsm7' ? 160 : 70;
    const multi = seg.encoding === 'gsm7' ? (ref16 ? 152 : 153) : (ref16 ? 66 : 67);
    if (seg.parts === 1 ? seg.perPart !== single || seg.unitsUsed > single : seg.perPart !== multi) return false;
    // Every PDU fits the 140-octet user data limit and the parts reassemble in any order.
    for (const p of out.parts) {
      const d = decodePdu(p.pdu);
      if (d.encoding === 'gsm7' ? d.udl > 160 : d.udl > 140) return false;
      if (d.text && d.text.length > 0) {
        const last = d.text.charCodeAt(d.text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) return false; // a split surrogate pair
      }
    }
    return true;
  }), { numRuns: 300 });
  t.pass('held');
});

t.test('reassembly accepts any order and duplicates', async (t) => {
  fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (texts, extra) => {
    const total = texts.length;
    const parts = texts.map((text, i) => ({ concat: { ref: 9, total, part: i + 1 }, text }));
    const shuffled = [...parts, ...extra.map((n) => parts[n % total]!)].sort(() => 0.5 - Math.random());
    const r = reassemble(shuffled);
    if (!r.complete || r.text !== texts.join('')) return false;
    if (total === 1) return true;
    const missing = reassemble(parts.filter((p) => p.concat.part !== total));
    return !missing.complete && missing.missing.join() === String(total) && missing.total === total;
  }));
  t.pass('held');
});
