// A text outside the alphabet asked for is invalid_request naming `text`, at send (the shared
// validation) and on a change to a queued message (the encoder's refusal, against the alphabet it
// was queued with). Nothing is queued or changed.
import t from 'tap';
import { startRig } from './helpers.ts';

t.test('a text outside the requested alphabet: invalid_request naming text, at send and on a change', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const before = sms.listMessages({ direction: 'outbound', limit: 100 }).length;
  t.throws(() => sms.send({ to: '+15550100100', text: 'Привет', encoding: 'gsm7' }), { code: 'invalid_request', field: 'text' });
  t.equal(sms.listMessages({ direction: 'outbound', limit: 100 }).length, before, 'nothing queued');

  const later = new Date(rig.clock.now() + 3600_000).toISOString();
  const queued = sms.send({ to: '+15550100100', text: 'plain', encoding: 'gsm7', sendAt: later });
  t.throws(() => sms.change(queued.id, { text: 'Привет' }), { code: 'invalid_request', field: 'text' });
  t.equal(sms.getMessage(queued.id)?.text, 'plain', 'the queued text is unchanged');
  t.match(sms.change(queued.id, { text: 'still plain' }), { text: 'still plain' });
});
