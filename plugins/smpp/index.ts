import { readFileSync } from 'node:fs';
import type { AnyEvent } from '../../core/events.ts';
import { ConfigError } from '../../core/config.ts';
import { definePlugin, type PluginContext, type PluginHealth } from '../../core/plugin.ts';
import type { SinkSubscription } from '../../core/journal.ts';
import { registerSecret } from '../../core/redact.ts';
import { deliverEvents, delivers } from './deliver.ts';
import { smppOptions, type SmppAccount, type SmppOptions } from './options.ts';
import { status as smppStatus } from './pdu.ts';
import { requestHandler } from './requests.ts';
import { Submits } from './schema.ts';
import { MAX_PASSWORD_OCTETS, SmppServer } from './server.ts';
import { RequestFailed } from './session.ts';

export { smppOptions, type SmppOptions } from './options.ts';

/** Names of command_status values, for logs and metrics. */
const statusName = new Map(Object.entries(smppStatus).map(([k, v]) => [v as number, k]));

/**
 * An SMPP 3.4 server: the agent as the SMSC of Kannel, Jasmin, playSMS or any SMPP client. Each
 * account binds with its system_id and a password from the environment; submit_sm is queued durably
 * (as POST /sms/send) before submit_sm_resp; received SMS and delivery receipts go out as deliver_sm
 * to the account's receiver or transceiver sessions, at least once (a durable journal subscription
 * per account, kept until a bound session answers deliver_sm_resp OK). See docs/smpp.md.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem(), api(), smpp({ host: '0.0.0.0', accounts: [{ systemId: 'kannel', passwordEnv: 'SMPP_KANNEL_PASSWORD' }] })]
 */
export const smpp = definePlugin({
  name: 'smpp',
  after: ['modem', 'api'],
  options: smppOptions,
  setup(ctx: PluginContext<SmppOptions>) {
    const o = ctx.options;
    const submits = new Submits(ctx.store);
    const accounts = o.accounts.map((account, i) => {
      const password = process.env[account.passwordEnv] || undefined;
      // SMPP 5.2.3: the password field holds 8 octets; a longer one could never bind.
      if (password && Buffer.byteLength(password, 'latin1') > MAX_PASSWORD_OCTETS) throw new ConfigError(`accounts[${i}].passwordEnv`, `${account.passwordEnv} holds more than ${MAX_PASSWORD_OCTETS} characters (SMPP passwords have at most 8)`);
      if (password) registerSecret(password);
      else ctx.log.warn({ account: account.systemId, passwordEnv: account.passwordEnv }, 'SMPP account has no password set: it cannot bind');
      return { ...account, password };
    });
    const submitted = new Map<string, number>();
    let turn = 0;
    const modemFor = (systemId: string): string | undefined => {
      const allowed = o.accounts.find((a) => a.systemId === systemId)?.modems;
      if (!allowed) return undefined;
      if (allowed.length === 1) return allowed[0];
      // Round robin over the account's modems that are online; the first when none is (it waits there).
      const online = new Set(ctx.tryUse('sms')?.modems().filter((m) => m.state === 'online').map((m) => m.id));
      const usable = allowed.filter((m) => online.has(m));
      return usable.length ? usable[turn++ % usable.length] : allowed[0];
    };
    const server = new SmppServer({
      accounts,
      clock: ctx.clock,
      log: ctx.log,
      idleMs: o.idleSeconds * 1000,
      responseMs: o.responseSeconds * 1000,
      window: o.window,
      sessionsPerAccount: o.sessionsPerAccount,
      onRequest: requestHandler({
        sms: () => ctx.tryUse('sms'),
        store: ctx.store,
        submits,
        now: () => ctx.clock.now(),
        modemFor,
        log: ctx.log,
        counted: (account, code) => {
          const key = `${account}\u0000${statusName.get(code) ?? `0x${code.toString(16)}`}`;
          submitted.set(key, (submitted.get(key) ?? 0) + 1);
        },
      }),
    });

    const subscriptions = new Map<string, SinkSubscription>();
    const delivered = new Map<string, number>();
    /** Hands one event's deliver_sm to a bound session of the account, each until it is answered OK. */
    const sink = (account: SmppAccount) => {
      const done = new Set<string>();
      return async (event: AnyEvent): Promise<void> => {
        const pdus = delivers(event, account, submits);
        for (const [i, fields] of pdus.entries()) {
          const key = `${event.id}/${i}`;
          if (done.has(key)) continue; // answered OK before a later part failed: not sent twice in this run
          const session = await server.receiver(account.systemId, ctx.signal);
          let answer;
          try {
            answer = await session.request('deliver_sm', fields, { windowed: true });
          } catch (error) {
            if (error instanceof RequestFailed) throw new Error(`deliver_sm to ${account.systemId}: ${error.message}`);
            throw error;
          }
          if (answer.command_status !== smppStatus.ESME_ROK) throw new Error(`deliver_sm to ${account.systemId} answered ${statusName.get(answer.command_status) ?? `0x${answer.command_status.toString(16)}`}`);
          done.add(key);
          delivered.set(account.systemId, (delivered.get(account.systemId) ?? 0) + 1);
        }
        for (let i = 0; i < pdus.length; i++) done.delete(`${event.id}/${i}`);
      };
    };

    let ports: { port: number; tlsPort?: number } | undefined;
    const removers: (() => void)[] = [];
    return {
      async start() {
        submits.prune(ctx.clock.now());
        const known = ctx.tryUse('sms')?.modems().map((m) => m.id);
        o.accounts.forEach((a, i) => {
          const unknown = known && a.modems?.filter((m) => !known.includes(m));
          if (unknown?.length) throw new ConfigError(`accounts[${i}].modems`, `no modem "${unknown.join('", "')}" (the agent has ${known!.map((m) => `"${m}"`).join(', ')})`);
        });
        let tls: { cert: Buffer; key: Buffer } | undefined;
        try {
          if (o.tls) tls = { cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) };
        } catch (error) {
          throw new ConfigError('tls', `cannot read the certificate or key: ${(error as Error).message}`);
        }
        const port = await server.listen(o.host, o.port);
        let tlsPort: number | undefined;
        try {
          if (tls) tlsPort = await server.listen(o.host, o.tls!.port, tls);
        } catch (error) {
          await server.close();
          throw error;
        }
        ports = { port, ...(tlsPort !== undefined ? { tlsPort } : {}) };
        ctx.log.info({ host: o.host, ...ports, accounts: o.accounts.map((a) => a.systemId) }, 'SMPP server listening');
        for (const account of o.accounts) {
          subscriptions.set(
            account.systemId,
            ctx.events.subscribe(`${ctx.name}:${account.systemId}`, sink(account), {
              types: deliverEvents,
              concurrency: o.window,
              // A session that went away is waited for without retrying; these are the client's refusals.
              backoff: (n) => Math.min(60_000, 500 * 2 ** (n - 1)),
            }),
          );
        }
        const metrics = ctx.tryUse('api')?.metrics;
        if (metrics) {
          removers.push(
            metrics.collect('smsedge_smpp_sessions', 'Bound SMPP sessions by account and bind mode', 'gauge', () =>
              Object.entries(server.sessions()).flatMap(([account, modes]) => Object.entries(modes).map(([mode, value]) => ({ labels: { account, mode }, value }))),
            ),
            metrics.collect('smsedge_smpp_submits_total', 'submit_sm answered, by account and command_status', 'counter', () =>
              [...submitted].map(([key, value]) => {
                const [account, status] = key.split('\u0000') as [string, string];
                return { labels: { account, status }, value };
              }),
            ),
            metrics.collect('smsedge_smpp_delivers_total', 'deliver_sm answered OK, by account', 'counter', () =>
              o.accounts.map((a) => ({ labels: { account: a.systemId }, value: delivered.get(a.systemId) ?? 0 })),
            ),
            metrics.collect('smsedge_smpp_pending_deliveries', 'Events not yet handed over to the account (received SMS and receipts)', 'gauge', () =>
              o.accounts.map((a) => ({ labels: { account: a.systemId }, value: subscriptions.get(a.systemId)?.lag() ?? 0 })),
            ),
          );
        }
      },
      async stop() {
        for (const remove of removers.splice(0)) remove();
        await server.close();
        for (const s of subscriptions.values()) await s.stop();
        subscriptions.clear();
      },
      health(): PluginHealth {
        const sessions = server.sessions();
        const perAccount = Object.fromEntries(
          accounts.map((a) => {
            const s = sessions[a.systemId]!;
            return [a.systemId, { bound: s.transmitter + s.receiver + s.transceiver, ...s, pending: subscriptions.get(a.systemId)?.lag() ?? 0, ...(a.password ? {} : { problem: `${a.passwordEnv} is not set` }) }];
          }),
        );
        return {
          status: accounts.some((a) => !a.password) ? 'warn' : 'pass',
          ...(ports ?? {}),
          unbound: server.unbound(),
          accounts: perAccount,
        };
      },
    };
  },
});

export default smpp;
