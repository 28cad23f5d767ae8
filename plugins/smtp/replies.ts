import type { AnyEvent } from '../../core/events.ts';
import type { Mail } from '../channels/email.ts';
import type { Logger } from '../../core/log.ts';
import type { SmtpOptions } from './options.ts';
import type { Threads } from './threads.ts';

/** Sends one mail (the e-mail channel's Mailer); a ChannelError with `retryable` false is not tried again. */
export type SendMail = (mail: Mail) => Promise<unknown>;

export interface ReplyDeps {
  options: SmtpOptions & { reply: NonNullable<SmtpOptions['reply']> };
  threads: Threads;
  send: SendMail;
  now: () => number;
  log: Logger;
  stats: { answered: number; undeliverable: number };
}

/** `Re: Disk full` for `Disk full` and for `Re: Disk full` alike. */
export function answerSubject(subject: string): string {
  const s = subject.trim();
  if (!s) return 'SMS answer';
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

/**
 * The journal handler: an SMS from a number someone wrote to (in the last `maxAgeDays`) goes back to
 * that writer by e-mail, in their thread (In-Reply-To their last mail), with Reply-To
 * `<number>@<domain>` so that answering it sends an SMS again. Its Message-ID is made of the event's
 * id: a mail sent again after a crash is one the writer's mail program can recognise.
 */
export function answerHandler(deps: ReplyDeps): (event: AnyEvent) => Promise<void> {
  const { options, threads, log, stats } = deps;
  return async (event) => {
    if (event.type !== 'sms.received' || event.data.text === undefined) return;
    const thread = threads.of(event.data.from, deps.now() - options.reply.maxAgeDays * 86_400_000);
    if (!thread) return;
    const mail: Mail = {
      to: thread.writer,
      replyTo: `${thread.address}@${options.domain}`,
      subject: answerSubject(thread.subject),
      text: `${event.data.text}\n\n-- \nSMS from ${event.data.from}, ${event.data.receivedAt}`,
      messageId: `<${event.id}@${options.domain}>`,
      ...(thread.mailId ? { inReplyTo: thread.mailId } : {}),
      ...(thread.refs ? { references: thread.refs.split(' ') } : {}),
    };
    try {
      await deps.send(mail);
      stats.answered++;
      log.info({ event: event.id }, 'smtp: SMS answer mailed');
    } catch (error) {
      // A 5xx from the relay (no such mailbox, refused) will not change by trying again.
      if ((error as { retryable?: unknown }).retryable === false) {
        stats.undeliverable++;
        log.warn({ event: event.id, err: error }, 'smtp: the SMS answer was refused by the mail server; not tried again');
        return;
      }
      throw error;
    }
  };
}
