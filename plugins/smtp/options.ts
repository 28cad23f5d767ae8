import * as v from 'valibot';
import { MAX_PARTS, MAX_RECIPIENTS } from '../../core/send.ts';
import { envName } from '../channels/channel.ts';
import { emailOptions } from '../channels/email.ts';

/** A mail domain: labels of letters, digits and dashes (`sms.example.com`). */
const domain = v.pipe(
  v.string(),
  v.regex(/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'a mail domain such as sms.example.com'),
  v.toLowerCase(),
);

/** `*@example.com`, `nagios@example.com`, `*@*.example.com`: `*` stands for any run of characters. */
const senderPattern = v.pipe(v.string(), v.regex(/^[^\s@]+@[^\s@]+$/, 'an address or pattern such as *@example.com'), v.toLowerCase());

export const smtpOptions = v.strictObject({
  /** Listen address; loopback by default (a monitoring system on the same host). */
  host: v.optional(v.string(), '127.0.0.1'),
  /** 0 picks a free port (tests); 2525 by default, as 25 needs root. */
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 2525),
  /** Mail to `<number>@<domain>` becomes an SMS to that number. */
  domain,
  /** Senders (envelope MAIL FROM) that may send without signing in. */
  allow: v.optional(v.array(senderPattern), []),
  /** Accounts that may send after AUTH PLAIN/LOGIN; each password is read from the environment. */
  users: v.optional(
    v.array(
      v.strictObject({
        name: v.pipe(v.string(), v.minLength(1, 'is empty'), v.maxLength(64), v.regex(/^[^\s:]+$/, 'no spaces or colons')),
        passwordEnv: envName,
      }),
    ),
    [],
  ),
  /** STARTTLS with this certificate (PEM files); without it the server offers no STARTTLS. */
  tls: v.optional(v.strictObject({ cert: v.string(), key: v.string() })),
  /** Longest SMS made of one mail, in parts. */
  maxParts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PARTS, `at most ${MAX_PARTS}`)), 3),
  /** A text longer than maxParts: cut it (`truncate`) or refuse the mail with a bounce (`bounce`). */
  onTooLong: v.optional(v.picklist(['truncate', 'bounce']), 'truncate'),
  /** Where the subject goes: before the body (`prefix`), only when the body is empty (`fallback`), nowhere (`ignore`). */
  subject: v.optional(v.picklist(['prefix', 'fallback', 'ignore']), 'fallback'),
  /** Largest mail accepted, in bytes (announced as SIZE). */
  maxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024)), 1_048_576),
  /** Most recipients (SMS) per mail. */
  maxRecipients: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS}`)), 10),
  /**
   * SMS answers from a number go back by e-mail to whoever wrote to it last, through this SMTP
   * server: the e-mail channel's options (plugins/channels/email.ts) without `to`, `subject`, `body`.
   * The answer's Reply-To is `<number>@<domain>`, so answering it sends an SMS again.
   */
  reply: v.optional(
    v.strictObject({
      ...v.omit(emailOptions, ['to', 'subject', 'body']).entries,
      /** Only writers of the last this many days get answers. */
      maxAgeDays: v.optional(v.pipe(v.number(), v.minValue(0.001)), 30),
    }),
  ),
});

export type SmtpOptions = v.InferOutput<typeof smtpOptions>;
