import t from 'tap';
import { LineSplitter } from '../../plugins/modem/lines.ts';

const lines = (...chunks: string[]) => {
  const s = new LineSplitter();
  return chunks.flatMap((c) => s.push(c)).map((tk) => (tk.kind === 'line' ? tk.text : '<prompt>'));
};

t.test('CRLF, lone CR and lone LF all end a line; empty lines are dropped', async (t) => {
  t.same(lines('\r\nOK\r\n'), ['OK']);
  t.same(lines('+CDS:25\r07914875\rOK\r'), ['+CDS:25', '07914875', 'OK']);
  t.same(lines('A\nB\n\n'), ['A', 'B']);
  t.same(lines('\r\n\r\n+CMTI: "ME",1\r\n\r\n'), ['+CMTI: "ME",1']);
});

t.test('a CRLF split across chunks is one line end', async (t) => {
  t.same(lines('+CSQ: 20,99\r', '\nOK\r', '\n'), ['+CSQ: 20,99', 'OK']);
  t.same(lines('+CS', 'Q: 1', '5,99\r\n'), ['+CSQ: 15,99']);
});

t.test('the "> " prompt is recognised without a line end', async (t) => {
  t.same(lines('\r\n> '), ['<prompt>']);
  t.same(lines('\r\n>', ' '), ['<prompt>']);
  t.same(lines('\n>\r\n'), ['<prompt>'], 'a ">" line with its line end');
});

t.test('an echoed PDU after the prompt on the same line becomes its own line', async (t) => {
  t.same(lines('> 0791AB\r\nOK\r\n'), ['<prompt>', '0791AB', 'OK']);
});

t.test('a bare ">" counts as the prompt only when asked for', async (t) => {
  const s = new LineSplitter();
  t.same(s.push('\r\n>'), []);
  t.equal(s.pending, '>');
  t.ok(s.takeBarePrompt());
  t.equal(s.pending, '');
  t.same(s.push(' \r\n'), [], 'a late space is not a line');
  t.notOk(s.takeBarePrompt());
});

t.test('control characters (NUL noise, Ctrl-Z) are dropped from lines', async (t) => {
  t.same(lines('O\x00K\r\n', '001100\x1a\r\n'), ['OK', '001100']);
});
