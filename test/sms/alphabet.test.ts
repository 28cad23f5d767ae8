import t from 'tap';
import { DEFAULT_TABLE, LOCKING_TABLES, SINGLE_TABLES } from '../../core/sms/alphabet.ts';
import { decodePdu, decodeGsm7Packed, encodeGsm7Packed, decodeUcs2Hex, segments } from '../../core/sms/index.ts';

/** Packs septet values after `fill` zero bits (23.038 6.1.2.1.1), as hex. */
function pack(septets: number[], fill = 0): string {
  const bytes: number[] = [];
  let acc = 0;
  let bits = fill;
  for (const s of septets) {
    acc |= s << bits;
    bits += 7;
    while (bits >= 8) { bytes.push(acc & 0xff); acc >>>= 8; bits -= 8; }
  }
  if (bits > 0) bytes.push(acc & 0xff);
  return Buffer.from(bytes).toString('hex');
}

/** An SMS-DELIVER from +12345 with a UDH of `ies` (hex) and GSM 7-bit `septets`. */
function deliverWith(ies: string, septets: number[]): string {
  const udhOctets = ies.length / 2 + 1;
  const headerSeptets = Math.ceil((udhOctets * 8) / 7);
  const fill = headerSeptets * 7 - udhOctets * 8;
  const udl = headerSeptets + septets.length;
  const ud = (udhOctets - 1).toString(16).padStart(2, '0') + ies + pack(septets, fill);
  return '00' + '44' + '0691214365' + '0000' + '42502112000000' + udl.toString(16).padStart(2, '0') + ud;
}

/** An SMS-DELIVER from +123456 without a UDH, GSM 7-bit `septets`. */
function deliverPlain(septets: number[]): string {
  return '00' + '04' + '0691214365' + '0000' + '42502112000000' + septets.length.toString(16).padStart(2, '0') + pack(septets);
}

t.test('tables are 128 positions each, ESC at 0x1B', async (t) => {
  for (const [id, table] of [...LOCKING_TABLES, ...SINGLE_TABLES]) t.equal(table.length, 128, `table ${id}`);
  for (const [id, table] of LOCKING_TABLES) t.equal(table.charCodeAt(0x1b), 0xffff, `locking ${id} ESC`);
  t.equal(DEFAULT_TABLE[0x00], '@');
  t.equal(DEFAULT_TABLE[0x11], '_');
  t.equal(DEFAULT_TABLE[0x7f], 'à');
});

t.test('default alphabet and extension table through a PDU (3GPP "hellohello" packing)', async (t) => {
  // 23.038 6.1.2.1.1 example: "hellohello" packs to E8329BFD4697D9EC37.
  t.equal(encodeGsm7Packed('hellohello'), 'E8329BFD4697D9EC37');
  t.equal(decodeGsm7Packed('E8329BFD4697D9EC37'), 'hellohello');
  const ext = [0x1b, 0x65, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x3d, 0x1b, 0x14, 0x1b, 0x2f, 0x1b, 0x40, 0x1b, 0x0a];
  t.equal(decodePdu(deliverPlain(ext)).text, '€{}[]~^\\|\f');
});

t.test('national language shift tables selected by UDH IEs 0x24 and 0x25', async (t) => {
  // Turkish single shift (A.2.1): ESC 0x69 ı, ESC 0x67 ğ, ESC 0x73 ş, ESC 0x65 €.
  t.equal(decodePdu(deliverWith('240101', [0x1b, 0x69, 0x1b, 0x67, 0x1b, 0x73, 0x1b, 0x65, 0x41])).text, 'ığş€A');
  // Turkish locking shift (A.3.1): 0x07 ı, 0x0B Ğ, 0x1C Ş, 0x40 İ, 0x60 ç.
  t.equal(decodePdu(deliverWith('250101', [0x07, 0x0b, 0x1c, 0x40, 0x60, 0x41])).text, 'ıĞŞİçA');
  // Spanish single shift (A.2.2): ESC 0x09 ç, ESC 0x41 Á, ESC 0x75 ú.
  t.equal(decodePdu(deliverWith('240102', [0x1b, 0x09, 0x1b, 0x41, 0x1b, 0x75])).text, 'çÁú');
  // Portuguese locking + single shift (A.3.3, A.2.3): 0x04 ê, 0x60 ~, 0x7D `, ESC 0x5B Ã.
  const pt = decodePdu(deliverWith('2501032401' + '03', [0x04, 0x60, 0x7d, 0x1b, 0x5b]));
  t.equal(pt.text, 'ê~`Ã');
  t.same(pt.language, { locking: 3, single: 3 });
  // Hindi locking shift (A.3.6): 0x15 क, 0x3E फ, 0x61 a; the Indian tables keep LF/CR/digits in place.
  t.equal(decodePdu(deliverWith('250106', [0x15, 0x3e, 0x61, 0x0a, 0x31])).text, 'कफa\n1');
  // An unknown language id falls back to the default tables rather than failing.
  t.equal(decodePdu(deliverWith('25010D', [0x48, 0x69])).text, 'Hi');
  // A single-shift code the table lacks shows the main-table character (23.038 6.2.1.1 note).
  t.equal(decodePdu(deliverWith('240101', [0x1b, 0x41])).text, 'A');
});

t.test('fill bits between a UDH and 7-bit text for every header length', async (t) => {
  for (const ies of ['', '0000', '00030A0201', '08040A0B0201', '050415780000', '0003010101' + '240101']) {
    const d = decodePdu(deliverWith(ies, [0x48, 0x65, 0x6c, 0x6c, 0x6f]));
    t.equal(d.text, 'Hello', `UDH ${ies || '(empty)'}`);
  }
});

t.test('UCS2: surrogate pairs, dangling surrogates become U+FFFD', async (t) => {
  t.equal(decodeUcs2Hex('D83DDE00'), '😀');
  t.equal(decodeUcs2Hex('0041D83D'), 'A\ufffd');
  t.equal(decodeUcs2Hex('DE000041'), '\ufffdA');
  t.equal(decodeUcs2Hex('D83D0041'), '\ufffdA');
  const d = decodePdu('0004000000081010100000000006d83dde01d83d');
  t.equal(d.text, '😁\ufffd');
});

t.test('USSD packing pads with CR, not @ (23.038 6.1.2.3.1)', async (t) => {
  const seven = encodeGsm7Packed('1234567'); // 7 septets leave 7 spare bits: CR fills them
  t.equal(seven.length, 14);
  t.equal(decodeGsm7Packed(seven), '1234567');
  t.equal(decodeGsm7Packed(encodeGsm7Packed('*100#')), '*100#');
  t.equal(decodeGsm7Packed(encodeGsm7Packed('line\r')), 'line\r');
  // A wanted CR ending on an octet boundary gets a second CR; the spec defines CR CR as equal to CR.
  t.equal(encodeGsm7Packed('abcdefg\r'), encodeGsm7Packed('abcdefg\r\r'));
  t.equal(decodeGsm7Packed(encodeGsm7Packed('abcdefg\r')), 'abcdefg\r\r');
});

t.test('segments: encoding choice, limits, escape and surrogate boundaries', async (t) => {
  t.same(segments(''), { encoding: 'gsm7', parts: 1, unitsUsed: 0, unitsLeft: 160, perPart: 160 });
  t.same(segments('a'.repeat(160)), { encoding: 'gsm7', parts: 1, unitsUsed: 160, unitsLeft: 0, perPart: 160 });
  t.same(segments('a'.repeat(161)), { encoding: 'gsm7', parts: 2, unitsUsed: 161, unitsLeft: 145, perPart: 153 });
  t.same(segments('a'.repeat(161), { ref16: true }), { encoding: 'gsm7', parts: 2, unitsUsed: 161, unitsLeft: 143, perPart: 152 });
  t.same(segments('€'.repeat(80)), { encoding: 'gsm7', parts: 1, unitsUsed: 160, unitsLeft: 0, perPart: 160 });
  // 152 septets then an escape pair: the pair does not fit the first part's last septet, so it moves whole.
  t.same(segments('a'.repeat(152) + '€' + 'a'.repeat(10)), { encoding: 'gsm7', parts: 2, unitsUsed: 164, unitsLeft: 141, perPart: 153 });
  t.same(segments('ä'.repeat(70)), { encoding: 'gsm7', parts: 1, unitsUsed: 70, unitsLeft: 90, perPart: 160 });
  t.same(segments('й'.repeat(70)), { encoding: 'ucs2', parts: 1, unitsUsed: 70, unitsLeft: 0, perPart: 70 });
  t.same(segments('й'.repeat(71)), { encoding: 'ucs2', parts: 2, unitsUsed: 71, unitsLeft: 63, perPart: 67 });
  t.same(segments('й'.repeat(71), { ref16: true }).perPart, 66);
  // 66 units then an emoji: the pair moves to part 2 whole.
  t.same(segments('й'.repeat(66) + '😀' + 'й'.repeat(3)), { encoding: 'ucs2', parts: 2, unitsUsed: 71, unitsLeft: 62, perPart: 67 });
  t.same(segments('hello', { encoding: 'ucs2' }), { encoding: 'ucs2', parts: 1, unitsUsed: 5, unitsLeft: 65, perPart: 70 });
  t.throws(() => segments('й', { encoding: 'gsm7' }), { code: 'charset' });
});
