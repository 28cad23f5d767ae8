// An emoji split between two UCS2 parts by another sender's phone comes out whole in sms.received, on
// stored (+CMTI) and routed (+CMT) delivery, and in the inbox.
import t from 'tap';
import { deliverSms } from '../../simulator/network.ts';
import { SPLIT_EMOJI } from '../sms/split.ts';
import { ofType, startRig } from './helpers.ts';

const tpdu = (pdu: string) => (pdu.length >> 1) - 1; // without the empty SMSC field (one octet, 00)

for (const routed of [false, true]) {
  t.test(`a surrogate pair split across parts is joined (${routed ? 'routed +CMT' : 'stored +CMTI'})`, async (t) => {
    const rig = await startRig(t, routed ? { cnmi: 'routed' } : {});
    for (const pdu of [...SPLIT_EMOJI].reverse()) deliverSms(rig.sim.modem, { pdu, tpduLength: tpdu(pdu), class: null });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'sms.received');
    const [e] = ofType(rig.events, 'sms.received');
    t.match(e!.data, { from: '+15550100200', encoding: 'ucs2', parts: 2, text: 'Hi 😀!' });
    t.notOk(e!.data.incomplete);
    t.equal(rig.agent.use('sms').getMessage(e!.data.messageId)?.text, 'Hi 😀!');
  });
}
