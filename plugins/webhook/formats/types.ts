import type { AnyEvent } from '../../../core/events.ts';

export const formatNames = ['standard', 'callstack', 'sms-gateway', 'cloudevents'] as const;
export type FormatName = (typeof formatNames)[number];

/** Everything a format needs to turn one delivery attempt into headers and a raw body. */
export interface FormatInput {
  /** As receivers may see it: the engine passes it through core's publicEvent() (no `callbackUrl`). */
  event: AnyEvent;
  /**
   * `event.data` as the journal recorded it (JSON.stringify's text, so the same bytes as stringifying
   * it again), when the engine has it and publicEvent() left the data as it was: a format may put it
   * in its body as it is instead of serializing the data afresh on every attempt.
   */
  dataJson?: string;
  /** The delivery id: one per (event, subscription), the same on every retry. */
  deliveryId: string;
  /** The subscription, or null for a per-message callback. */
  subscriptionId: string | null;
  /** The target URL (the JWT audience in `cloudevents`). */
  url: string;
  /** Signing secrets, newest first; two during a rotation's overlap, none when unsigned. */
  secrets: readonly string[];
  /** Unix seconds of this attempt (or of its build, at most 5 s before it: see request.ts); every attempt is signed for itself. */
  nowSec: number;
  agentId: string;
  /** The text of one of the agent's messages (formats whose receivers expect it in every event: httpSMS's). */
  messageText?(messageId: string): string | undefined;
  /** The SIM's own number, when configured (httpSMS's `owner`). */
  phoneNumber?: string;
}

export interface Formatted {
  headers: Record<string, string>;
  /** The exact bytes sent (and signed). */
  body: string;
}

export type Formatter = (input: FormatInput) => Formatted | Promise<Formatted>;
