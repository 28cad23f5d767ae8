import { definePlugin } from '../../core/plugin.ts';
import { Balance, balanceMigrations } from './balance.ts';
import { ModemDriver } from './driver.ts';
import { Inbox } from './inbox.ts';
import { KeepAlive } from './keepalive.ts';
import { modemOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { Parking } from './parking.ts';
import { SendPolicy } from './policy.ts';
import { portBinding } from './port.ts';
import { Reports } from './reports.ts';
import { migrations } from './schema.ts';
import { SmsGateway, ussdFailure } from './service.ts';
import { fileSink, Trace } from './trace.ts';
import { systemTimeZone } from './zoned.ts';

/**
 * The modem plugin: one instance per modem (`id` tells them apart). The first instance provides the
 * `sms` service; later ones join it, and a send picks a modem by id or round robin.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem({ port: '/dev/ttyUSB2', cnmi: 'stored', rateLimitPerMinute: 20 })]
 */
export const modem = definePlugin({
  name: 'modem',
  instanceKey: 'id',
  options: modemOptions,
  async setup(ctx) {
    const o = ctx.options;
    ctx.store.migrate('modem', migrations);
    // A registered port (the simulator, a replay) or the system's serial binding for a device path.
    const port = await portBinding(ctx);
    const id = o.id;
    const common = { store: ctx.store, events: ctx.events, clock: ctx.clock, log: ctx.log, modem: id };
    const inbox = new Inbox({ ...common, concatTimeoutMs: o.concatTimeoutMinutes * 60_000 });
    const p = o.policy;
    const policy = new SendPolicy({
      store: ctx.store, clock: ctx.clock, modem: id,
      settings: { ...p, perMinute: p.perMinute ?? o.rateLimitPerMinute, perDay: p.perDay ?? o.dailyQuota, timeZone: p.timeZone ?? systemTimeZone() },
    });
    const parking = new Parking({ ...common, settings: o.parking });
    const outbox = new Outbox({ ...common, retry: o.retry, policy, parking });
    const reports = new Reports({ ...common, windowMs: o.reportWindowHours * 3600_000 });
    outbox.onSent = (messageId) => reports.settle(messageId);
    const driver = new ModemDriver(
      {
        id,
        path: port.path,
        baudRate: o.baudRate,
        binding: port.binding,
        simulator: port.simulated ?? false,
        cnmi: o.cnmi,
        pin: process.env[o.pinEnv] || undefined,
        healthIntervalMs: o.healthIntervalSeconds * 1000,
        commandTimeoutMs: o.commandTimeoutMs,
        hangThreshold: o.hangThreshold,
        reconnectMaxMs: o.reconnectMaxSeconds * 1000,
        hangUpCalls: o.hangUpCalls,
        storageWarnPercent: o.storageWarnPercent,
      },
      { ...common, inbox, outbox, reports, trace: o.trace ? new Trace(fileSink(o.trace)) : undefined, ...o.testingHooks },
    );
    let balance: Balance | undefined;
    if (o.balance) {
      ctx.store.migrate('balance', balanceMigrations);
      balance = new Balance(o.balance, {
        ...common,
        online: () => driver.online,
        ussd: (code, timeoutMs) => driver.ussd.request(code, timeoutMs).catch((error: unknown) => Promise.reject(ussdFailure(error))),
      });
    }
    const existing = ctx.tryUse('sms');
    const gateway = existing instanceof SmsGateway ? existing : new SmsGateway(ctx.store, ctx.clock, ctx.log, ctx.events);
    if (!existing) ctx.provide('sms', gateway);
    const first = !existing;
    const worker = new AbortController();
    let workerDone: Promise<void> = Promise.resolve();
    let pinging: Promise<void> = Promise.resolve();
    let failover: Promise<void> = Promise.resolve();
    let balanceDone: Promise<void> = Promise.resolve();
    let keepAliveDone: Promise<void> = Promise.resolve();
    const keepAlive = o.keepAlive
      ? new KeepAlive(o.keepAlive, {
          ...common,
          online: () => driver.online,
          send: (request) => gateway.send(request),
          ussd: (code) => driver.ussd.request(code, 30_000).catch((error: unknown) => Promise.reject(ussdFailure(error))),
        })
      : undefined;
    const failoverMs = o.failoverSeconds * 1000;

    return {
      start() {
        gateway.join({ driver, outbox, inbox, failoverMs, balance, parking, keepAlive });
        policy.prune();
        driver.start();
        workerDone = outbox.run(driver, worker.signal);
        if (balance) balanceDone = balance.run(worker.signal).catch((error) => ctx.log.error({ err: error, modem: id }, 'balance schedule failed'));
        if (keepAlive) keepAliveDone = keepAlive.run(worker.signal).catch((error) => ctx.log.error({ err: error, modem: id }, 'keep-alive schedule failed'));
        // Looks a few times per grace period whether this modem's round-robin messages should move on.
        const every = Math.min(30_000, Math.max(1000, failoverMs / 4));
        failover = (async () => {
          while (!worker.signal.aborted) {
            await ctx.clock.sleep(every, worker.signal).catch(() => {});
            if (worker.signal.aborted) return;
            try {
              gateway.failover(id);
              // Messages held here by a cap may have room on another modem by now (its day began).
              gateway.rebalance(id);
            } catch (error) {
              ctx.log.error({ err: error, modem: id }, 'failover check failed');
            }
          }
        })();
        if (first && o.pingMinutes > 0) {
          const startedAt = ctx.clock.now();
          pinging = (async () => {
            while (!worker.signal.aborted) {
              await ctx.clock.sleep(o.pingMinutes * 60_000, worker.signal).catch(() => {});
              if (worker.signal.aborted) return;
              ctx.events.emit('system.ping', { agentId: ctx.agentId, uptimeSeconds: Math.round((ctx.clock.now() - startedAt) / 1000) });
            }
          })();
        }
      },
      async stop() {
        worker.abort();
        outbox.onHeld = undefined;
        gateway.leave(id);
        await driver.stop();
        await workerDone;
        await pinging;
        await failover;
        await balanceDone;
        await keepAliveDone;
        port.close?.();
      },
      health() {
        const h = driver.health();
        return {
          // Online but missing answers (not hung yet: hangThreshold), or messages waiting on the SIM because
          // no read gave them whole: working, but no longer to be trusted as pass.
          status: driver.online ? (driver.misses > 0 || driver.unreadOnSim ? 'warn' : 'pass') : driver.state === 'starting' ? 'warn' : 'fail',
          ...h,
          outboundQueued: outbox.depth(),
          pendingParts: inbox.pendingParts(),
          decodeErrors: inbox.decodeErrors,
          ...(balance ? { balance: balance.last() } : {}),
          sending: outbox.status(),
          ...(keepAlive ? { keepAlive: keepAlive.status() } : {}),
        };
      },
    };
  },
});

export { ModemDriver } from './driver.ts';
export { registerPort, type PortBinding, type PortFactory } from './port.ts';
export { AtEngine } from './at.ts';
export { AtError } from './errors.ts';
export { SmsGateway, SmsServiceError } from './service.ts';
