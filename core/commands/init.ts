import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineCommand, UsageError, type CommandIO } from '../command.ts';

/** What a port answered to a few AT commands, or why it could not be asked. */
export interface Probe {
  port: string;
  /** The device it points to (a /dev/serial/by-id/ name is a link). */
  device: string;
  answers: boolean;
  model?: string;
  /** +CPIN: READY, SIM PIN, ... */
  sim?: string;
  problem?: string;
  /** The process holding it, when it is ModemManager (or another program). */
  heldBy?: string;
}

/** Candidate serial ports: /dev/serial/by-id/ first (stable names), then the usual device names. */
export function listPorts(dev = '/dev'): string[] {
  const byId = join(dev, 'serial/by-id');
  const stable = existsSync(byId) ? readdirSync(byId).sort().map((n) => join(byId, n)) : [];
  const seen = new Set(stable.map((p) => safeReal(p)));
  const plain = readdirSync(dev)
    .filter((n) => /^tty(USB|ACM)\d+$/.test(n) || n === 'serial0' || n === 'ttyAMA0')
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => join(dev, n))
    .filter((p) => !seen.has(safeReal(p)));
  return [...stable, ...plain];
}

function safeReal(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Which process has `device` open (from /proc/<pid>/fd), by its command name. */
export function holderOf(device: string, proc = '/proc'): string | undefined {
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(join(proc, pid, 'fd'))) {
        if (readlinkSync(join(proc, pid, 'fd', fd)) === device) return readFileSync(join(proc, pid, 'comm'), 'utf8').trim();
      }
    } catch {
      // gone, or not ours to look at
    }
  }
  return undefined;
}

/** Whether ModemManager runs (it opens every modem it finds and sends its own commands). */
export function modemManagerRunning(proc = '/proc'): boolean {
  try {
    return readdirSync(proc).some((pid) => {
      try {
        return /^\d+$/.test(pid) && readFileSync(join(proc, pid, 'comm'), 'utf8').trim() === 'ModemManager';
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

type AtSession = { send(command: string): Promise<{ lines: readonly string[] }>; close(): Promise<void> };

/** Opens `port` and gives a way to send AT commands that each wait at most `timeoutMs`. */
async function openAt(port: string, baudRate: number, timeoutMs: number): Promise<AtSession> {
  const [{ systemBinding, openPort }, { AtEngine }, { systemClock }, { silentLogger }] = await Promise.all([
    import('../../plugins/modem/port.ts'),
    import('../../plugins/modem/at.ts'),
    import('../clock.ts'),
    import('../log.ts'),
  ]);
  let opened: Awaited<ReturnType<typeof openPort>> | undefined;
  const at = new AtEngine({ write: (data) => opened?.write(data), clock: systemClock, log: silentLogger(), timeoutMs });
  opened = await openPort(systemBinding(), port, baudRate, (chunk) => at.feed(chunk));
  at.open();
  return {
    send: (command) => at.send(command),
    async close() {
      at.close('init done');
      await opened?.close();
    },
  };
}

const said = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Asks `port` for AT, its model and the SIM state, within `timeoutMs` per command. */
export async function probe(port: string, baudRate = 115200, timeoutMs = 1500): Promise<Probe> {
  const device = safeReal(port);
  const result: Probe = { port, device, answers: false };
  const holder = holderOf(device);
  if (holder) result.heldBy = holder;
  let at: AtSession;
  try {
    at = await openAt(port, baudRate, timeoutMs);
  } catch (error) {
    const { cannotOpen } = await import('../../plugins/modem/reconnect.ts');
    result.problem = cannotOpen(port, error);
    return result;
  }
  try {
    // Twice: a modem that detects the baud rate from the first AT may not answer that one.
    await at.send('AT').catch(() => at.send('AT'));
    result.answers = true;
    const model = (await at.send('AT+CGMM').catch(() => ({ lines: [] as readonly string[] }))).lines.find((l) => l.trim());
    if (model) result.model = model.replace(/^\+CGMM:\s*/, '').trim();
    const cpin = (await at.send('AT+CPIN?').catch(() => ({ lines: [] as readonly string[] }))).lines.find((l) => l.startsWith('+CPIN:'));
    result.sim = cpin ? cpin.slice(6).trim().replace(/^"|"$/g, '') : 'no SIM answer';
  } catch (error) {
    result.problem = `no answer to AT (${said(error)})`;
  } finally {
    await at.close();
  }
  return result;
}

/** Enters the PIN once (never twice: a SIM blocks after three wrong ones). True when the SIM took it. */
export async function enterPin(port: string, pin: string, baudRate = 115200): Promise<{ ok: boolean; problem?: string }> {
  const at = await openAt(port, baudRate, 10_000);
  try {
    await at.send(`AT+CPIN="${pin}"`);
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: said(error) };
  } finally {
    await at.close();
  }
}

/** The config template the package ships (integrations/config/agent.config.ts), in a checkout or installed. */
function template(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 4; i++, dir = dirname(dir)) {
    const file = join(dir, 'integrations/config/agent.config.ts');
    if (existsSync(file)) return file;
  }
  throw new Error('the config template (integrations/config/agent.config.ts) is not installed');
}

/** `KEY=value` lines of `file` with `values` set (others kept, comments kept), written 0600. */
export function writeEnv(file: string, values: Record<string, string>): void {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : ['# smsedge secrets (read by systemd for smsedge.service); written by smsedge init'];
  const left = new Map(Object.entries(values));
  const out = lines.map((line) => {
    const key = /^#?\s*([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1];
    if (!key || !left.has(key)) return line;
    const value = left.get(key)!;
    left.delete(key);
    return `${key}=${value}`;
  });
  if (out.at(-1) === '') out.pop();
  for (const [key, value] of left) out.push(`${key}=${value}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${out.join('\n')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function init(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      yes: { type: 'boolean', short: 'y' },
      port: { type: 'string', multiple: true },
      pin: { type: 'string' },
      config: { type: 'string', default: '/etc/smsedge/agent.config.ts' },
      env: { type: 'string', default: '/etc/smsedge/env' },
      'baud-rate': { type: 'string', default: '115200' },
      timeout: { type: 'string', default: '1500' },
      force: { type: 'boolean' },
    },
    strict: true,
  });
  const say = (text: string) => io.stdout.write(`${text}\n`);
  // Answers are read line by line (typed, or piped in ahead of the questions).
  const rl = values.yes ? undefined : createInterface({ input: io.stdin, terminal: false });
  const lines = rl?.[Symbol.asyncIterator]();
  const line = async (question: string) => {
    io.stdout.write(question);
    const next = await lines?.next();
    io.stdout.write('\n');
    return next && !next.done ? String(next.value).trim() : '';
  };
  const ask = async (question: string, fallback: string) => (rl ? (await line(`${question} [${fallback}] `)) || fallback : fallback);
  try {
    const baudRate = Number(values['baud-rate']);
    const ports = values.port?.length ? values.port : listPorts();
    if (!ports.length) {
      io.stderr.write('smsedge init: no serial port found (is the modem plugged in? ls /dev/serial/by-id/; or name one with --port)\n');
      return 1;
    }
    const mm = modemManagerRunning();
    say(`Probing ${ports.length} port${ports.length === 1 ? '' : 's'} (AT, AT+CGMM, AT+CPIN?, ${values.timeout} ms each):`);
    const probes: Probe[] = [];
    for (const port of ports) {
      const p = await probe(port, baudRate, Number(values.timeout));
      probes.push(p);
      const what = p.answers ? `answers: ${p.model ?? 'modem'}, SIM ${p.sim}` : (p.problem ?? 'no answer');
      say(`  ${probes.length}. ${port}${p.device !== port ? ` -> ${p.device}` : ''}: ${what}${p.heldBy ? ` (held by ${p.heldBy})` : ''}`);
    }
    if (mm) {
      const held = probes.filter((p) => p.heldBy === 'ModemManager').map((p) => p.port);
      say(`ModemManager is running${held.length ? ` and holds ${held.join(', ')}` : ''}: it opens modems and sends its own commands. Stop it: sudo systemctl disable --now ModemManager`);
    }
    const answering = probes.filter((p) => p.answers);
    if (!answering.length) {
      io.stderr.write('smsedge init: no port answered AT (wrong port, baud rate, or another program holds it)\n');
      return 1;
    }
    let chosen = answering[0]!;
    if (rl && answering.length > 1) {
      const n = Number(await ask(`Which port is the modem's AT port? (1-${probes.length})`, String(probes.indexOf(chosen) + 1)));
      const pick = probes[n - 1];
      if (!pick?.answers) throw new UsageError(`port ${n} does not answer AT`);
      chosen = pick;
    }
    say(`Modem: ${chosen.port}`);

    const env: Record<string, string> = { SMSEDGE_MODEM_PORT: chosen.port };
    if (chosen.sim === 'SIM PIN') {
      const pin = values.pin ?? (rl ? await line('The SIM wants its PIN (entered once; a SIM blocks after three wrong ones): ') : undefined);
      if (!pin) {
        io.stderr.write('smsedge init: the SIM wants its PIN: give it with --pin\n');
        return 1;
      }
      const entered = await enterPin(chosen.port, pin, baudRate);
      if (!entered.ok) {
        io.stderr.write(`smsedge init: the SIM refused the PIN (${entered.problem}); not trying again. Check it, then run init again with the right one.\n`);
        return 1;
      }
      say('PIN accepted.');
      env.SMSEDGE_SIM_PIN = pin;
    } else if (chosen.sim !== 'READY') say(`Note: the SIM says "${chosen.sim}"; the agent needs it READY.`);

    const envText = existsSync(values.env) ? readFileSync(values.env, 'utf8') : '';
    const existingKey = /^SMSEDGE_API_KEY=(\S{16,})$/m.exec(envText)?.[1];
    if (!existingKey || values.force) env.SMSEDGE_API_KEY = randomBytes(24).toString('hex');
    writeEnv(values.env, env);
    say(`Wrote ${values.env} (0600): SMSEDGE_MODEM_PORT${env.SMSEDGE_SIM_PIN ? ', SMSEDGE_SIM_PIN' : ''}${env.SMSEDGE_API_KEY ? ', a new SMSEDGE_API_KEY' : ' (the API key kept)'}.`);
    if (!existsSync(values.config) || values.force) {
      mkdirSync(dirname(values.config), { recursive: true });
      copyFileSync(template(), values.config);
      say(`Wrote ${values.config} (the modem's port comes from SMSEDGE_MODEM_PORT).`);
    } else say(`Kept ${values.config} (--force replaces it); it must read the port from SMSEDGE_MODEM_PORT or name ${chosen.port}.`);
    say('Next: sudo systemctl enable --now smsedge, then: sudo smsedge doctor');
    return 0;
  } finally {
    rl?.close();
  }
}

export default defineCommand({
  name: 'init',
  summary: 'find the modem (probing the serial ports), ask the SIM PIN if needed, write the config and the env file with a new API key',
  usage: 'init [--yes] [--port /dev/...]... [--pin PIN] [--config /etc/smsedge/agent.config.ts] [--env /etc/smsedge/env] [--baud-rate 115200] [--timeout ms] [--force]',
  run: (argv, io) => init(argv, io),
});
