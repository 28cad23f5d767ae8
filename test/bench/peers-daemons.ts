// The incumbents and smsedge as the peers bench (and test/simulator/daemons.test.ts) drive them: each
// a real daemon from its Debian package (or `smsedge start`) on a pseudo-terminal that socat bridges to
// a simulator in this process, so the bench sees what reached the simulated network and when.
//
// Every peer gets a handler that notes the time an SMS reached it: gammu-smsd's RunOnReceive and
// smstools3's eventhandler run a shell script that appends `date +%s%3N` to a file (that is how their
// users hook in); smsedge posts a signed webhook to a receiver on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeDeliver } from '../../core/sms/index.ts';
import type { Simulator } from '../../simulator/index.ts';
import { serveStdio } from '../../simulator/stdio.ts';
import { prepareAgent, spawnAgent, waitOnline, type AgentDir } from './agent.ts';
import { postJson } from './http.ts';
import type { Child } from './proc.ts';

export type PeerName = 'smsedge' | 'gammuSmsd' | 'smstools';

/** Why a peer cannot run here (its package is missing), or undefined. */
export function peerMissing(name: PeerName): string | undefined {
  const has = (cmd: string, ...args: string[]) => !spawnSync(cmd, args, { stdio: 'ignore' }).error;
  if (!has('socat', '-V')) return 'socat is not installed (apt-get install socat)';
  if (name === 'gammuSmsd' && !has('gammu-smsd', '--version')) return 'gammu-smsd is not installed (apt-get install gammu-smsd)';
  if (name === 'smstools' && !has('smsd', '-V')) return 'smstools is not installed (apt-get install smstools)';
  return undefined;
}

export interface SimPty {
  /** The pseudo-terminal's path, for the peer's config. */
  link: string;
  close(): Promise<void>;
}

/** Puts `sim` behind a pty at `<dir>/ttySIM`: socat bridges the pty to a TCP server serving the simulator. */
export async function simulatorPty(sim: Simulator, dir: string): Promise<SimPty> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void serveStdio(sim, socket, socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const link = join(dir, 'ttySIM');
  // `raw,echo=0`: the pty passes bytes as they are, as a USB modem's tty does after the host sets it raw.
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
  // Waiting for another process to create the pty: bounded polling, not a simulated delay.
  for (let i = 0; i < 400 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(link)) throw new Error('socat did not create the pty');
  return {
    link,
    async close() {
      socat.kill();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A peer daemon running on the simulator's pty. */
export interface PeerRun {
  name: PeerName;
  /** Epoch ms at which each received SMS reached the handler (one entry per message), in arrival order. */
  handled(): number[];
  /** Queues outgoing SMS all at once, the peer's usual way (spool files, the REST API). */
  queue(messages: { to: string; text: string }[]): Promise<void>;
  /** The daemon's processes now (main and children), for their peak RSS. */
  pids(): number[];
  /** The daemon's own log, for a failure message. */
  log(): string;
  stop(): Promise<void>;
}

/** The handler script: appends `<epoch ms> <count>` for each received message (or batch) to `events`. */
function handlerScript(path: string, events: string, line: string): void {
  writeFileSync(path, `#!/bin/sh\n${line.replaceAll('EVENTS', events)}\n`);
  chmodSync(path, 0o755);
}

/** Reads the handler's events file: one timestamp per message. */
function readEvents(events: string): number[] {
  if (!existsSync(events)) return [];
  const out: number[] = [];
  for (const line of readFileSync(events, 'utf8').split('\n')) {
    const [at, n] = line.trim().split(/\s+/);
    if (!at) continue;
    for (let i = 0; i < Number(n ?? 1); i++) out.push(Number(at));
  }
  return out;
}

function daemon(cmd: string, args: string[], logFile: string): { proc: ChildProcess; stop(): Promise<void>; output(): string } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => `${output}${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-20_000) : ''}`,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

/** Child processes of `pid`, recursively (from /proc). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** Peak RSS (VmHWM) of the processes, summed, in MB; NaN when none could be read. */
export function peakRssMb(pids: number[]): number {
  let kb = 0;
  let read = false;
  for (const pid of pids) {
    try {
      kb += Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      read = true;
    } catch {
      // gone
    }
  }
  return read ? Math.round((kb / 1024) * 10) / 10 : Number.NaN;
}

/**
 * Gammu SMSD's settings as its documentation gives them (gammu-smsdrc(5)): the files backend, RunOnReceive,
 * and every timing left at its default (LoopSleep 1 s, CommTimeout 30 s, ReceiveFrequency 15 s,
 * SendTimeout 30 s, StatusFrequency 60 s, CheckSecurity/Battery/Signal/Network on, no delivery reports).
 * `extra` adds lines to [smsd] (tests shorten CommTimeout; the bench adds nothing).
 */
export const GAMMU_SETTINGS = 'gammu-smsd 1.42 (Debian), [gammu] connection = at; [smsd] service = files, RunOnReceive = a shell script; everything else its default (LoopSleep 1 s, CommTimeout 30 s, ReceiveFrequency 15 s, SendTimeout 30 s, StatusFrequency 60 s, deliveryreport no)';

export async function startGammuSmsd(dir: string, link: string, extra: string[] = []): Promise<PeerRun> {
  const spool = (n: string) => {
    const p = join(dir, n);
    mkdirSync(p, { recursive: true });
    return `${p}/`;
  };
  const events = join(dir, 'events.log');
  const script = join(dir, 'on-receive.sh');
  // RunOnReceive gets the received files' names as arguments: one line per batch with its count.
  handlerScript(script, events, 'echo "$(date +%s%3N) $#" >> EVENTS');
  const logFile = join(dir, 'gammu-smsd.log');
  const rc = join(dir, 'smsdrc');
  writeFileSync(rc, [
    '[gammu]', `device = ${link}`, 'connection = at', '',
    '[smsd]', 'service = files', `inboxpath = ${spool('inbox')}`, `outboxpath = ${spool('outbox')}`, `sentsmspath = ${spool('sent')}`,
    `errorsmspath = ${spool('error')}`, `logfile = ${logFile}`, 'debuglevel = 1', `RunOnReceive = ${script}`, ...extra, '',
  ].join('\n'));
  const d = daemon('gammu-smsd', ['-c', rc], logFile);
  let serial = 0;
  return {
    name: 'gammuSmsd',
    handled: () => readEvents(events),
    async queue(messages) {
      // The files backend's outbox format: OUT<priority><date>_<time>_<serial>_<number>_<note>.txt holding
      // the text; gammu-smsd splits long texts into a concatenated SMS. Written aside, then renamed in,
      // so it never reads half a file.
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
      for (const m of messages) {
        const name = `OUTC${stamp}_${String(serial++).padStart(2, '0')}_${m.to}_bench.txt`;
        const tmp = join(dir, name);
        writeFileSync(tmp, m.text);
        renameSync(tmp, join(dir, 'outbox', name));
      }
    },
    pids: () => processTree(d.proc.pid!),
    log: d.output,
    stop: d.stop,
  };
}

/**
 * smstools3's settings as its documentation gives them (smsd.conf manual, 3.1.21): one device with
 * `incoming = yes`, an eventhandler, and every timing left at its default (delaytime 10 s between
 * checks when idle, delaytime_mainprocess 10 s, check_memory_method 1 (+CPMS?, then read), autosplit 3
 * (long texts as concatenated SMS), baudrate 115200, no status reports).
 */
export const SMSTOOLS_SETTINGS = 'smstools3 3.1.21 (Debian), one device with incoming = yes, eventhandler = a shell script; everything else its default (delaytime 10 s, delaytime_mainprocess 10 s, check_memory_method 1, autosplit 3, report no)';

export async function startSmstools(dir: string, link: string, global: string[] = [], device: string[] = []): Promise<PeerRun> {
  const spool = (n: string) => {
    const p = join(dir, n);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const events = join(dir, 'events.log');
  const script = join(dir, 'eventhandler.sh');
  // The eventhandler runs for every event (RECEIVED, SENT, FAILED, REPORT): count the received ones.
  handlerScript(script, events, '[ "$1" = RECEIVED ] && echo "$(date +%s%3N) 1" >> EVENTS; exit 0');
  const logFile = join(dir, 'smsd.log');
  const conf = join(dir, 'smsd.conf');
  writeFileSync(conf, [
    'devices = GSM1', `logfile = ${logFile}`, 'loglevel = 7', `incoming = ${spool('incoming')}`, `outgoing = ${spool('outgoing')}`,
    `checked = ${spool('checked')}`, `failed = ${spool('failed')}`, `sent = ${spool('sent')}`, `eventhandler = ${script}`,
    `infofile = ${join(dir, 'smsd.working')}`, `pidfile = ${join(dir, 'smsd.pid')}`, ...global, '',
    '[GSM1]', `device = ${link}`, 'incoming = yes', ...device, '',
  ].join('\n'));
  // -t: stay in the foreground (no fork to the background), so the bench holds its process.
  const d = daemon('smsd', ['-c', conf, '-t'], logFile);
  let serial = 0;
  return {
    name: 'smstools',
    handled: () => readEvents(events),
    async queue(messages) {
      for (const m of messages) {
        const name = `bench-${serial++}`;
        const tmp = join(dir, name);
        writeFileSync(tmp, `To: ${m.to.replace(/^\+/, '')}\n\n${m.text}\n`);
        renameSync(tmp, join(dir, 'outgoing', name));
      }
    },
    pids: () => processTree(d.proc.pid!),
    log: d.output,
    stop: d.stop,
  };
}

/** smsedge as shipped: modem on the pty, the API, the webhook plugin, all with their defaults. */
export const SMSEDGE_SETTINGS = 'smsedge start: modem({ port: <pty> }), api(), webhook() with a standard-format subscription to sms.received (made once through the API, kept in the database); every option its default';

/**
 * smsedge's deployment, ready before the measured start (as gammu-smsd's and smstools' config files
 * are): the agent is run once on the pty to make the webhook subscription through its API, then stopped.
 */
export async function prepareSmsedge(link: string, receiverUrl: string): Promise<AgentDir> {
  const agent = await prepareAgent({ plugins: [{ name: 'modem', options: { port: link } }, { name: 'api' }, { name: 'webhook' }], logLevel: 'warn' });
  const child = spawnAgent(agent);
  try {
    await waitOnline(agent, child, 60_000);
    const { subscribe } = await import('./pipeline.ts');
    await subscribe(agent, receiverUrl, ['sms.received']);
  } finally {
    await child.stop(10_000);
  }
  return agent;
}

/** Starts the prepared agent; `onAccepted` reports each webhook the receiver accepted (performance.now()). */
export function startSmsedge(agent: AgentDir, onAccepted: (cb: (at: number) => void) => () => void): PeerRun {
  const handled: number[] = [];
  const off = onAccepted((at) => handled.push(Math.round(performance.timeOrigin + at)));
  const child: Child = spawnAgent(agent);
  return {
    name: 'smsedge',
    handled: () => [...handled],
    async queue(messages) {
      await Promise.all(messages.map(async (m) => {
        const r = await postJson(`${agent.origin}/sms/send`, m, { authorization: `Bearer ${agent.apiKey}` });
        if (r.status !== 202) throw new Error(`POST /sms/send answered ${r.status}: ${r.text}`);
      }));
    },
    pids: () => processTree(child.pid),
    log: () => `${child.stdout().slice(-5000)}${child.stderr().slice(-5000)}`,
    async stop() {
      off();
      await child.stop(10_000);
      agent.remove();
    },
  };
}

/** Puts `n` unread SMS on the simulated SIM without a word (they arrived while no program listened). */
export function storeBacklog(sim: Simulator, n: number, from = (i: number) => `+1555030${String(i).padStart(4, '0')}`): void {
  const storage = sim.modem.storage(sim.modem.mem[2]);
  for (let i = 0; i < n; i++) {
    for (const part of encodeDeliver({ from: from(i), text: `backlog message ${i + 1}`, timestamp: new Date(), smsc: sim.modem.smsc })) {
      if (!storage.store({ stat: 0, kind: 'deliver', pdu: part.pdu, tpduLength: part.tpduLength })) throw new Error(`${storage.name} is full`);
    }
  }
}
