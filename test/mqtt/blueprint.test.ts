// The blueprint that fires the removed `sms` integration's `sms.incoming_sms` again: valid YAML for
// Home Assistant (its `!input` tag), triggered by the event entities, reading the attributes the
// agent's event payload really has.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { haEventOf } from '../../plugins/mqtt/homeassistant.ts';
import { received } from '../fixtures/events.ts';

const file = new URL('../../integrations/home-assistant/blueprints/automation/smsedge/incoming_sms.yaml', import.meta.url);
const input = { tag: '!input', resolve: (name: string) => ({ input: name }) };

t.test('the blueprint re-fires sms.incoming_sms with phone, date and text from the event entity', async (t) => {
  const bp = parse(readFileSync(file, 'utf8'), { customTags: [input] }) as Record<string, any>;
  t.equal(bp.blueprint.domain, 'automation');
  t.match(bp.blueprint.input.messages.selector.entity, { multiple: true, filter: [{ domain: 'event', integration: 'mqtt' }] });
  t.same(bp.triggers[0].entity_id, { input: 'messages' });
  t.equal(bp.triggers[0].trigger, 'state');
  t.same(bp.triggers[0].not_from, ['unavailable'], 'the last event shown again after a restart is not a new one');
  t.match(bp.conditions[0].value_template, /event_type == 'received'/);
  const action = bp.actions[0];
  t.equal(action.event, 'sms.incoming_sms');
  t.same(Object.keys(action.event_data).slice(0, 3), ['phone', 'date', 'text']);

  // Each attribute the blueprint reads is one the agent's event carries.
  const payload = haEventOf({ id: 'e1', type: 'sms.received', timestamp: '2026-03-01T10:00:00.000+00:00', data: received(1, { text: 'hi' }) } as never, () => null)!;
  for (const [key, template] of Object.entries(action.event_data as Record<string, string>)) {
    const attribute = /attributes\.([a-z_]+)/.exec(template)?.[1];
    t.ok(attribute && attribute in payload, `${key} reads ${attribute}, which the event has`);
  }
  t.match(payload, { event_type: 'received', number: '+15550100100', text: 'hi', modem: 'default', message_id: 'm1' });
});
