import { encodeSubmit } from '../../core/sms/index.ts';
import type { Scenario } from './index.ts';

/**
 * The user's own messages in the receive storage (27.005 3.1 <stat> 2 STO UNSENT, 3 STO SENT), as
 * phones and modem tools leave them: a clean SMS-SUBMIT, one cut short, and a body that is not a PDU
 * at all (a draft saved as text). A driver must leave every one of them where it is.
 */
export const drafts: Scenario<{ to?: string }> = {
  name: 'drafts',
  description: "the user's drafts and sent items in storage, some with bodies that are not clean PDUs",
  async run(sim, opts = {}) {
    const modem = sim.modem;
    const storage = modem.storage(modem.mem[2]);
    const [clean] = encodeSubmit({ to: opts.to ?? '+15550100130', text: 'a draft' }).parts;
    const [sent] = encodeSubmit({ to: opts.to ?? '+15550100130', text: 'sent before, cut on the SIM' }).parts;
    storage.store({ stat: 2, kind: 'submit', pdu: clean!.pdu, tpduLength: clean!.tpduLength });
    storage.store({ stat: 3, kind: 'submit', pdu: sent!.pdu.slice(0, -8), tpduLength: sent!.tpduLength });
    storage.store({ stat: 2, kind: 'submit', pdu: 'Call the plumber', tpduLength: 16 });
    storage.store({ stat: 3, kind: 'submit', pdu: '', tpduLength: 0 });
  },
};
