import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createReplay, formatTranscript, fromLines, hostBytes, parseTranscript } from '../../simulator/index.ts';
import { lines, openHost, setup } from './helpers.ts';

t.test('parse: directions, escapes, delays, comments; errors name the line', async (t) => {
  const steps = parseTranscript('# capture\n> AT+CMGS=23\n< > \n> 0011\\x1a\n@delay 100\n< +CMGS: 5\n\n< OK\n<\n');
  t.same(steps.map((s) => s.kind), ['write', 'read', 'write', 'delay', 'read', 'read', 'read']);
  t.equal(steps[1]!.kind === 'read' && steps[1]!.text, '> ');
  t.equal(steps[2]!.kind === 'write' && steps[2]!.text, '0011\x1a');
  t.same(hostBytes('0011\x1a'), Buffer.from('0011\x1a'));
  t.same(hostBytes('AT'), Buffer.from('AT\r'));
  t.equal(steps[6]!.kind === 'read' && steps[6]!.text, '', 'an empty modem line');
  t.throws(() => parseTranscript('> AT\nhello\n'), { code: 'transcript_syntax', line: 2 });
  t.throws(() => parseTranscript('@wait 5\n'), { code: 'transcript_syntax', line: 1 });
  t.throws(() => parseTranscript('> A\\q\n'), { code: 'transcript_syntax', line: 1 });
});

t.test('the simulator records a transcript that replays', async (t) => {
  const { sim, host } = await setup();
  t.teardown(() => sim.close());
  const part = encodeSubmit({ to: '+491709876543', text: 'recorded' }).parts[0]!;
  await host.at('AT+CSQ');
  await host.at(`AT+CMGS=${part.tpduLength}`);
  await host.write(`${part.pdu}\x1a`);
  await host.waitFor(/\+CMGS: 0\r\n\r\nOK\r\n/);
  await host.close();
  const text = sim.transcript();
  t.match(text, /^> ATE0\n< OK\n> AT\+CSQ\n< \+CSQ: 20,99\n< OK\n> AT\+CMGS=\d+\n< > \n> [0-9A-F]+\\x1a\n< \+CMGS: 0\n< OK\n$/);

  const clock = new ManualClock();
  const replay = createReplay(text, { clock });
  t.teardown(() => replay.close());
  const again = await openHost(replay.path, replay.binding);
  t.same(lines(await again.at('ATE0')), ['OK']);
  t.same(lines(await again.at('AT+CSQ')), ['+CSQ: 20,99', 'OK']);
  t.equal(await again.at(`AT+CMGS=${part.tpduLength}`), '\r\n> ');
  await again.write(`${part.pdu}\x1a`);
  await again.waitFor(/\+CMGS: 0\r\n\r\nOK\r\n/);
  await replay.done;
  t.equal(replay.error(), null);
  await again.close();
});

t.test('replay: a different write is an error naming the line; delays use the clock; *** matches a redacted PIN', async (t) => {
  const clock = new ManualClock();
  const replay = createReplay('> AT+CPIN="***"\n< OK\n@delay 500\n< +CPIN: READY\n> AT+CSQ\n< +CSQ: 10,0\n< OK\n', { clock });
  t.teardown(() => replay.close());
  const host = await openHost(replay.path, replay.binding);
  t.teardown(() => host.close());
  const mark = host.mark();
  await host.write('AT+CPIN="9876"\r');
  await host.waitFor(/OK\r\n/, mark);
  t.notMatch(host.received(), /READY/);
  await clock.advance(500);
  await host.waitFor(/\+CPIN: READY/, mark);
  await host.write('AT+CREG?\r');
  await t.rejects(replay.done, { code: 'replay_mismatch', line: 5, message: /line 5: expected the host to write "AT\+CSQ", got "AT\+CREG\?"/ });
});

t.test('replay: stopping early is reported', async (t) => {
  const replay = createReplay('> AT\n< OK\n> AT+CSQ\n< OK\n');
  const host = await openHost(replay.path, replay.binding);
  await host.at('AT');
  await host.close();
  replay.close();
  await t.rejects(replay.done, { code: 'replay_incomplete', line: 3 });
});

const corpusPath = new URL('../../../shared/corpus/corpus.json', import.meta.url);

t.test('real transcripts from ../shared/corpus replay', { skip: existsSync(corpusPath) ? false : 'no ../shared/corpus folder' }, async (t) => {
  const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as { kind: string; lines: string[]; device: string }[];
  const transcripts = corpus.filter((e) => e.kind === 'transcript');
  t.ok(transcripts.length > 0);
  for (const entry of transcripts) {
    const steps = fromLines(entry.lines);
    const replay = createReplay(steps);
    const host = await openHost(replay.path, replay.binding);
    const expected: string[] = [];
    for (const step of steps) {
      if (step.kind === 'write') await host.write(hostBytes(step.text));
      else if (step.kind === 'read') expected.push(step.text);
    }
    await replay.done;
    const want = expected.map((l) => (l === '> ' ? '\r\n> ' : l === '' ? '\r\n' : `\r\n${l}\r\n`)).join('');
    if (want) await host.waitFor(new RegExp(`${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    t.equal(host.received(), want, entry.device);
    // And back: the steps as transcript text parse to the same steps.
    const text = formatTranscript(steps.filter((s) => s.kind !== 'delay').map((s) => ({ dir: s.kind === 'write' ? '>' : '<', text: (s as { text: string }).text })));
    t.same(parseTranscript(text).map((s) => (s as { text: string }).text), steps.map((s) => (s as { text: string }).text));
    await host.close();
    replay.close();
  }
});

t.test('corpus CMGS captures are accepted by the live simulator', { skip: existsSync(corpusPath) ? false : 'no ../shared/corpus folder' }, async (t) => {
  const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as { kind: string; lines: string[] }[];
  const sends = corpus.filter((e) => e.kind === 'transcript' && /^AT\+CMGS=\d+$/.test(e.lines[0] ?? ''));
  t.ok(sends.length >= 2);
  for (const entry of sends) {
    const { sim, host } = await setup();
    const length = Number(entry.lines[0]!.slice(8));
    const pduLine = entry.lines.find((l, i) => i > 0 && /[0-9A-Fa-f]{20,}/.test(l))!;
    const pdu = pduLine.replace(/^> ?/, '').replace(/\x1a$/, '');
    await host.at(`AT+CMGS=${length}`);
    const mark = host.mark();
    await host.write(`${pdu}\x1a`);
    t.match(await host.waitFor(/(OK|ERROR: \d+)\r\n$/, mark), /\+CMGS: 0\r\n/);
    t.equal(sim.sent().length, 1);
    await host.close();
    sim.close();
  }
});
