// PDU fuzz through the modem path (simulator → mock serial port → AT engine → decode → store): a few
// thousand random and mutated PDUs here, 100,000 in `npm run soak`. Replay with SMSEDGE_FUZZ_SEED.
import t from 'tap';
import { missing } from '../bench/agent.ts';
import { runPduFuzz } from './harness/fuzz.ts';

const absent = await missing('modem');

t.test('random and mutated PDUs: no crash, only counted decode errors, nothing stuck or lost', { skip: absent ?? false, timeout: 60_000 }, async (t) => {
  const seed = Number(process.env.SMSEDGE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.comment(`seed ${seed}`);
  const r = await runPduFuzz({ count: 3000, seed });
  t.same(r.crashes, [], 'no unhandled rejection or uncaught exception');
  t.ok(r.online, 'the modem is still online');
  t.equal(r.simLeft, 0, 'the SIM ends empty: every PDU was read and deleted');
  t.same(r.notTakenIn, [], 'every PDU was taken in (inbox, pending part or raw): none deleted unrecorded');
  t.equal(r.sentinelsInInbox, r.sentinels, `all ${r.sentinels} valid messages mixed into the garbage reached the inbox`);
  t.ok(r.decodeErrors > 0, `decode errors are counted (${r.decodeErrors})`);
  t.equal(r.rawRows, r.decodeErrors, 'each one kept raw for a bug report');
  t.comment(`${r.fed} PDUs (${r.unique} distinct taken in), ${r.inbox} inbox rows, ${r.decodeErrors} raw, ${r.leftAsSubmit} left on the SIM as SMS-SUBMIT look-alikes, ${r.leftNotWhole} left as not whole, ${r.seconds.toFixed(1)} s`);
});
