// The simulated modem's answers a host reads literally: 27.007 +CMEE (numeric, verbose, or a bare
// ERROR) for the same failure, and the call commands (ATA with and without a ringing call, ATD).
import t from 'tap';
import { lines, setup } from './helpers.ts';

t.test('+CMEE=0/1/2: ERROR, +CME ERROR: <n>, +CME ERROR: <text> for the same failure', async (t) => {
  const { sim, host } = await setup({ pin: '1234' });
  t.teardown(() => sim.close());
  await host.at('AT+CMEE=0');
  t.same(lines(await host.at('AT+CPIN="0000"')), ['ERROR']);
  await host.at('AT+CMEE=1');
  t.same(lines(await host.at('AT+CUSD=7')), ['+CME ERROR: 50']);
  await host.at('AT+CMEE=2');
  t.same(lines(await host.at('AT+CUSD=7')), ['+CME ERROR: incorrect parameters']);
  t.match(lines(await host.at('AT+CPIN="0000"')), [/^\+CME ERROR: (incorrect password|SIM PIN required)$/]);
});

t.test('ATA answers only a ringing call; ATD gets NO ANSWER, or NO CARRIER without a network', async (t) => {
  const { sim, host } = await setup();
  t.teardown(() => sim.close());
  t.same(lines(await host.at('ATA')), ['NO CARRIER'], 'nothing to answer');
  sim.incomingCall('+15550500500');
  await host.waitFor(/RING\r\n/);
  t.same(lines(await host.at('ATA')), ['OK']);
  t.match(lines(await host.at('AT+CLCC')).join('\n'), /\+CLCC: 1,1,0,0,0,"\+15550500500",145/);
  t.same(lines(await host.at('ATD+15550100100;')), ['NO ANSWER']);
  await host.at('AT+CFUN=0');
  t.same(lines(await host.at('ATD+15550100100;')), ['NO CARRIER']);
});
