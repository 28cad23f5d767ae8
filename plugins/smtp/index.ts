import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../core/config.ts';
import { definePlugin } from '../../core/plugin.ts';
import { isLoopback } from '../api/auth.ts';
import { Mailer } from '../channels/email.ts';
import { secretFromEnv } from '../channels/secret.ts';
import { inboundServer } from './inbound.ts';
import { smtpOptions } from './options.ts';
import { answerHandler, type SendMail } from './replies.ts';
import { Threads } from './threads.ts';

export interface SmtpService {
  /** Where the SMTP server listens (the port chosen when `port` is 0). */
  address(): { host: string; port: number };
}

declare module '../../core/plugin.ts' {
  interface Services {
    smtp: SmtpService;
  }
}

/** The journal sink's name: its durable cursor for SMS answers. Keep it stable. */
export const SINK = 'smtp-answers';

function pem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(key, `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * E-mail to SMS: an SMTP server on which a mail to `<number>@<domain>` from an allowed sender (or a
 * signed-in account) becomes an SMS to that number, queued durably before the server answers 250.
 * With `reply`, an SMS answer from that number is mailed back to whoever wrote to it last.
 *
 * @example
 * // agent.config.ts: a monitoring system on this host mails alerts to +4917612345678@sms.example.com
 * plugins: [modem(), smtp({ domain: 'sms.example.com', allow: ['nagios@example.com'] })]
 */
export const smtp = definePlugin({
  name: 'smtp',
  after: ['modem'],
  options: smtpOptions,
  setup(ctx) {
    const o = ctx.options;
    const env = process.env;
    if (o.allow.length === 0 && o.users.length === 0) throw new ConfigError('allow', 'no one may send: list senders in allow (e.g. "*@example.com") or accounts in users');
    const passwords = new Map(o.users.map((u, i) => [u.name, secretFromEnv(env, u.passwordEnv, `users[${i}].passwordEnv`)]));
    // AUTH sends the password in clear (PLAIN, LOGIN): only inside TLS, or on this machine.
    if (passwords.size && !o.tls && !isLoopback(o.host)) throw new ConfigError('tls', `signing in (users) on ${o.host} needs tls: passwords would cross the network in clear`);
    const tls = o.tls && { cert: pem(o.tls.cert, 'tls.cert'), key: pem(o.tls.key, 'tls.key') };
    const threads = new Threads(ctx.store);
    const stats = { accepted: 0, refused: 0, answered: 0, undeliverable: 0 };
    const server = inboundServer({
      options: o, passwords, threads, store: ctx.store, sms: () => ctx.tryUse('sms'), now: () => ctx.clock.now(), log: ctx.log,
      ...(tls ? { tls } : {}), insecureAuth: isLoopback(o.host), stats,
    });
    let mailer: Mailer | undefined;
    if (o.reply) {
      const { maxAgeDays: _age, ...mail } = o.reply;
      // `to` is each answer's own (the thread's last writer); the Mailer's default is never used.
      mailer = new Mailer({ ...mail, to: mail.from }, { key: 'reply', env });
    }
    let bound: { host: string; port: number } | undefined;
    ctx.provide('smtp', {
      address() {
        if (!bound) throw new Error('the smtp plugin is not listening');
        return bound;
      },
    });

    return {
      async start() {
        threads.prune(ctx.clock.now(), o.reply?.maxAgeDays ?? 30);
        await new Promise<void>((resolve, reject) => {
          // smtp-server re-emits its listening socket's errors and each connection's on itself.
          server.on('error', (error) => {
            if (bound) ctx.log.warn({ err: error }, 'smtp: connection error');
            else reject(new Error(`smtp: cannot listen on ${o.host}:${o.port}: ${error.message}`, { cause: error }));
          });
          server.listen(o.port, o.host, () => resolve());
        });
        bound = { host: o.host, port: (server.server.address() as AddressInfo).port };
        ctx.log.info({ host: bound.host, port: bound.port, starttls: Boolean(tls), answers: Boolean(o.reply) }, 'smtp: listening');
        if (o.reply && mailer) {
          const send: SendMail = (m) => mailer!.send(m);
          ctx.events.subscribe(SINK, answerHandler({ options: { ...o, reply: o.reply }, threads, send, now: () => ctx.clock.now(), log: ctx.log, stats }), {
            types: ['sms.received'],
          });
        }
      },
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        mailer?.close();
        bound = undefined;
      },
      health: () => ({ status: bound ? 'pass' : 'fail', ...(bound ? { port: bound.port } : {}), ...stats }),
    };
  },
});

export default smtp;
