import { createHash } from 'node:crypto';

/**
 * Whether an automatic reply may go to `from` at all: only to a full phone number. Alphanumeric
 * senders (`PayPal`) cannot receive SMS, and short codes (3 to 6 digits) are services whose answer
 * may cost money or subscribe the SIM to something.
 *
 * @example replyable('+4917012345678') // true
 * @example replyable('72975') // false: a short code
 */
export function replyable(from: string): boolean {
  return /^\+?[1-9]\d{6,14}$/.test(from) || /^0\d{6,14}$/.test(from);
}

/** The texts compared to spot our own replies coming back: trimmed, spaces collapsed, lower case. */
export function textHash(text: string): string {
  return createHash('sha256').update(text.trim().replace(/\s+/g, ' ').toLowerCase()).digest('hex').slice(0, 32);
}

export interface ReplyLimits {
  cooldownMinutes: number;
  maxPerHour: number;
}

export type ReplyVerdict = 'ok' | 'not_replyable' | 'own_reply' | 'opted_out' | 'cooldown' | 'rate_limited';

/**
 * Whether to answer one message. `sentTo` are the times replies went to this sender in the last
 * hour (or the cooldown, when longer); `isOwnReply` says the message's text is one the agent sent as a reply within a day (two
 * gateways, or an autoresponder echoing, would otherwise answer each other forever).
 */
export function replyVerdict(input: {
  from: string;
  now: number;
  limits: ReplyLimits;
  sentTo: readonly number[];
  isOwnReply: boolean;
  optedOut: boolean;
}): ReplyVerdict {
  if (!replyable(input.from)) return 'not_replyable';
  if (input.isOwnReply) return 'own_reply';
  if (input.optedOut) return 'opted_out';
  const hour = input.sentTo.filter((at) => at > input.now - 3600_000 && at <= input.now);
  const last = Math.max(-Infinity, ...input.sentTo.filter((at) => at <= input.now));
  if (input.now - last < input.limits.cooldownMinutes * 60_000) return 'cooldown';
  if (hour.length >= input.limits.maxPerHour) return 'rate_limited';
  return 'ok';
}
