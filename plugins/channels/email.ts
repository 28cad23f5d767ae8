import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import * as v from 'valibot';
import { ChannelError, envName, template, type Channel, type ChannelDeps, type ChannelMessage } from './channel.ts';
import { secretFromEnv } from './secret.ts';
import { render, templateValues } from './template.ts';

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));
const address = v.pipe(v.string(), v.minLength(3), v.includes('@', 'is not an e-mail address'));

export const defaultSubject = 'SMS from {number}';
export const defaultBody = '{text}\n\n--\nFrom: {from}\nTo: {to}\nModem: {modem}\nReceived: {receivedAt}\n';

/** `{ email: {...} }`: SMTP submission with nodemailer. */
export const emailOptions = v.strictObject({
  host: v.pipe(v.string(), v.minLength(1)),
  /** Default 465 with `secure`, else 587 (submission with STARTTLS). */
  port: v.optional(port),
  /** TLS from the first byte (port 465). False: plain connection upgraded with STARTTLS when offered. */
  secure: v.optional(v.boolean(), false),
  /** Refuse to send unless STARTTLS succeeds. Default: true when `user` is set (no password in clear). */
  requireTLS: v.optional(v.boolean()),
  user: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Environment variable holding the password (never the password itself in the config). */
  passwordEnv: v.optional(envName),
  /** The sender: `sms@example.com` or `"SMS gateway" <sms@example.com>`. */
  from: address,
  to: v.union([address, v.pipe(v.array(address), v.minLength(1, 'needs at least one address'))]),
  subject: v.optional(template, defaultSubject),
  body: v.optional(template, defaultBody),
  /** Right-hand side of the Message-IDs; default the domain of `from`. */
  domain: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]+$/, 'is not a domain name'))),
  tls: v.optional(
    v.strictObject({
      /** PEM file of the CA (or the server's own certificate) to trust, for a private server. */
      caFile: v.optional(v.string()),
      /** false accepts any certificate: only for a relay on a trusted network. */
      rejectUnauthorized: v.optional(v.boolean(), true),
      /** Name checked against the certificate when `host` is an IP address. */
      servername: v.optional(v.string()),
    }),
  ),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 30_000),
});

export type EmailOptions = v.InferOutput<typeof emailOptions>;

/** One mail to send. */
export interface Mail {
  /** Default: the channel's `to`. */
  to?: string | string[];
  subject: string;
  text: string;
  /** Without `<>`-less forms: `<id@domain>`. Default: a new one. */
  messageId?: string;
  /** The mail this one answers (`<id@domain>`). */
  inReplyTo?: string;
  references?: string[];
  replyTo?: string;
  headers?: Record<string, string>;
}

/**
 * Sends mail over SMTP (nodemailer): implicit TLS or STARTTLS, AUTH with a password from the
 * environment. Shared by the e-mail channel and by the smtp plugin (SMS answers mailed back).
 *
 * @example
 * const mailer = new Mailer({ host: 'smtp.example.com', user: 'sms', passwordEnv: 'SMTP_PASSWORD', from: 'sms@example.com', to: 'me@example.com' }, { key: 'smtp.reply' });
 * await mailer.send({ subject: 'SMS from +4917012345678', text: 'hello', ...mailer.thread('+4917012345678') });
 */
export class Mailer {
  readonly options: EmailOptions;
  readonly domain: string;
  readonly #transport: Transporter;

  /** `key` names the options in config errors (`channels.mail.email`). */
  constructor(input: EmailOptions | v.InferInput<typeof emailOptions>, deps: { key?: string; env?: NodeJS.ProcessEnv } = {}) {
    const o = (this.options = v.parse(emailOptions, input));
    const key = deps.key ?? 'email';
    const password = o.passwordEnv === undefined ? undefined : secretFromEnv(deps.env ?? process.env, o.passwordEnv, `${key}.passwordEnv`);
    this.domain = o.domain ?? /@([^>\s]+)>?\s*$/.exec(o.from)?.[1] ?? 'smsedge.invalid';
    this.#transport = nodemailer.createTransport({
      host: o.host,
      port: o.port ?? (o.secure ? 465 : 587),
      secure: o.secure,
      requireTLS: o.requireTLS ?? o.user !== undefined,
      ...(o.user === undefined ? {} : { auth: { user: o.user, pass: password ?? '' } }),
      tls: {
        rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
        ...(o.tls?.caFile ? { ca: readFileSync(o.tls.caFile) } : {}),
        ...(o.tls?.servername ? { servername: o.tls.servername } : {}),
      },
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
      // nodemailer's own logger would print addresses and texts.
      logger: false,
      debug: false,
    });
  }

  /**
   * The thread headers of the conversation with one phone number: every mail about it names the
   * same root in In-Reply-To/References, so mail clients show one thread per number. The root is
   * a hash of the number (the number itself stays out of the header).
   */
  thread(number: string): { inReplyTo: string; references: string[] } {
    const root = threadId(number, this.domain);
    return { inReplyTo: root, references: [root] };
  }

  /** Sends one mail; resolves with its Message-ID once the server accepted it for every recipient. */
  async send(mail: Mail): Promise<{ messageId: string }> {
    try {
      const info = await this.#transport.sendMail({
        from: this.options.from,
        to: mail.to ?? this.options.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
        ...(mail.references ? { references: mail.references } : {}),
        ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
        headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers },
      });
      const rejected = info.rejected ?? [];
      if (rejected.length > 0) throw new ChannelError('mail_rejected', `the server refused ${rejected.length} recipient(s)`, { retryable: false });
      return { messageId: info.messageId };
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      const e = error as { code?: string; responseCode?: number; message?: string };
      // 5xx: the server refuses for good (bad auth, relaying denied); 4xx and network errors pass.
      const permanent = e.responseCode !== undefined && e.responseCode >= 500;
      throw new ChannelError('mail_failed', `SMTP ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`, {
        retryable: !permanent,
        cause: error,
      });
    }
  }

  close(): void {
    this.#transport.close();
  }
}

/** `<sms-thread-<hash>@domain>`: the thread root of one phone number (digits only are hashed). */
export function threadId(number: string, domain: string): string {
  const digits = number.replace(/[^\d]/g, '') || number;
  return `<sms-${createHash('sha256').update(digits).digest('hex').slice(0, 20)}@${domain}>`;
}

/**
 * The e-mail channel: each event becomes one mail with the subject and body templates, the full
 * number and text, in the thread of its phone number. The Message-ID is the event's id, so a mail
 * sent again after a crash carries the same id and mail clients show it once.
 */
export function emailChannel(options: EmailOptions, deps: ChannelDeps): Channel & { mailer: Mailer } {
  const mailer = new Mailer(options, { key: `channels.${deps.name}.email`, env: deps.env });
  return {
    name: deps.name,
    kind: 'email',
    mailer,
    async send({ event, tags }: ChannelMessage) {
      const values = templateValues({ event, tags, agentId: deps.agentId });
      await mailer.send({
        subject: render(mailer.options.subject, values).replace(/[\r\n]+/g, ' '),
        text: render(mailer.options.body, values),
        messageId: `<${event.id}@${mailer.domain}>`,
        ...(values.number ? mailer.thread(values.number) : {}),
      });
    },
    stop() {
      mailer.close();
    },
  };
}
