// systemd's watchdog (WatchdogSec= in smsedge.service): systemd restarts the agent when it stops saying
// it is alive. Node cannot send to a Unix datagram socket, so each "alive" is a `systemd-notify
// WATCHDOG=1` run from the event loop: if the loop hangs (a stuck synchronous call, an endless loop),
// no more runs happen and systemd restarts the service. One short process every WatchdogSec/2 (30 s
// with the shipped unit) costs nothing worth measuring. The unit sets NotifyAccess=all because the
// sender is that child, not the agent's own pid; systemd-notify waits until systemd has read the
// message (systemd >= 246), so it is not lost to the child exiting first.
import { execFile } from 'node:child_process';
import type { Logger } from './log.ts';

export interface WatchdogOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Sends one state to systemd (default: runs systemd-notify with only NOTIFY_SOCKET in its environment). */
  notify?: (state: string, socket: string) => Promise<void>;
  pid?: number;
}

export interface Watchdog {
  /** How often the timer feeds it, in ms. */
  readonly everyMs: number;
  /** One "alive": what the timer runs. Resolves when systemd-notify is done (never rejects). */
  feed(): Promise<boolean>;
  stop(): void;
}

const KEYS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

function systemdNotify(state: string, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('systemd-notify', [state], { env: { NOTIFY_SOCKET: socket, PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 5000 }, (error, _out, stderr) =>
      error ? reject(new Error(stderr.trim() || error.message)) : resolve(),
    );
  });
}

/**
 * Starts feeding systemd's watchdog when the service manager asked for one (WATCHDOG_USEC with a
 * NOTIFY_SOCKET, for this pid); undefined otherwise. The variables are taken out of the environment so
 * programs the agent runs (the exec plugin) do not inherit them.
 */
export function startWatchdog(options: WatchdogOptions = {}): Watchdog | undefined {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const forPid = env.WATCHDOG_PID === undefined ? undefined : Number(env.WATCHDOG_PID);
  for (const key of KEYS) delete env[key];
  if (!socket || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (forPid !== undefined && forPid !== (options.pid ?? process.pid)) return undefined;
  const notify = options.notify ?? systemdNotify;
  const log = options.log;
  // Twice per period, as sd_watchdog_enabled(3) advises; never more often than once a second.
  const everyMs = Math.max(1000, Math.floor(usec / 2000));
  let failing = false;
  const feed = async () => {
    try {
      await notify('WATCHDOG=1', socket);
      if (failing) log?.info('systemd watchdog fed again');
      failing = false;
      return true;
    } catch (error) {
      // Said once: systemd restarts the service if this goes on, and the log says why.
      if (!failing) log?.warn({ err: error }, 'cannot feed the systemd watchdog (systemd-notify failed): systemd will restart the agent');
      failing = true;
      return false;
    }
  };
  const timer = setInterval(() => void feed(), everyMs);
  timer.unref();
  void feed();
  log?.info({ everyMs }, 'feeding the systemd watchdog');
  return { everyMs, feed, stop: () => clearInterval(timer) };
}
