// A sender that splits UCS2 text at any code unit (23.038 6.2.3 does not forbid it) can leave half an
// emoji at the end of one part and half at the start of the next. Each part alone shows U+FFFD; joined,
// the character comes back.
import t from 'tap';
import { decodePdu, joinText, reassemble, toJSON, type DecodedDeliver } from '../../core/sms/index.ts';
import { SPLIT_EMOJI, splitPart } from './split.ts';

t.test('each part alone: U+FFFD in text, the code units in utf16', async (t) => {
  const [a, b] = SPLIT_EMOJI.map((p) => decodePdu(p) as DecodedDeliver);
  t.equal(a!.text, 'Hi \uFFFD');
  t.equal(a!.utf16, 'Hi \uD83D');
  t.equal(b!.text, '\uFFFD!');
  t.equal(b!.utf16, '\uDE00!');
  t.same(a!.concat, { ref: 0x2a, total: 2, part: 1 });
  t.notOk('utf16' in toJSON(a!), 'the CLI JSON contract is unchanged');
  t.notOk('utf16' in decodePdu(splitPart(1, 2, [0xd83d, 0xde00])), 'no utf16 when every pair is whole');
});

t.test('reassemble joins the halves, in any order', async (t) => {
  const parts = SPLIT_EMOJI.map((p) => decodePdu(p) as DecodedDeliver);
  const fragments = parts.map((p) => ({ concat: p.concat!, text: p.text, utf16: p.utf16 }));
  t.same(reassemble(fragments), { complete: true, text: 'Hi 😀!' });
  t.same(reassemble([...fragments].reverse()), { complete: true, text: 'Hi 😀!' });
  t.same(reassemble(fragments.map(({ concat, text }) => ({ concat, text }))), { complete: true, text: 'Hi \uFFFD\uFFFD!' }, 'without utf16: replaced');
});

t.test('halves that do not meet stay U+FFFD', async (t) => {
  const p1 = decodePdu(splitPart(1, 3, [0x41, 0xd83d])) as DecodedDeliver;
  const p3 = decodePdu(splitPart(3, 3, [0xde00, 0x42])) as DecodedDeliver;
  const f = [p1, p3].map((p) => ({ concat: p.concat!, text: p.text, utf16: p.utf16 }));
  t.equal(joinText(f), 'A\uFFFD\uFFFDB', 'part 2 missing: no pair made across the gap');
  const alone = decodePdu(splitPart(1, 2, [0xdc00, 0x41, 0xd800, 0x42, 0xd83d])) as DecodedDeliver;
  const next = decodePdu(splitPart(2, 2, [0x43])) as DecodedDeliver;
  const whole = reassemble([alone, next].map((p) => ({ concat: p.concat!, text: p.text, utf16: p.utf16 })));
  t.same(whole, { complete: true, text: '\uFFFDA\uFFFDB\uFFFDC' }, 'lone surrogates inside a part, or without a partner next door');
  t.ok(whole.complete && whole.text.isWellFormed());
});
