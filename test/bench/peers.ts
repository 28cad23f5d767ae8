// Peers: smsedge against the incumbents on the same simulated modem, its timing model on.
// `npm run bench -- --only peers` (and `--json`: section `peers`); `node test/bench/peers.ts` alone.
//
// The simulator (profile sim800 at 115200 baud: 20 ms per command, 60 ms per SIM access, +CMGS
// 3000 ± 1000 ms on the air, seeded) sits behind a socat pseudo-terminal; each program in turn runs on
// it with its documented default settings (written in peers-daemons.ts), as its users run it:
// - backlogMs: 30 SMS already stored on the SIM when the program starts, until all 30 reached its handler;
// - liveP50Ms / liveP99Ms: then 30 SMS arriving one by one 1-3 s apart, each from the moment the
//   simulator stored it (and wrote +CMTI) until it reached the handler;
// - sendMs: then 20 SMS (5 of them 400 characters, 3 parts) queued at once, until the simulator
//   answered the last +CMGS;
// - wireLimitSendMs: the least time those 30 parts can take: each part's bytes on the line both ways,
//   the command latency and the network's time for it (the same seeded sequence every program meets);
// - rssMb: the program's peak RSS (VmHWM, summed over its processes).
// A figure a program could not produce (it never handled them all in the time allowed) is a reason, not a number.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSubmit } from '../../core/sms/index.ts';
import { createSimulator, profiles, type Simulator } from '../../simulator/index.ts';
import { missing } from './agent.ts';
import {
  GAMMU_SETTINGS, SMSEDGE_SETTINGS, SMSTOOLS_SETTINGS, peakRssMb, peerMissing, prepareSmsedge, simulatorPty, startGammuSmsd, startSmsedge,
  startSmstools, storeBacklog, type PeerName, type PeerRun,
} from './peers-daemons.ts';
import { startReceiver } from './receiver.ts';
import { percentile } from './stats.ts';

export interface PeerFigures {
  settings: string;
  backlogMs: number | string;
  liveP50Ms: number | string;
  liveP99Ms: number | string;
  sendMs: number | string;
  rssMb: number | string;
  /** Why the program did not run at all (its package is missing). */
  skipped?: string;
}

export interface PeersBench {
  simulator: string;
  smsedge: PeerFigures;
  gammuSmsd: PeerFigures;
  smstools: PeerFigures;
  wireLimitSendMs: number;
  /** sendMs / wireLimitSendMs for smsedge (target: at most 1.1). */
  smsedgeSendOverWireLimit: number | null;
}

export interface PeersOptions {
  backlog?: number;
  live?: number;
  /** Gap between live SMS, uniformly within [min, max] ms (seeded). */
  liveGapMs?: [number, number];
  sends?: number;
  longSends?: number;
  networkMs?: number;
  jitterMs?: number;
  /** How long a program gets for each phase before the figure becomes "could not". */
  phaseTimeoutMs?: number;
  only?: PeerName[];
}

const PROFILE = 'sim800';
const BAUD = 115200;
const LONG = 'This message is long enough to need three parts. '.repeat(8).slice(0, 400);

/** A small seeded generator, so every program meets the same gaps. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` (another process's doing: bounded polling); false on timeout. */
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; !cond(); ) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** The messages the send phase queues: `sends`, the first `longSends` of them 3 parts. */
function outgoing(sends: number, longSends: number): { to: string; text: string }[] {
  return Array.from({ length: sends }, (_, i) => ({ to: `+1555020${String(i).padStart(4, '0')}`, text: i < longSends ? LONG : `Short message ${i + 1} from the bench` }));
}

/**
 * The least time the send phase can take on this simulator: per part, `AT+CMGS=<n>\r` in, the command
 * latency, `\r\n> ` out, the PDU and Ctrl-Z in, the network's time, `\r\n+CMGS: <mr>\r\n\r\nOK\r\n` out.
 */
export function wireLimitMs(sim: Simulator, messages: { to: string; text: string }[]): number {
  const timing = sim.timing!;
  const parts = messages.flatMap((m) => encodeSubmit({ to: m.to, text: m.text }).parts);
  const network = timing.networkSequence(parts.length);
  let ms = 0;
  parts.forEach((p, i) => {
    const bytes = `AT+CMGS=${p.tpduLength}\r`.length + '\r\n> '.length + p.pdu.length + 1 + `\r\n+CMGS: ${i}\r\n\r\nOK\r\n`.length;
    ms += timing.wireMs(bytes) + timing.latencyOf('+CMGS') + network[i]!;
  });
  return Math.round(ms);
}

/** One program through the three phases on a fresh simulator; figures or reasons. */
async function runPeer(name: PeerName, o: Required<Omit<PeersOptions, 'only'>>): Promise<PeerFigures> {
  const settings = { smsedge: SMSEDGE_SETTINGS, gammuSmsd: GAMMU_SETTINGS, smstools: SMSTOOLS_SETTINGS }[name];
  const absent = name === 'smsedge' ? (peerMissing(name) ?? (await missing('modem', 'api', 'webhook'))) : peerMissing(name);
  if (absent) return { settings, backlogMs: absent, liveP50Ms: absent, liveP99Ms: absent, sendMs: absent, rssMb: absent, skipped: absent };
  const dir = mkdtempSync(join(tmpdir(), `smsedge-peers-${name}-`));
  const sim = createSimulator({
    profile: PROFILE, transcriptLimit: Infinity, sentLimit: Infinity,
    timing: { baud: BAUD, networkMs: o.networkMs, jitterMs: o.jitterMs, seed: 23 },
  });
  const pty = await simulatorPty(sim, dir);
  const receiver = await startReceiver();
  let run: PeerRun | null = null;
  const figures: PeerFigures = { settings, backlogMs: 'not measured', liveP50Ms: 'not measured', liveP99Ms: 'not measured', sendMs: 'not measured', rssMb: 'not measured' };
  try {
    const prepared = name === 'smsedge' ? await prepareSmsedge(pty.link, receiver.url) : null;
    // Phase 1: the backlog is on the SIM before the program starts.
    storeBacklog(sim, o.backlog);
    const t0 = Date.now();
    run = name === 'smsedge' ? startSmsedge(prepared!, (cb) => receiver.onAccepted((r) => cb(r.at)))
      : name === 'gammuSmsd' ? await startGammuSmsd(dir, pty.link) : await startSmstools(dir, pty.link);
    const r = run;
    if (await waitFor(() => r.handled().length >= o.backlog, o.phaseTimeoutMs)) figures.backlogMs = Math.max(...r.handled().slice(0, o.backlog)) - t0;
    else figures.backlogMs = `could not: ${r.handled().length} of ${o.backlog} handled within ${o.phaseTimeoutMs / 1000} s`;

    // Phase 2: live SMS, one by one.
    const base = r.handled().length;
    const random = seeded(7);
    const injected: number[] = [];
    for (let i = 0; i < o.live; i++) {
      injected.push(Date.now());
      sim.receiveSms({ from: `+1555040${String(i).padStart(4, '0')}`, text: `live message ${i + 1}` });
      await sleep(o.liveGapMs[0] + random() * (o.liveGapMs[1] - o.liveGapMs[0]));
    }
    if (await waitFor(() => r.handled().length >= base + o.live, o.phaseTimeoutMs)) {
      // The handler sees them in the order they arrived (each program reads the SIM in index order).
      const latencies = r.handled().slice(base, base + o.live).sort((a, b) => a - b).map((at, i) => at - injected[i]!);
      figures.liveP50Ms = Math.round(percentile(latencies, 50));
      figures.liveP99Ms = Math.round(percentile(latencies, 99));
    } else {
      figures.liveP50Ms = figures.liveP99Ms = `could not: ${r.handled().length - base} of ${o.live} handled within ${o.phaseTimeoutMs / 1000} s`;
    }

    // Phase 3: sends queued at once.
    const messages = outgoing(o.sends, o.longSends);
    const parts = messages.reduce((n, m) => n + encodeSubmit({ to: m.to, text: m.text }).parts.length, 0);
    const answered = () => sim.transcriptEntries().filter((e) => e.dir === '<' && e.text.startsWith('+CMGS:'));
    const before = answered().length;
    const q0 = Date.now();
    await r.queue(messages);
    if (await waitFor(() => answered().length >= before + parts, o.phaseTimeoutMs * 3)) figures.sendMs = (answered().at(-1)!.at ?? Date.now()) - q0;
    else figures.sendMs = `could not: ${answered().length - before} of ${parts} parts sent within ${(o.phaseTimeoutMs * 3) / 1000} s`;
    figures.rssMb = peakRssMb(r.pids());
  } catch (error) {
    const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
    for (const k of ['backlogMs', 'liveP50Ms', 'liveP99Ms', 'sendMs', 'rssMb'] as const) if (figures[k] === 'not measured') figures[k] = reason;
  } finally {
    await run?.stop().catch(() => {});
    await receiver.close();
    await pty.close();
    sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export async function benchPeers(options: PeersOptions = {}): Promise<PeersBench> {
  const o = {
    backlog: options.backlog ?? 30,
    live: options.live ?? 30,
    liveGapMs: options.liveGapMs ?? [1000, 3000],
    sends: options.sends ?? 20,
    longSends: options.longSends ?? 5,
    networkMs: options.networkMs ?? 3000,
    jitterMs: options.jitterMs ?? 1000,
    phaseTimeoutMs: options.phaseTimeoutMs ?? 120_000,
  };
  const reference = createSimulator({ profile: PROFILE, timing: { baud: BAUD, networkMs: o.networkMs, jitterMs: o.jitterMs, seed: 23 } });
  const wireLimitSendMs = wireLimitMs(reference, outgoing(o.sends, o.longSends));
  reference.close();
  const only = options.only ?? ['smsedge', 'gammuSmsd', 'smstools'];
  const result: Record<PeerName, PeerFigures> = {} as Record<PeerName, PeerFigures>;
  for (const name of ['smsedge', 'gammuSmsd', 'smstools'] as PeerName[]) {
    if (!only.includes(name)) continue;
    process.stderr.write(`bench: peers: ${name}...\n`);
    result[name] = await runPeer(name, o);
  }
  const latency = profiles[PROFILE].latency;
  const sendMs = result.smsedge?.sendMs;
  return {
    simulator: `profile ${PROFILE} at ${BAUD} baud, ${latency.commandMs} ms per command, ${latency.storageMs} ms per SIM access, +CMGS ${o.networkMs} ± ${o.jitterMs} ms (seed 23); ` +
      `backlog ${o.backlog}, live ${o.live} at ${o.liveGapMs[0] / 1000}-${o.liveGapMs[1] / 1000} s gaps, ${o.sends} sends (${o.longSends} of 3 parts)`,
    smsedge: result.smsedge,
    gammuSmsd: result.gammuSmsd,
    smstools: result.smstools,
    wireLimitSendMs,
    smsedgeSendOverWireLimit: typeof sendMs === 'number' ? Math.round((sendMs / wireLimitSendMs) * 1000) / 1000 : null,
  };
}

const cell = (v: number | string | undefined) => (v === undefined ? '-' : typeof v === 'number' ? String(v) : v);

export function formatPeersBench(r: PeersBench): string {
  const rows: [string, PeerFigures | undefined][] = [['smsedge', r.smsedge], ['gammu-smsd', r.gammuSmsd], ['smstools3', r.smstools]];
  const lines = [
    `peers (${r.simulator})`,
    `  ${'program'.padEnd(11)} ${'backlogMs'.padStart(10)} ${'liveP50Ms'.padStart(10)} ${'liveP99Ms'.padStart(10)} ${'sendMs'.padStart(8)} ${'rssMb'.padStart(7)}`,
  ];
  const reasons: string[] = [];
  for (const [name, f] of rows) {
    if (!f) continue;
    const show = (v: number | string) => {
      if (typeof v === 'number') return String(v);
      if (!reasons.includes(v)) reasons.push(v);
      return `(${reasons.indexOf(v) + 1})`;
    };
    lines.push(`  ${name.padEnd(11)} ${show(f.backlogMs).padStart(10)} ${show(f.liveP50Ms).padStart(10)} ${show(f.liveP99Ms).padStart(10)} ${show(f.sendMs).padStart(8)} ${show(f.rssMb).padStart(7)}`);
  }
  lines.push(`  wire limit for the sends: ${r.wireLimitSendMs} ms; smsedge sendMs / wire limit: ${cell(r.smsedgeSendOverWireLimit ?? undefined)}`);
  reasons.forEach((reason, i) => lines.push(`  (${i + 1}) ${reason}`));
  for (const [name, f] of rows) if (f) lines.push(`  ${name}: ${f.settings}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const r = await benchPeers(quick ? { backlog: 10, live: 8, liveGapMs: [500, 1500], sends: 6, longSends: 2, networkMs: 1000, jitterMs: 300 } : {});
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : `${formatPeersBench(r)}\n`);
}
