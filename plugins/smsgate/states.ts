import type { Message, OutboundMessage } from '../../core/services.ts';

/** SMS Gateway for Android's processing states (its `ProcessState`). */
export type ProcessState = 'Pending' | 'Processed' | 'Sent' | 'Delivered' | 'Failed';

/**
 * smsedge's message status as SMS Gateway's state: queued is Pending, handed to the modem is
 * Processed, and an expired message is Failed (the app has no "expired"; the error says so).
 */
export function processState(status: OutboundMessage['status']): ProcessState {
  switch (status) {
    case 'queued':
      return 'Pending';
    case 'sending':
      return 'Processed';
    case 'sent':
      return 'Sent';
    case 'delivered':
      return 'Delivered';
    default:
      return 'Failed';
  }
}

const order: ProcessState[] = ['Pending', 'Processed', 'Sent', 'Delivered'];

/**
 * The state of a message to several numbers: the least advanced while any is still on its way;
 * once all are done, Failed if any failed (a send that failed for one recipient is never reported as
 * a success), else the least advanced of Sent and Delivered.
 */
export function overallState(states: ProcessState[]): ProcessState {
  const open = states.filter((s) => s === 'Pending' || s === 'Processed');
  if (open.length) return order[Math.min(...open.map((s) => order.indexOf(s)))]!;
  if (states.includes('Failed')) return 'Failed';
  return order[Math.min(...states.map((s) => order.indexOf(s)))] ?? 'Pending';
}

export interface RecipientState {
  phoneNumber: string;
  state: ProcessState;
  error: string | null;
}

/** One recipient's part of GET /message/:id; a message the store no longer has is Failed, saying so. */
export function recipientState(message: Message | undefined, phoneNumber: string): RecipientState {
  if (!message || message.direction !== 'outbound') return { phoneNumber, state: 'Failed', error: 'the message is no longer stored' };
  const state = processState(message.status);
  const error = state !== 'Failed' ? null : message.status === 'expired' ? 'expired before it could be sent' : (message.error?.message ?? 'failed');
  return { phoneNumber, state, error };
}

/** When each state was reached, as the app's `states` map gives it. */
export function stateTimes(messages: (Message | undefined)[]): Partial<Record<ProcessState, string>> {
  const times: Partial<Record<ProcessState, string>> = {};
  const earliest = (state: ProcessState, at: string | undefined) => {
    if (at && (!times[state] || Date.parse(at) < Date.parse(times[state]!))) times[state] = at;
  };
  for (const m of messages) {
    if (!m || m.direction !== 'outbound') continue;
    earliest('Pending', m.createdAt);
    earliest('Sent', m.sentAt);
    earliest('Delivered', m.deliveredAt);
    earliest('Failed', m.failedAt);
  }
  return times;
}
