import t from 'tap';
import { ofType, startRig } from './helpers.ts';

t.test('an SMS is received, stored, announced once, and deleted from the SIM', async (t) => {
  const rig = await startRig(t);
  rig.sim.receiveSms({ from: '+15550100100', text: 'hello there' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'sms.received');
  const [e] = ofType(rig.events, 'sms.received');
  t.match(e!.data, { from: '+15550100100', text: 'hello there', encoding: 'gsm7', parts: 1, modem: 'default', class: null });
  await rig.until(() => rig.sim.modem.storage(rig.sim.modem.mem[0]).used === 0, 'deleted from SIM');
  const msg = rig.agent.use('sms').getMessage(e!.data.messageId);
  t.match(msg, { direction: 'inbound', text: 'hello there' });
});
