import t from 'tap';
import { lines, setup } from './helpers.ts';

t.test('basic AT over the real serialport stack', async (t) => {
  const { sim, host } = await setup();
  t.teardown(async () => { await host.close(); sim.close(); });
  t.same(lines(await host.at('AT')), ['OK']);
  t.same(lines(await host.at('AT+CGMI')), ['smsedge', 'OK']);
  t.same(lines(await host.at('AT+CSQ')), ['+CSQ: 20,99', 'OK']);
  t.same(lines(await host.at('AT+FOO')), ['ERROR']);
});
