import type { AgentEvent } from '../../core/events.ts';
import { newId } from '../../core/ids.ts';

/** An sms.received event as the modem plugin records it. */
export function received(data: { from?: string; text?: string; modem?: string; incomplete?: boolean } = {}, timestamp = '2026-12-07T09:30:00+01:00'): AgentEvent<'sms.received'> {
  const messageId = newId();
  return {
    id: messageId,
    type: 'sms.received',
    timestamp,
    data: {
      messageId,
      from: data.from ?? '+4917012345678',
      text: data.text ?? 'Your code is 123456',
      encoding: 'gsm7',
      parts: 1,
      receivedAt: timestamp,
      smsc: '+491720000000',
      modem: data.modem ?? 'modem',
      class: null,
      ...(data.incomplete ? { incomplete: true, missingParts: [2] } : {}),
    },
  };
}
