import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import * as v from 'valibot';
import { phone, sendBody } from '../../core/send.ts';
import type { Logger } from '../../core/log.ts';
import type { SendAccepted, SmsService } from '../../core/services.ts';
import type { Store } from '../../core/store.ts';
import { keyMatches } from '../api/auth.ts';
import { queueSend } from '../api/routes/sms.ts';
import type { SmtpOptions } from './options.ts';
import { fitParts, partsOf, smsText } from './text.ts';
import { numberKey, type Threads } from './threads.ts';

export interface InboundDeps {
  options: SmtpOptions;
  /** Account name → password (read from the environment at setup). */
  passwords: Map<string, string>;
  threads: Threads;
  store: Store;
  sms: () => SmsService | undefined;
  now: () => number;
  log: Logger;
  /** TLS certificate and key (PEM) for STARTTLS, when configured. */
  tls?: { cert: Buffer; key: Buffer };
  /** Whether AUTH may be used on a connection without TLS (loopback only). */
  insecureAuth: boolean;
  stats: { accepted: number; refused: number };
}

/** Failed AUTH attempts one connection may make before it is closed. */
export const MAX_FAILED_SIGN_INS = 3;

/** An SMTP refusal: `code` is the reply code, `text` starts with the RFC 3463 enhanced code. */
export class SmtpRefusal extends Error {
  override name = 'SmtpRefusal';
  readonly responseCode: number;
  constructor(code: number, text: string) {
    super(text);
    this.responseCode = code;
  }
}

/** `*@example.com` → a case-insensitive regular expression for the whole address. */
export function senderMatcher(patterns: readonly string[]): (address: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i'));
  return (address) => res.some((re) => re.test(address));
}

/**
 * The number a recipient `<number>@<domain>` names: `+4917...` or `004917...` (taken as `+4917...`)
 * or national digits. Throws an SmtpRefusal for another domain (no relaying) or a local part that is
 * not a number.
 */
export function recipientNumber(address: string, domain: string): string {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const host = at < 0 ? '' : address.slice(at + 1).toLowerCase();
  if (host !== domain) throw new SmtpRefusal(550, `5.7.1 <${address}>: relay access denied: this server only takes mail to <number>@${domain}`);
  const number = /^00[1-9]/.test(local) ? `+${local.slice(2)}` : local;
  if (!v.is(phone, number)) throw new SmtpRefusal(553, `5.1.3 <${address}>: ${local || '(empty)'} is not a phone number (digits only, with an optional leading +; at most 15 digits)`);
  return number;
}

function firstAddress(field: AddressObject | AddressObject[] | undefined): string | undefined {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  for (const group of list) for (const a of group.value) if (a.address) return a.address;
  return undefined;
}

/** The SMTP answer for what queueing threw: a temporary 4xx when trying later can help. */
function refusalOf(error: unknown): SmtpRefusal {
  if (error instanceof SmtpRefusal) return error;
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code === 'storage_full') return new SmtpRefusal(452, '4.3.1 insufficient system storage: the gateway cannot store the SMS now, try again later');
  if (e?.code === 'sms_unavailable' || e?.code === 'no_modem') return new SmtpRefusal(451, '4.3.0 no modem is running: try again later');
  if (e?.code === 'invalid_request' && typeof e.message === 'string') return new SmtpRefusal(554, `5.6.0 the SMS cannot be sent: ${e.message}`);
  return new SmtpRefusal(451, '4.3.0 local error in processing: try again later');
}

/**
 * The SMTP server: a mail to `<number>@<domain>` from an allowed sender (or a signed-in account)
 * becomes one SMS per recipient, queued durably before the 250 is sent.
 */
export function inboundServer(deps: InboundDeps): SMTPServer {
  const { options, log, stats } = deps;
  const allowed = senderMatcher(options.allow);
  const refuse = (cb: (e: Error) => void, refusal: SmtpRefusal) => {
    stats.refused++;
    cb(refusal);
  };
  const failedSignIns = new WeakMap<SMTPServerSession, number>();
  const disabled = [...(deps.tls ? [] : ['STARTTLS']), ...(deps.passwords.size ? [] : ['AUTH'])];
  return new SMTPServer({
    name: options.domain,
    banner: 'smsedge e-mail to SMS',
    size: options.maxBytes,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: true, // our refusals carry their own enhanced codes (5.7.1 is not 550's 5.1.1)
    hideDSN: true,
    disabledCommands: disabled,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: deps.insecureAuth,
    ...(deps.tls ? { key: deps.tls.key, cert: deps.tls.cert } : {}),
    logger: false,
    closeTimeout: 2000,
    maxClients: 50, // a Pi's worth: a burst of alerts queues in the clients, not in our memory
    onAuth(auth, session, cb) {
      const expected = auth.username === undefined ? undefined : deps.passwords.get(auth.username);
      // Compared (in constant time) even for an unknown name, so the time taken does not tell which names exist.
      const ok = keyMatches(auth.password ?? undefined, expected ?? '\0no such account') && expected !== undefined;
      if (!ok) {
        const failures = (failedSignIns.get(session) ?? 0) + 1;
        failedSignIns.set(session, failures);
        log.warn({ method: auth.method, failures, remote: session.remoteAddress }, 'smtp: sign-in refused');
        // A 421 closes the connection: a password guesser has to connect again for every few tries.
        if (failures >= MAX_FAILED_SIGN_INS) return refuse(cb, new SmtpRefusal(421, `4.7.0 ${MAX_FAILED_SIGN_INS} failed sign-ins: closing the connection`));
        return refuse(cb, new SmtpRefusal(535, '5.7.8 authentication credentials invalid'));
      }
      cb(null, { user: auth.username });
    },
    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb) {
      if (session.user || allowed(address.address)) return cb();
      const how = deps.passwords.size ? 'sign in (AUTH) or send from an allowed address' : 'the address is not in the allow list';
      refuse(cb, new SmtpRefusal(550, `5.7.1 <${address.address}>: sender may not send SMS here: ${how}`));
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb) {
      try {
        if (session.envelope.rcptTo.length >= options.maxRecipients)
          throw new SmtpRefusal(452, `4.5.3 too many recipients: at most ${options.maxRecipients} per mail (send the rest in another mail)`);
        recipientNumber(address.address, options.domain);
        cb();
      } catch (error) {
        refuse(cb, refusalOf(error));
      }
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb) {
      simpleParser(stream, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true })
        .then((mail) => {
          if (stream.sizeExceeded) throw new SmtpRefusal(552, `5.3.4 message too big: at most ${options.maxBytes} bytes`);
          const reply = accept(deps, session, mail);
          stats.accepted++;
          cb(null, reply);
        })
        .catch((error: unknown) => {
          const refusal = refusalOf(error);
          if (refusal.responseCode === 451) log.error({ err: error }, 'smtp: a mail could not be queued');
          refuse(cb, refusal);
        });
    },
  });
}

/** Turns a parsed mail into SMS, queued (and its thread remembered) in one transaction; returns the 250 text. */
function accept(deps: InboundDeps, session: SMTPServerSession, mail: ParsedMail): string {
  const { options, threads, store } = deps;
  const autoSubmitted = String(mail.headers.get('auto-submitted') ?? 'no').toLowerCase();
  // RFC 3834: an auto-reply (a vacation notice answering our answer) is taken and dropped, never texted.
  if (autoSubmitted.startsWith('auto-replied')) return '2.0.0 Ok: an automatic reply, not sent as SMS';

  let text = smsText(mail.subject, mail.text ?? '', options.subject);
  if (!text) throw new SmtpRefusal(554, '5.6.0 the mail has no text to send (an empty body and subject)');
  const parts = partsOf(text);
  if (parts > options.maxParts) {
    if (options.onTooLong === 'bounce') throw new SmtpRefusal(554, `5.3.4 the text needs ${parts} SMS parts, more than the ${options.maxParts} allowed: make it shorter`);
    text = fitParts(text, options.maxParts);
  }

  const sender = (session.envelope.mailFrom ? session.envelope.mailFrom.address : '').toLowerCase();
  const numbers = [...new Map(session.envelope.rcptTo.map((r) => recipientNumber(r.address, options.domain)).map((n) => [numberKey(n), n])).values()];
  const mailId = mail.messageId;
  const fresh = mailId ? numbers.filter((n) => threads.seen(sender, mailId, n) === undefined) : numbers;
  const before = mailId ? numbers.map((n) => threads.seen(sender, mailId, n)).filter((id) => id !== undefined) : [];
  if (fresh.length === 0) return `2.0.0 Ok: already queued as ${before.join(' ')}`;

  const parsed = v.safeParse(sendBody, { to: fresh, text });
  if (!parsed.success) throw new SmtpRefusal(554, `5.6.0 the SMS cannot be sent: ${parsed.issues[0].message}`);
  const sms = deps.sms();
  if (!sms) throw new SmtpRefusal(451, '4.3.0 no modem is running: try again later');

  const writer = (mail.replyTo && firstAddress(mail.replyTo)) ?? firstAddress(mail.from) ?? sender;
  // An answer to the gateway's own domain would come straight back: such writers get no thread.
  const threadable = writer.includes('@') && !writer.toLowerCase().endsWith(`@${options.domain}`);
  const refs = [...(Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : []), ...(mailId ? [mailId] : [])].slice(-10).join(' ');
  const now = deps.now();
  const accepted: SendAccepted[] = store.transaction(() => {
    const queued = queueSend(sms, store, parsed.output);
    queued.forEach((a, i) => {
      const number = fresh[i]!;
      if (mailId) threads.markSeen(sender, mailId, number, a.id, now);
      if (threadable) threads.remember(number, { writer, subject: mail.subject ?? '', mailId: mailId ?? null, refs }, now);
    });
    return queued;
  });
  deps.log.info({ sms: accepted.length, parts: accepted[0]?.parts, user: session.user }, 'smtp: mail queued as SMS');
  return `2.0.0 Ok: queued as ${[...before, ...accepted.map((a) => a.id)].join(' ')}`;
}
