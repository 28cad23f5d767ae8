import { PassThrough } from 'node:stream';
import t from 'tap';
import { UsageError } from '../../core/command.ts';
import pdu from '../../core/commands/pdu.ts';
import { decodePdu } from '../../core/sms/index.ts';

async function run(argv: string[], stdin = ''): Promise<{ code: number | void; out: string[] }> {
  const input = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  input.end(stdin);
  const code = await pdu.run(argv, { stdin: input, stdout, stderr });
  return { code, out: text.split('\n').filter((l) => l !== '') };
}

const DELIVER = '07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07';

t.test('decode <hex> prints one JSON object with the contract fields', async (t) => {
  const { code, out } = await run(['decode', DELIVER]);
  t.equal(code, 0);
  t.equal(out.length, 1);
  t.match(JSON.parse(out[0]!), {
    type: 'deliver', smsc: '+31624000000', from: '+31641600986', text: 'How are you?', encoding: 'gsm7',
    timestamp: '2002-08-26T19:37:41+00:00', class: null, concat: null,
  });
});

t.test('decode - reads one PDU per line and keeps going after a bad line', async (t) => {
  const { code, out } = await run(['decode', '-'], `${DELIVER}\nnot-a-pdu\n\n0791\r\n${DELIVER.toLowerCase()}\n`);
  t.equal(code, 1, 'exit code reports that a line failed');
  t.equal(out.length, 4);
  t.equal(JSON.parse(out[0]!).text, 'How are you?');
  t.match(JSON.parse(out[1]!), { error: { code: 'invalid_hex', message: String } });
  t.match(JSON.parse(out[2]!), { error: { code: 'truncated' } });
  t.equal(JSON.parse(out[3]!).from, '+31641600986');
});

t.test('encode prints the parts with their TPDU lengths, decodable back', async (t) => {
  const { code, out } = await run(['encode', '--to', '+4915112345678', '--text', 'Grüße 😀', '--srr', '--validity', '60']);
  t.equal(code, 0);
  const res = JSON.parse(out[0]!);
  t.equal(res.encoding, 'ucs2');
  t.equal(res.parts.length, 1);
  const d = decodePdu(res.parts[0].pdu, { tpduLength: res.parts[0].tpduLength });
  t.match(d, { type: 'submit', to: '+4915112345678', text: 'Grüße 😀', statusReportRequest: true, validity: { format: 'relative', minutes: 60 } });
});

t.test('encode --ref16 --class0 splits long text with 16-bit references', async (t) => {
  const { out } = await run(['encode', '--to', '12345', '--text', 'x'.repeat(200), '--ref16', '--class0', '--encoding', 'gsm7']);
  const res = JSON.parse(out[0]!);
  t.equal(res.parts.length, 2);
  const d = decodePdu(res.parts[1].pdu);
  t.match(d, { class: 0, concat: { total: 2, part: 2, ref16: true }, text: 'x'.repeat(48) });
});

t.test('bad usage throws UsageError; codec errors print an error object', async (t) => {
  await t.rejects(run([]), UsageError);
  await t.rejects(run(['decode']), UsageError);
  await t.rejects(run(['encode', '--to', '1']), UsageError);
  await t.rejects(run(['encode', '--to', '1', '--text', 'x', '--bogus']), UsageError);
  await t.rejects(run(['encode', '--to', '1', '--text', 'x', '--encoding', 'latin1']), UsageError);
  const { code, out } = await run(['encode', '--to', 'not a number', '--text', 'x']);
  t.equal(code, 1);
  t.match(JSON.parse(out[0]!), { error: { code: 'invalid_address' } });
});
