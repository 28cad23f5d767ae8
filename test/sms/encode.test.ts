import t from 'tap';
import {
  decodePdu, encodeDeliver, encodeStatusReport, encodeSubmit, relativeMinutes, relativeValidity, SmsEncodeError, statusState,
} from '../../core/sms/index.ts';

t.test('SMS-SUBMIT matches a known PDU byte for byte', async (t) => {
  const out = encodeSubmit({ to: '+27820001111', text: 'Hello World!' });
  t.same(out, { encoding: 'gsm7', parts: [{ pdu: '0001000B917228001011F100000CC8329BFD065DDF72363904', tpduLength: 24 }] });
});

t.test('SMS-SUBMIT flags: status report, validity, class 0, SMSC, MR', async (t) => {
  const [part] = encodeSubmit({ to: '0171234567', text: 'flash', statusReport: true, validityMinutes: 24 * 60, class0: true, smsc: '+491710760000', mr: 17 }).parts;
  const d = decodePdu(part!.pdu, { tpduLength: part!.tpduLength });
  t.match(d, {
    type: 'submit', smsc: '+491710760000', to: '0171234567', toAddress: { ton: 0, npi: 1 }, mr: 17, class: 0,
    statusReportRequest: true, validity: { format: 'relative', octet: 167, minutes: 1440 }, text: 'flash',
  });
  t.equal(part!.pdu.slice(0, 16), '0791947101670000', 'SMSC field: length 7, TOA 91, semi-octets with F filler');
});

t.test('relative validity period rounds up to what 9.2.3.12.1 can express', async (t) => {
  for (const [min, octet] of [[1, 0], [5, 0], [6, 1], [720, 143], [721, 144], [1440, 167], [2 * 1440, 168], [30 * 1440, 196], [31 * 1440, 197], [635040, 255]]) {
    t.equal(relativeValidity(min!), octet, `${min} minutes`);
    t.ok(relativeMinutes(octet!) >= min!, `octet ${octet} covers ${min}`);
  }
  t.throws(() => relativeValidity(0), SmsEncodeError);
  t.throws(() => relativeValidity(635041), { code: 'out_of_range' });
});

t.test('concatenated SUBMIT: shared reference, numbered parts, 8- and 16-bit references', async (t) => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(8);
  for (const ref16 of [false, true]) {
    const out = encodeSubmit({ to: '+15551234567', text, ref16, concatRef: ref16 ? 0xbeef : 0xab });
    t.equal(out.parts.length, 3);
    const decoded = out.parts.map((p) => decodePdu(p.pdu, { tpduLength: p.tpduLength }));
    t.same(decoded.map((d) => d.concat), [1, 2, 3].map((part) => ({ ref: ref16 ? 0xbeef : 0xab, total: 3, part, ...(ref16 ? { ref16: true } : {}) })));
    t.equal(decoded.map((d) => d.text).join(''), text);
    t.ok(out.parts.every((p) => p.pdu.startsWith('00')), 'default SMSC prefix 00');
    t.ok(out.parts.every((p) => p.tpduLength === p.pdu.length / 2 - 1), 'TPDU length excludes the SMSC octet');
  }
});

t.test('encode errors are typed', async (t) => {
  t.throws(() => encodeSubmit({ to: 'abc def', text: 'x' }), { code: 'invalid_address' });
  t.throws(() => encodeSubmit({ to: '+', text: 'x' }), { code: 'invalid_address' });
  t.throws(() => encodeSubmit({ to: '1', text: 'й', encoding: 'gsm7' }), { code: 'charset' });
  t.throws(() => encodeSubmit({ to: '1', text: 'x'.repeat(153 * 256) }), { code: 'too_long' });
  t.throws(() => encodeSubmit({ to: '1', text: 'x'.repeat(200), concatRef: 256 }), { code: 'out_of_range' });
  t.throws(() => encodeDeliver({ from: 'ThisIsTooLongASender', text: 'x' }), { code: 'invalid_address' });
});

t.test('SMS-DELIVER: alphanumeric sender, time zones, class, ports with 8-bit data', async (t) => {
  const [p] = encodeDeliver({ from: 'MyBank', text: 'Code 1234', timestamp: '2024-02-29T23:59:59-03:30', class: 1, smsc: '+4917100000' });
  const d = decodePdu(p!.pdu);
  t.match(d, { type: 'deliver', from: 'MyBank', fromAddress: { ton: 5 }, timestamp: '2024-02-29T23:59:59-03:30', class: 1, smsc: '+4917100000', text: 'Code 1234' });
  const [q] = encodeDeliver({ from: '+1', text: 'x', timestamp: new Date(Date.UTC(2030, 0, 1, 0, 0, 0)), tzQuarterHours: 22 });
  t.match(decodePdu(q!.pdu), { timestamp: '2030-01-01T05:30:00+05:30' });
  const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const parts = encodeDeliver({ from: '+1', data, port: { src: 9200, dst: 2948 }, concatRef: 3 });
  t.equal(parts.length, 3);
  const back = parts.map((x) => decodePdu(x.pdu));
  t.ok(back.every((b) => b.encoding === '8bit' && b.text === null && b.port?.dst === 2948 && b.port.src === 9200));
  t.same(Buffer.concat(back.map((b) => b.data!)), Buffer.from(data));
});

t.test('SMS-STATUS-REPORT round trip and TP-ST meanings (9.2.3.15)', async (t) => {
  const r = encodeStatusReport({ mr: 214, recipient: '+31628870634', scts: '2011-01-11T17:59:15+01:00', dischargeTime: '2011-01-11T17:59:17+01:00', status: 0 });
  t.same(r, { pdu: '0006D60B911326880736F4111011719551401110117195714000', tpduLength: 25 });
  const d = decodePdu(r.pdu, { tpduLength: r.tpduLength });
  t.match(d, { type: 'status-report', mr: 214, state: 'delivered', final: true, dischargeTime: '2011-01-11T17:59:17+01:00' });
  t.match(statusState(0x00), { state: 'delivered', final: true });
  t.match(statusState(0x02), { state: 'delivered', meaning: 'replaced by the service centre' });
  t.match(statusState(0x21), { state: 'pending', final: false });
  t.match(statusState(0x30), { state: 'pending', final: false });
  t.match(statusState(0x43), { state: 'failed', final: true, meaning: /not obtainable/ });
  t.match(statusState(0x62), { state: 'failed', final: true, meaning: /given up/ });
  t.match(statusState(0x90), { state: 'failed', final: true });
});

t.test('SMSC detection: auto, forced, and from the <length>', async (t) => {
  const withSmsc = '07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07';
  const bare = withSmsc.slice(16);
  t.equal(decodePdu(withSmsc).smsc, '+31624000000');
  t.equal(decodePdu(bare).smsc, null);
  t.equal(decodePdu(bare).type, 'deliver');
  t.equal(decodePdu(withSmsc, { tpduLength: 30 }).smsc, '+31624000000');
  t.equal(decodePdu(bare, { tpduLength: 30 }).text, 'How are you?');
  t.equal(decodePdu(bare, { smsc: false }).text, 'How are you?');
  t.throws(() => decodePdu(bare, { tpduLength: 31 }), { code: 'truncated' });
  t.throws(() => decodePdu(bare, { tpduLength: 0 }), { code: 'tpdu_length_mismatch' });
  // A status report given without the SMSC octet (as some tools print it).
  t.equal(decodePdu('0006D60B911326880736F4111011719551401110117195714000'.slice(2)).type, 'status-report');
});

t.test('SUBMIT validity formats: absolute and enhanced', async (t) => {
  // VPF 11 (absolute): 7-octet timestamp.
  const abs = decodePdu('0019000B917228001011F10000' + '42502112000000' + '01' + '41');
  t.match(abs, { type: 'submit', validity: { format: 'absolute', time: '2024-05-12T21:00:00+00:00' } });
  // VPF 01 (enhanced), format 010: relative seconds.
  const enh = decodePdu('0009000B917228001011F10000' + '421E0000000000' + '01' + '41');
  t.match(enh, { type: 'submit', validity: { format: 'enhanced', singleShot: true, minutes: 0.5 } });
});
