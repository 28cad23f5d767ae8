import * as v from 'valibot';
import { eventTypes, type EventType } from '../../core/events.ts';
import { emailOptions } from '../channels/email.ts';
import { httpOptions } from '../channels/http.ts';
import { matrixOptions } from '../channels/matrix.ts';
import { ntfyOptions } from '../channels/ntfy.ts';
import { telegramOptions } from '../channels/telegram.ts';
import { template } from '../channels/channel.ts';

const name = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, - _ . only'));

/** One channel: exactly one of its kinds. */
export const channelConfig = v.pipe(
  v.strictObject({
    email: v.optional(emailOptions),
    telegram: v.optional(telegramOptions),
    ntfy: v.optional(ntfyOptions),
    matrix: v.optional(matrixOptions),
    http: v.optional(httpOptions),
  }),
  v.check((c) => Object.values(c).filter((x) => x !== undefined).length === 1, 'needs exactly one of email, telegram, ntfy, matrix, http'),
);

export type ChannelConfig = v.InferOutput<typeof channelConfig>;

const regex = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      new RegExp(s, 'iu');
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression'),
);

/** A sender: the exact number or name (`+4917012345678`, `PayPal`), `{ prefix }` or `{ regex }`. */
const senderMatch = v.union([v.pipe(v.string(), v.minLength(1)), v.strictObject({ prefix: v.pipe(v.string(), v.minLength(1)) }), v.strictObject({ regex })]);

export type SenderMatch = v.InferOutput<typeof senderMatch>;

const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof days)[number];
const hhmm = v.pipe(v.string(), v.regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'is not a time HH:MM'));
const timeZone = v.pipe(
  v.string(),
  v.check((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'is not a time zone (e.g. Europe/Berlin)'),
);

export const when = v.strictObject({
  /** Event types; default `['sms.received']`. */
  events: v.optional(v.pipe(v.array(v.picklist(eventTypes as EventType[])), v.minLength(1))),
  /** Sender (`from`) of the message: one match or a list (any of them). */
  from: v.optional(v.union([senderMatch, v.pipe(v.array(senderMatch), v.minLength(1))])),
  /** Recipient of an outbound message's event (`to`), same forms as `from`. */
  to: v.optional(v.union([senderMatch, v.pipe(v.array(senderMatch), v.minLength(1))])),
  /** Modem instance id(s). */
  modem: v.optional(v.union([v.string(), v.array(v.string())])),
  /** Text: a regular expression, or keywords (whole words; with `whole`, the whole message), case-insensitive. */
  text: v.optional(
    v.union([
      v.strictObject({ regex }),
      v.strictObject({ keywords: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)), whole: v.optional(v.boolean(), false) }),
    ]),
  ),
  /** When the event was recorded: days and hours (from-to, may cross midnight) in a time zone. */
  time: v.optional(
    v.strictObject({
      days: v.optional(v.array(v.picklist(days))),
      from: v.optional(hhmm, '00:00'),
      to: v.optional(hhmm, '24:00'),
      timeZone: v.optional(timeZone),
    }),
  ),
  /** true: only messages with parts missing; false: only whole ones. */
  incomplete: v.optional(v.boolean()),
});

export type When = v.InferOutput<typeof when>;

const names = v.union([name, v.pipe(v.array(name), v.minLength(1))]);

const reply = v.union([
  template,
  v.strictObject({
    text: template,
    /** Per-rule override of the plugin's `replyLimits`. */
    cooldownMinutes: v.optional(v.pipe(v.number(), v.minValue(0))),
    maxPerHour: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  }),
]);

export const action = v.union([
  v.literal('block'),
  v.literal('stop'),
  v.literal('optOut'),
  v.literal('optIn'),
  v.strictObject({ forward: names }),
  v.strictObject({ reply }),
  v.strictObject({ tag: names }),
  v.strictObject({ block: v.literal(true) }),
  v.strictObject({ stop: v.literal(true) }),
  v.strictObject({ optOut: v.literal(true) }),
  v.strictObject({ optIn: v.literal(true) }),
]);

export type Action = v.InferOutput<typeof action>;

export const rule = v.strictObject({
  /** Shown in the results and logs: any words, unique among the rules. */
  name: v.pipe(v.string(), v.minLength(1, 'is empty'), v.maxLength(64, 'must have at most 64 characters')),
  when: v.optional(when, {}),
  then: v.pipe(v.array(action), v.minLength(1, 'needs at least one action')),
});

export type Rule = v.InferOutput<typeof rule>;

export const rulesOptions = v.strictObject({
  /** Named channels the rules forward to: `{ mail: { email: {...} }, chat: { telegram: {...} } }`. */
  channels: v.optional(v.record(name, channelConfig), {}),
  /** Evaluated in order for each event. */
  rules: v.array(rule),
  /** Automatic replies per sender: at most one per cooldown, and at most maxPerHour an hour. */
  replyLimits: v.optional(
    v.strictObject({
      cooldownMinutes: v.optional(v.pipe(v.number(), v.minValue(0)), 10),
      maxPerHour: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
    }),
    { cooldownMinutes: 10, maxPerHour: 3 },
  ),
  /** Each action is retried on its own: doubling (with jitter) from initialMs up to maxMs, `attempts` calls in all. */
  retry: v.optional(
    v.strictObject({
      attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 8),
      initialMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 2000),
      maxMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 600_000),
    }),
    { attempts: 8, initialMs: 2000, maxMs: 600_000 },
  ),
  /** Events handled at once (each waits for its own actions' retries). */
  concurrency: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 4),
});

export type RulesOptions = v.InferOutput<typeof rulesOptions>;
export type RulesInput = v.InferInput<typeof rulesOptions>;
