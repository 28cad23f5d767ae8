// GET /sms/messages?format=csv: RFC 4180 quoting, formula cells defused, the same filters and paging
// as the JSON list, downloaded as an attachment.
import t from 'tap';
import type { Message } from '../../core/services.ts';
import { csvCell, toCsv } from '../../plugins/api/csv.ts';
import { harness } from './fixtures/agent.ts';

/** A small RFC 4180 reader, to check what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  if (cell || row.length) throw new Error('the last record has no CRLF');
  return rows;
}

t.test('cells: quoting as RFC 4180 says, formulas defused, empty for null', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell('cr\rhere'), '"cr\rhere"');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(3), '3');
  t.equal(csvCell('=1+1'), "'=1+1");
  t.equal(csvCell('+15550100100'), "'+15550100100");
  t.equal(csvCell('-2'), "'-2");
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  t.equal(csvCell('\t=cmd'), "'\t=cmd");
  t.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"');
  t.equal(csvCell('a=b'), 'a=b', 'only a leading sign counts');
  t.equal(toCsv(['a', 'b'], [{ a: 1, b: 'x,y' }, { a: null }]), 'a,b\r\n1,"x,y"\r\n,\r\n');
});

t.test('GET /sms/messages?format=csv: the page of the JSON list, as an attachment, read back whole', async (t) => {
  const h = await harness(t);
  const texts = ['=cmd|\' /C calc\'!A0', 'Hi, "you"\r\nnext line', 'plain', '@mention', 'ünïcødé ✓'];
  const messages: Message[] = texts.map((text, i) => ({
    id: `m${i}`, direction: 'inbound', from: `+1555010010${i}`, text, encoding: 'ucs2', parts: 1, modem: 'default', receivedAt: `2026-03-01T10:00:0${i}.000Z`, storedAt: `2026-03-01T10:00:1${i}.000Z`,
  }) as unknown as Message);
  h.sms.messages.push(...messages);

  const json = (await (await h.request('/sms/messages?limit=3')).json()) as { items: Message[]; next: string };
  const res = await h.request('/sms/messages?limit=3&format=csv');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  t.match(res.headers.get('content-disposition'), /^attachment; filename="smsedge-inbound-\d{8}T\d{6}Z\.csv"$/);
  t.equal(res.headers.get('x-next-cursor'), json.next, 'the next cursor as the JSON page has it');
  const rows = parseCsv(await res.text());
  t.same(rows[0], ['id', 'direction', 'time', 'from', 'to', 'modem', 'status', 'parts', 'encoding', 'text', 'priority', 'sendAt', 'clientRef']);
  t.same(rows[1]!.slice(1, 7), ['inbound', '2026-03-01T10:00:00.000Z', "'+15550100100", '', 'default', 'received'], 'a received message: when the network says, from whom, status received');
  t.same(rows.slice(1).map((r) => r[0]), json.items.map((m) => m.id), 'the same messages in the same order');
  t.same(rows.slice(1).map((r) => r[9]), ["'=cmd|' /C calc'!A0", 'Hi, "you"\r\nnext line', 'plain'], 'texts read back, the formula defused');
  t.equal(rows[1]![3], "'+15550100100", 'a number is text, not a formula');

  const rest = await h.request(`/sms/messages?limit=3&format=csv&cursor=${json.next}`);
  t.equal(rest.headers.get('x-next-cursor'), null, 'no cursor on the last page');
  t.same(parseCsv(await rest.text()).slice(1).map((r) => r[9]), ["'@mention", 'ünïcødé ✓'], 'UTF-8 kept');
  t.equal((await h.request('/sms/messages?format=xlsx')).status, 400);
  t.equal((await h.request('/sms/messages?format=csv', { key: null })).status, 401, 'the key is needed as for JSON');
});
