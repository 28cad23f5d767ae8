import t from 'tap';
import { classifyLine, infoPrefixOf, parseFinal } from '../../plugins/modem/classify.ts';

const urc = (l: string) => ['+CMTI:', '+CMT:', 'RING', '+CLIP:', '+CREG:'].some((p) => l.startsWith(p));

t.test('final results', async (t) => {
  t.same(parseFinal('OK'), { kind: 'ok', line: 'OK' });
  t.same(parseFinal('ERROR'), { kind: 'error', line: 'ERROR' });
  t.same(parseFinal('+CMS ERROR: 500'), { kind: 'cms', code: 500, line: '+CMS ERROR: 500' });
  t.same(parseFinal('+CME ERROR: SIM PIN required'), { kind: 'cme', detail: 'SIM PIN required', line: '+CME ERROR: SIM PIN required' });
  t.same(parseFinal('+CMS ERROR: bananas')?.kind, 'cms', 'non-numeric text still an error');
  t.equal(parseFinal('+CMS ERROR:'), null, 'nothing after the colon is not a result');
  t.equal(parseFinal('COMMAND NOT SUPPORT')?.kind, 'not-supported');
  t.equal(parseFinal('NO CARRIER')?.kind, 'no-carrier');
  t.equal(parseFinal('OKAY'), null);
});

t.test('each line is classified once', async (t) => {
  const during = (command: string) => ({ command, infoPrefix: infoPrefixOf(command), isUrc: urc });
  t.equal(classifyLine('AT+CSQ', during('AT+CSQ')), 'echo');
  t.equal(classifyLine('+CSQ: 20,99', during('AT+CSQ')), 'info');
  t.equal(classifyLine('OK', during('AT+CSQ')), 'final');
  t.equal(classifyLine('+CMTI: "SM",2', during('AT+CSQ')), 'urc', 'a URC between answer lines');
  t.equal(classifyLine('+CREG: 1,1', during('AT+CREG?')), 'info', 'the command prefix wins over a URC prefix');
  t.equal(classifyLine('+CREG: 1', { isUrc: urc }), 'urc');
  t.equal(classifyLine('861234567890123', during('AT+CGSN')), 'info');
  t.equal(classifyLine('OK', { isUrc: urc }), 'noise', 'a stray final with no command');
  t.equal(classifyLine('^RSSI: 12', { isUrc: urc }), 'noise');
});

t.test('NO CARRIER ends only a dial, answer or online command; during anything else a call ended', async (t) => {
  const calls = (l: string) => urc(l) || l === 'NO CARRIER';
  const during = (command: string) => ({ command, infoPrefix: infoPrefixOf(command), isUrc: calls });
  t.equal(classifyLine('NO CARRIER', during('AT+CMGS=23')), 'urc', 'waiting for the prompt');
  t.equal(classifyLine('NO CARRIER', during('0011000B915155020020F20000AA0AE8329BFD06DDDF723619\x1a')), 'urc', 'after the PDU');
  t.equal(classifyLine('NO CARRIER', during('AT+CSQ')), 'urc');
  t.equal(classifyLine('BUSY', during('AT+CMGR=1')), 'noise', 'no handler: ignored, not the answer');
  t.equal(classifyLine('NO CARRIER', during('ATD+15550100;')), 'final');
  t.equal(classifyLine('NO CARRIER', during('ATA')), 'final');
  t.equal(classifyLine('NO ANSWER', during('ATD+15550100;')), 'final');
  t.equal(classifyLine('ERROR', during('AT+CMGS=23')), 'final');
});

t.test('info prefixes', async (t) => {
  t.equal(infoPrefixOf('AT+CMGL=4'), '+CMGL');
  t.equal(infoPrefixOf('at+cpin?'), '+CPIN');
  t.equal(infoPrefixOf('AT^SYSINFO'), '^SYSINFO');
  t.equal(infoPrefixOf('ATZ'), null);
});
