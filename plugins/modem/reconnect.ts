// The connection's life: open the port, set the modem up, run until the port closes or a reset is due,
// then reopen with capped exponential backoff. A locked SIM ends it for good (a SIM blocks after three PINs).
import type { DriverContext } from './context.ts';
import { checkHealth, sweepStorage } from './health.ts';
import { openPort, type Port } from './port.ts';
import { setUp } from './setup.ts';
import { SimLocked } from './sim.ts';

/** Open → set up → run until the port closes or a reset is due → reopen, with capped backoff. */
export async function supervise(m: DriverContext): Promise<void> {
  const signal = m.signal;
  const { clock, log } = m.deps;
  const o = m.options;
  let backoff = 1000;
  // What the last failed open said: a port that stays unavailable is reported once, not at every retry.
  let openFailure: string | undefined;
  while (!signal.aborted) {
    let port: Port;
    try {
      port = await openPort(o.binding, o.path, o.baudRate, (chunk) => m.at.feed(chunk));
    } catch (error) {
      if (signal.aborted) return;
      const reason = cannotOpen(o.path, error);
      // Going offline is announced at warn with this reason; already offline, a new reason is said here.
      const announced = m.state === 'online' || m.state === 'starting';
      m.setState('offline', reason);
      if (reason !== openFailure && !announced) log.warn({ modem: m.id, path: o.path, retryInMs: backoff }, reason);
      else log.debug({ modem: m.id, path: o.path, retryInMs: backoff }, reason);
      openFailure = reason;
      await clock.sleep(backoff, signal).catch(() => {});
      backoff = Math.min(backoff * 2, o.reconnectMaxMs);
      continue;
    }
    // Stopped while the port was opening (a start that failed elsewhere): nothing more to do.
    if (signal.aborted) {
      await port.close().catch(() => {});
      return;
    }
    if (openFailure) log.info({ modem: m.id, path: o.path }, 'modem port opened');
    openFailure = undefined;
    m.port = port;
    m.at.open();
    const reset = new Promise<string>((r) => (m.resetRequested = (why) => r(why ?? 'reset')));
    let reason = 'set-up failed';
    try {
      await setUp(m);
      backoff = 1000;
      m.ready = true;
      await checkHealth(m);
      // Messages that arrived while the agent was down come first.
      await sweepStorage(m);
      m.deps.outbox.wake();
      reason = await Promise.race([port.closed.then(() => 'port closed'), reset]);
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof SimLocked) {
        m.setState('sim-locked', error.message);
        log.error({ modem: m.id, reason: error.message }, 'SIM locked: not retrying (a SIM blocks after three wrong PINs)');
        await port.close().catch(() => {});
        m.at.close('sim locked');
        return;
      }
      log.warn({ err: error, modem: m.id }, 'modem set-up failed');
    }
    m.ready = false;
    m.registered = false;
    m.at.close('port closed');
    await port.close().catch(() => {});
    m.port = undefined;
    if (signal.aborted) break;
    m.setState('offline', reason);
    await clock.sleep(backoff, signal).catch(() => {});
    backoff = Math.min(backoff * 2, o.reconnectMaxMs);
  }
}

/**
 * Why `path` could not be opened, in the OS's words with what usually helps, e.g. `cannot open
 * /dev/ttyUSB9: No such file or directory (is the modem plugged in? ls /dev/serial/by-id/)`.
 * serialport says "Error: <strerror>, cannot open <path>".
 */
export function cannotOpen(path: string, error: unknown): string {
  const said = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '').replace(/, cannot open .*$/s, '').trim() || 'unknown error';
  const hint = /no such file/i.test(said)
    ? ' (is the modem plugged in? ls /dev/serial/by-id/)'
    : /permission denied/i.test(said)
      ? " (the agent's user needs the group dialout: sudo usermod -aG dialout <user>)"
      : /busy|lock/i.test(said)
        ? ' (another program holds it; ModemManager? sudo systemctl stop ModemManager)'
        : '';
  return `cannot open ${path}: ${said}${hint}`;
}
