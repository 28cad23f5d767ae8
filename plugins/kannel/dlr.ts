import type { AnyEvent } from '../../core/events.ts';

/** Kannel's DLR types (the `dlr-mask` bits and the `%d` value). */
export const DLR = { delivered: 1, undelivered: 2, buffered: 4, smscAccepted: 8, smscRejected: 16 } as const;

/** The DLR type an event stands for: a failure is never reported as a success. */
export function dlrType(event: AnyEvent): number | undefined {
  switch (event.type) {
    case 'sms.sent':
      return DLR.smscAccepted;
    case 'sms.delivered':
      return DLR.delivered;
    case 'sms.failed':
      return event.data.stage === 'delivery' ? DLR.undelivered : DLR.smscRejected;
    case 'sms.expired':
      return DLR.smscRejected;
    default:
      return undefined;
  }
}

/** `%A`: the SMSC's answer, in the `ACK/` / `NACK/<code>/<reason>` style of Kannel's own reports. */
export function dlrAnswer(event: AnyEvent): string {
  switch (event.type) {
    case 'sms.sent':
      return 'ACK/';
    case 'sms.delivered':
      return `ACK/${event.data.statusText}`;
    case 'sms.failed':
      return `NACK/${event.data.code ?? ''}/${event.data.reason}`;
    case 'sms.expired':
      return `NACK//expired after ${event.data.ttlSeconds} s`;
    default:
      return '';
  }
}

export interface DlrValues {
  type: number;
  answer: string;
  /** Receiver of the message (the report's sender, as Kannel swaps them). */
  receiver: string;
  /** Sender the request named (`from`), or empty. */
  sender: string;
  /** The agent's message id (Kannel's internal UUID). */
  id: string;
  /** TP-MR of the message (the SMSC's id), or empty. */
  foreignId: string;
  /** When the report happened. */
  at: Date;
}

/**
 * The dlr-url with Kannel's escape codes replaced, each value URL-encoded as Kannel encodes them:
 * `%d` DLR type, `%A` SMSC answer, `%p` receiver, `%P` sender (as in a report: its sender is the
 * message's receiver), `%q`/`%Q` the same with a leading 00 written +, `%I` message id, `%F`
 * the SMSC's id, `%T` UNIX time, `%t` `YYYY-MM-DD HH:MM:SS`. Unknown codes are left as they are.
 *
 * @example
 * fillDlrUrl('http://crm/dlr?s=%d&to=%p', values) // 'http://crm/dlr?s=1&to=%2B15550100100'
 */
export function fillDlrUrl(template: string, v: DlrValues): string {
  const plus = (n: string) => n.replace(/^00/, '+');
  const values: Record<string, string> = {
    d: String(v.type),
    A: v.answer,
    p: v.receiver,
    P: v.sender,
    q: plus(v.receiver),
    Q: plus(v.sender),
    I: v.id,
    F: v.foreignId,
    T: String(Math.floor(v.at.getTime() / 1000)),
    t: v.at.toISOString().slice(0, 19).replace('T', ' '),
  };
  return template.replace(/%([A-Za-z])/g, (whole, code: string) => (code in values ? encodeURIComponent(values[code]!) : whole));
}
