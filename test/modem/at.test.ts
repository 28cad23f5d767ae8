import t from 'tap';
import pino from 'pino';
import { ManualClock, flushMicrotasks } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { AtEngine, noiseSummary } from '../../plugins/modem/at.ts';
import { AtError, isPermanent, isTransient } from '../../plugins/modem/errors.ts';
import { Trace } from '../../plugins/modem/trace.ts';
import { isHexLine, openQuote } from '../../plugins/modem/urc.ts';

/** A scripted modem on the other end of the engine: answers each write via `reply`. */
function rig(reply: (written: string, at: AtEngine) => string | string[] | undefined) {
  const clock = new ManualClock();
  const writes: string[] = [];
  const traced: string[] = [];
  const at: AtEngine = new AtEngine({
    clock,
    log: silentLogger(),
    trace: new Trace((l) => traced.push(l)),
    write: (data) => {
      writes.push(data);
      const answer = reply(data, at);
      if (answer !== undefined) for (const chunk of [answer].flat()) setImmediate(() => at.feed(chunk));
    },
  });
  return { at, clock, writes, traced };
}

t.test('a command resolves with its information lines at OK', async (t) => {
  const { at, writes } = rig((w) => (w === 'AT+CSQ\r' ? 'AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n' : undefined));
  const r = await at.send('AT+CSQ');
  t.same(r.lines, ['+CSQ: 20,99'], 'echo and empty lines removed');
  t.same(writes, ['AT+CSQ\r']);
});

t.test('ERROR, +CME and +CMS become typed errors with code and meaning', async (t) => {
  const { at } = rig((w) => ({ 'AT+X\r': '\r\nERROR\r\n', 'AT+CPIN?\r': '\r\n+CME ERROR: 10\r\n', 'AT+CMGR=11\r': '\r\n+CMS ERROR: 500\r\n', 'AT+CSCA?\r': '+CMS ERROR: 330\r\n', 'AT+WIND?\r': 'COMMAND NOT SUPPORT\r\n' })[w]);
  const e1 = await at.send('AT+X').catch((e) => e);
  t.ok(e1 instanceof AtError);
  t.equal(e1.code, 'at_error');
  const e2 = await at.send('AT+CPIN?').catch((e) => e);
  t.match(e2, { code: 'cme_error', cme: 10, meaning: 'SIM not inserted' });
  const e3 = await at.send('AT+CMGR=11').catch((e) => e);
  t.match(e3, { code: 'cms_error', cms: 500, meaning: 'unknown error' });
  t.ok(isTransient(e3), '500 is worth a retry');
  const e4 = await at.send('AT+CSCA?').catch((e) => e);
  t.match(e4, { cms: 330, meaning: 'SMSC address unknown' });
  t.notOk(isTransient(e4));
  t.match(await at.send('AT+WIND?').catch((e) => e), { code: 'at_error', meaning: 'command not supported' });
});

t.test('verbose CME text maps back to its number', async (t) => {
  const { at } = rig(() => '+CME ERROR: SIM PIN required\r\n');
  t.match(await at.send('AT+CMGL=4').catch((e) => e), { code: 'cme_error', cme: 11 });
});

t.test('URCs are recognised between the lines of an answer', async (t) => {
  const cmti: string[][] = [];
  const { at } = rig(() => ['+CMGL: 0,0,,23\r\n0791AA\r\n+CMTI: "SM",', '3\r\n+CMGL: 1,1,,24\r\n0791BB\r\n\r\nOK\r\n+CMTI: "ME",1\r\n']);
  at.urcs.on('+CMTI:', (l) => cmti.push(l));
  const r = await at.send('AT+CMGL=4');
  t.same(r.lines, ['+CMGL: 0,0,,23', '0791AA', '+CMGL: 1,1,,24', '0791BB']);
  await flushMicrotasks();
  t.same(cmti, [['+CMTI: "SM",3'], ['+CMTI: "ME",1']], 'also a URC glued after OK');
});

t.test('+CMT takes its PDU line, even in the middle of a command', async (t) => {
  const got: string[][] = [];
  const { at } = rig(() => '+CSQ: 1\r\n+CMT: ,24\r\n00040B91\r\nOK\r\n');
  at.urcs.on('+CMT:', (l) => got.push(l), { lines: 1, accept: isHexLine });
  const r = await at.send('AT+CSQ');
  t.same(r.lines, ['+CSQ: 1']);
  t.same(got, [['+CMT: ,24', '00040B91']]);
});

t.test('a URC whose PDU line never comes does not swallow the next line', async (t) => {
  const got: string[][] = [];
  const { at } = rig(() => '+CMT: ,24\r\nOK\r\n');
  at.urcs.on('+CMT:', (l) => got.push(l), { lines: 1, accept: isHexLine });
  await at.send('AT');
  t.same(got, [['+CMT: ,24']]);
});

t.test('a +CUSD string may run over several lines', async (t) => {
  const got: string[][] = [];
  const { at } = rig(() => ['OK\r\n+CUSD: 0," Vash balans 968.98 r.\r\n', 'Dlya vas: *320#"\r\n']);
  at.urcs.on('+CUSD:', (l) => got.push(l), { lines: openQuote });
  await at.send('AT+CUSD=1,"#102#",15', { prefix: null });
  await flushMicrotasks();
  t.same(got, [['+CUSD: 0," Vash balans 968.98 r.', 'Dlya vas: *320#"']]);
});

t.test('AT+CMGS waits for the prompt, then sends the PDU with Ctrl-Z', async (t) => {
  const { at, writes, traced } = rig((w) => (w.startsWith('AT+CMGS') ? '\r\n> ' : w.endsWith('\x1a') ? '\r\n+CMGS: 44\r\n\r\nOK\r\n' : undefined));
  const r = await at.send('AT+CMGS=23', { pdu: '0001000B91' });
  t.same(r.lines, ['+CMGS: 44']);
  t.same(writes, ['AT+CMGS=23\r', '0001000B91\x1a']);
  t.same(traced, ['> AT+CMGS=23', '< >', '> 0001000B91\\x1a', '< +CMGS: 44', '< OK']);
});

t.test('a bare ">" prompt (no space) and an echoed PDU work too', async (t) => {
  const { at } = rig((w) => (w.startsWith('AT+CMGS') ? '\n>' : w.endsWith('\x1a') ? '0001000B91\r\n+CMGS: 45\r\nOK\r\n' : undefined));
  t.same((await at.send('AT+CMGS=23', { pdu: '0001000B91' })).lines, ['+CMGS: 45']);
});

t.test('an error instead of the prompt fails the send', async (t) => {
  const { at, writes } = rig(() => '+CMS ERROR: 304\r\n');
  t.match(await at.send('AT+CMGS=23', { pdu: '00' }).catch((e) => e), { code: 'cms_error', cms: 304 });
  t.same(writes, ['AT+CMGS=23\r'], 'the PDU is never written');
});

t.test('no prompt: time out and cancel with ESC', async (t) => {
  const { at, clock, writes } = rig(() => undefined);
  const p = at.send('AT+CMGS=23', { pdu: '00', timeoutMs: 1000 }).catch((e) => e);
  await clock.advance(999);
  t.same(writes, ['AT+CMGS=23\r']);
  await clock.advance(1);
  t.match(await p, { code: 'timeout' });
  t.same(writes, ['AT+CMGS=23\r', '\x1b']);
});

t.test('one command at a time, each with its own timeout', async (t) => {
  const { at, clock, writes } = rig((w) => (w === 'AT+B\r' ? 'OK\r\n' : undefined));
  const a = at.send('AT+A', { timeoutMs: 2000 }).catch((e) => e);
  const b = at.send('AT+B', { timeoutMs: 100 });
  await flushMicrotasks();
  t.same(writes, ['AT+A\r'], 'B waits for A');
  t.equal(at.depth, 2);
  await clock.advance(2000);
  t.match(await a, { code: 'timeout', command: 'AT+A' });
  t.same((await b).lines, []);
  t.same(writes, ['AT+A\r', 'AT+B\r']);
});

t.test('a modem that omits OK after +CPIN is settled after a quiet period', async (t) => {
  const { at, clock } = rig(() => '+CPIN: READY\r\n');
  const p = at.send('AT+CPIN?', { settleMs: 300, timeoutMs: 5000 });
  await clock.advance(600);
  t.same((await p).lines, ['+CPIN: READY']);
});

t.test('close fails the running command and everything queued; open accepts again', async (t) => {
  const { at } = rig((w) => (w === 'AT+OK\r' ? 'OK\r\n' : undefined));
  const a = at.send('AT+A').catch((e) => e);
  const b = at.send('AT+B').catch((e) => e);
  await flushMicrotasks();
  at.close('unplugged');
  t.match(await a, { code: 'closed' });
  t.match(await b, { code: 'closed' });
  t.match(await at.send('AT').catch((e) => e), { code: 'closed' });
  at.open();
  t.same((await at.send('AT+OK')).lines, []);
});

t.test('a failing write is closed, and the PIN never reaches the trace', async (t) => {
  const traced: string[] = [];
  const at = new AtEngine({ clock: new ManualClock(), log: silentLogger(), trace: new Trace((l) => traced.push(l)), write: () => Promise.reject(new Error('EIO')) });
  const e = await at.send('AT+CPIN="4321"').catch((e) => e);
  t.match(e, { code: 'closed' });
  t.notMatch(e.message, /4321/);
  t.same(traced, ['> AT+CPIN="***"']);
});

t.test('a throwing URC handler is contained', async (t) => {
  const { at } = rig(() => 'RING\r\nOK\r\n');
  at.urcs.on('RING', () => {
    throw new Error('boom');
  });
  t.same((await at.send('AT')).lines, []);
});

t.test('noise is counted and ignored', async (t) => {
  const { at } = rig(() => undefined);
  at.feed('^RSSI: 12\r\n\x00\x00garbage\r\n');
  t.equal(at.noiseLines, 2);
});

t.test('a noise line is logged by its length and command name, never its text', async (t) => {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void records.push(JSON.parse(s)) });
  const at = new AtEngine({ clock: new ManualClock(), log, write: () => {} });
  const body = 'Your code is 482913, do not share it';
  at.feed(`\r\n${body}\r\n+QFOO: 1,"+15550100100"\r\n`);
  const noise = records.filter((r) => r.msg === 'unexpected line from modem ignored');
  t.equal(noise.length, 2);
  t.same(noise.map((r) => [r.length, r.prefix]), [[body.length, undefined], [23, '+QFOO:']]);
  const text = JSON.stringify(records);
  t.notMatch(text, /482913|do not share|5550100100/, 'neither the body nor the number is logged');
  t.same(noiseSummary('AT+CMGR=1'), { length: 9, prefix: 'AT+CMGR' });
  t.same(noiseSummary('^RSSI:18'), { length: 8, prefix: '^RSSI:' });
});

t.test('only known permanent +CMS errors (and refused requests) are permanent for a send', async (t) => {
  const cms = (n: number) => new AtError('cms_error', 'AT+CMGS=23', 'x', { cms: n });
  t.ok(isPermanent(cms(304)), 'invalid PDU mode parameter');
  t.ok(isPermanent(cms(1)), 'unassigned number');
  t.ok(isPermanent(cms(330)), 'SMSC address unknown');
  t.ok(isPermanent(new AtError('invalid_command', 'AT+CMGS=23', 'bad argument')));
  for (const n of [500, 332, 331, 314, 192, 42, 512, 280]) t.notOk(isPermanent(cms(n)), `CMS ${n} may pass`);
  t.notOk(isPermanent(new AtError('cms_error', 'AT+CMGS=23', 'bananas')), 'a code that is not known');
  t.notOk(isPermanent(new AtError('call_ended', 'AT+CMGS=23', 'no carrier', { line: 'NO CARRIER' })), 'a call ending');
  t.notOk(isPermanent(new AtError('at_error', 'AT+CMGS=23', 'error')), 'a bare ERROR');
  t.notOk(isPermanent(new AtError('cme_error', 'AT+CMGS=23', 'SIM busy', { cme: 14 })));
});

t.test('a NO CARRIER (a call ending) while AT+CMGS waits for the prompt or its answer is a URC, not the answer', async (t) => {
  const ended: string[][] = [];
  const { at, writes } = rig((w) => {
    if (w === 'AT+CMGS=20\r') return ['\r\nNO CARRIER\r\n', '\r\n> '];
    if (w.endsWith('\x1a')) return ['\r\nNO CARRIER\r\n', '\r\n+CMGS: 7\r\n\r\nOK\r\n'];
    if (w === 'AT+CSQ\r') return '\r\n+CSQ: 20,99\r\n\r\nOK\r\n';
    return undefined;
  });
  at.urcs.on('NO CARRIER', (l) => ended.push(l));
  const r = await at.send('AT+CMGS=20', { pdu: '0001000B915155300003F0000007EDF27C1E3E9701' });
  t.same(r.lines, ['+CMGS: 7']);
  t.equal(ended.length, 2, 'both went to the call handler');
  t.same((await at.send('AT+CSQ')).lines, ['+CSQ: 20,99'], 'the next command gets its own answer');
  t.equal(writes.filter((w) => w === '\x1b').length, 0, 'the send was not cancelled');
});
