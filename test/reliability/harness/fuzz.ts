// PDU fuzz through the modem path: random and mutated SMS-DELIVER PDUs put into the simulated SIM
// (as the network would: stored, +CMTI), read by the real modem plugin over the mock serial port
// (AT+CMGR, decode, store, AT+CMGD). Valid sentinel messages are mixed in. Nothing may crash or get
// stuck: every PDU is taken in exactly once (inbox, pending part, or stored raw and counted), the SIM
// ends empty, every sentinel reaches the inbox, and the modem is still online.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAgent } from '../../../core/agent.ts';
import { resolveConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/log.ts';
import { encodeDeliver, encodeStatusReport } from '../../../core/sms/index.ts';
import { fingerprint } from '../../../plugins/modem/inbox.ts';
import { modem } from '../../../plugins/modem/index.ts';
import { allOctets, decodeWhole } from '../../../plugins/modem/whole.ts';
import { deliverSms } from '../../../simulator/network.ts';
import { seeded } from './crash.ts';

export interface FuzzResult {
  fed: number;
  unique: number;
  sentinels: number;
  sentinelsInInbox: number;
  /** PDUs the modem recorded as taken in (its de-duplication table). */
  takenIn: number;
  /** PDUs fed (and not left as SUBMIT) that the modem has no record of taking in: lost silently. */
  notTakenIn: { pdu: string; tpduLength: number }[];
  decodeErrors: number;
  rawRows: number;
  inbox: number;
  simLeft: number;
  /**
   * Received-unread PDUs that decode as an SMS-SUBMIT (garbage that looks like an own outgoing
   * message): the modem plugin leaves them on the SIM (see #takeIn). Counted, then removed by the
   * harness so the SIM does not fill up.
   */
  leftAsSubmit: number;
  /**
   * PDUs whose lengths do not add up (cut, or octets no length explains): kept raw and left on the SIM
   * (nothing not taken in whole is deleted). Counted, then removed by the harness.
   */
  leftNotWhole: number;
  online: boolean;
  /** Unhandled rejections / uncaught exceptions seen while it ran. */
  crashes: string[];
  seconds: number;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

/** Valid PDUs to mutate: GSM 7-bit, UCS2, multipart, 8-bit port-addressed, flash, a status report. */
function seeds(): { pdu: string; tpduLength: number }[] {
  const ts = '2026-03-01T10:00:00+01:00';
  return [
    ...encodeDeliver({ from: '+4915112345678', text: 'Your code is 123456', smsc: '+491710760000', timestamp: ts }),
    ...encodeDeliver({ from: '+15550100', text: 'Grüße 😀 ok', timestamp: ts }),
    ...encodeDeliver({ from: '12345', text: 'long '.repeat(70), concatRef: 7, timestamp: ts }),
    ...encodeDeliver({ from: '+15550100', data: new Uint8Array([1, 2, 3, 250]), port: { src: 0, dst: 2948 }, timestamp: ts }),
    ...encodeDeliver({ from: 'ALERTS', text: 'flash', class: 0, timestamp: ts }),
    ...encodeDeliver({ from: '+15550100', text: 'ref16 '.repeat(40), concatRef: 4242, ref16: true, timestamp: ts }),
    encodeStatusReport({ recipient: '+15550100', mr: 7, status: 0, scts: ts, dischargeTime: ts }),
  ].map((p) => ({ pdu: p.pdu, tpduLength: p.tpduLength }));
}

/** One hostile PDU: random bytes, or a valid one with bytes flipped, cut, extended or lengths lied about. */
export function hostilePdu(random: () => number, base: { pdu: string; tpduLength: number }[]): { pdu: string; tpduLength: number } {
  const int = (n: number) => Math.floor(random() * n);
  if (random() < 0.25) {
    const bytes = new Uint8Array(1 + int(180));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
    return { pdu: hex(bytes), tpduLength: int(200) };
  }
  const seed = base[int(base.length)]!;
  const bytes = Buffer.from(seed.pdu, 'hex');
  let out: Buffer = Buffer.from(bytes);
  const ops = 1 + int(3);
  for (let k = 0; k < ops; k++) {
    const op = int(6);
    if (op === 0 && out.length) out[int(out.length)] = int(256);
    else if (op === 1) out = out.subarray(0, int(out.length + 1));
    else if (op === 2) out = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + int(20) }, () => int(256)))]);
    else if (op === 3 && out.length) out[int(Math.min(out.length, 4))] = [0, 0xff, 0x7f, 0x80][int(4)]!;
    else if (op === 4 && out.length > 2) out = Buffer.concat([out.subarray(0, int(out.length)), out.subarray(int(out.length))]);
    else if (op === 5 && out.length) out[out.length - 1 - int(Math.min(out.length, 3))] ^= 1 << int(8);
  }
  // An empty PDU line carries nothing to lose (the plugin deletes it unrecorded): keep at least one octet.
  if (out.length === 0) out = Buffer.from([int(256)]);
  const lie = random() < 0.3;
  return { pdu: hex(out), tpduLength: lie ? int(200) : seed.tpduLength };
}

export async function runPduFuzz(options: { count: number; seed: number; batch?: number; onProgress?: (done: number) => void }): Promise<FuzzResult> {
  const started = performance.now();
  const random = seeded(options.seed);
  const base = seeds();
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-fuzz-'));
  const crashes: string[] = [];
  const onCrash = (e: unknown) => crashes.push(String((e as Error)?.stack ?? e));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  // The real logger (redaction included) at its default level, to /dev/null: garbage goes through it too.
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const agent = createAgent(resolveConfig({ agentId: 'fuzz', dataDir: dir, store: { synchronous: 'NORMAL' }, plugins: [modem({ port: 'simulator', healthIntervalSeconds: 3600 })] }), { log });
  const fed = new Map<string, { pdu: string; tpduLength: number }>();
  let count = 0;
  let sentinels = 0;
  let leftAsSubmit = 0;
  let leftNotWhole = 0;
  try {
    await agent.start();
    const sim = agent.use('simulator');
    await waitFor(() => agent.use('sms').modems()[0]?.state === 'online', 'modem online', 15_000);
    // Settled: nothing on the SIM but what the modem deliberately leaves there, nothing held by the network.
    const settled = () =>
      sim.modem.networkQueue.length === 0 &&
      [...sim.modem.storages.values()].every((s) => s.list(4).every((m) => submitLike(m.pdu, m.tpduLength) || notWhole(m.pdu, m.tpduLength)));
    const clearLeft = () => {
      for (const s of sim.modem.storages.values()) {
        for (const m of s.list(4)) {
          if (submitLike(m.pdu, m.tpduLength) && s.delete(m.index)) leftAsSubmit++;
          else if (notWhole(m.pdu, m.tpduLength) && s.delete(m.index)) leftNotWhole++;
        }
      }
    };
    const batch = options.batch ?? 20;
    while (count < options.count) {
      for (let i = 0; i < batch && count < options.count; i++, count++) {
        const part = i === 0 ? sentinel(sentinels++) : hostilePdu(random, base);
        if (!submitLike(part.pdu, part.tpduLength) && !notWhole(part.pdu, part.tpduLength)) fed.set(fingerprint('default', part.pdu), part);
        deliverSms(sim.modem, { ...part, class: null });
      }
      // Not a sleep: returns as soon as the modem has read and deleted the batch.
      await waitFor(settled, `the modem to take in the batch ending at ${count}`, 20_000).catch((error) => {
        const left = [...sim.modem.storages.values()].flatMap((s) => s.list(4).map((m) => `${s.name}#${m.index} len ${m.tpduLength} ${m.pdu}`));
        throw new Error(`${(error as Error).message}; left on the SIM: ${left.join(', ') || 'none'}; network queue ${sim.modem.networkQueue.length}; modem ${agent.use('sms').modems()[0]?.state}`);
      });
      clearLeft();
      options.onProgress?.(count);
    }
    // One more valid message after all the garbage: the path still works.
    const last = sentinel(sentinels++);
    fed.set(fingerprint('default', last.pdu), last);
    deliverSms(sim.modem, { ...last, class: null });
    await waitFor(settled, 'the last sentinel', 20_000);
    clearLeft();
    const store = agent.store;
    const n = (sql: string) => store.get<{ n: number }>(sql)!.n;
    const texts = new Set(store.all<{ text: string }>(`SELECT text FROM modem_inbox WHERE text LIKE 'fuzz sentinel %'`).map((r) => r.text));
    const stats = agent.use('sms').stats();
    const seen = new Set(store.all<{ fingerprint: string }>('SELECT fingerprint FROM modem_taken').map((r) => r.fingerprint));
    return {
      fed: count + 1,
      unique: fed.size,
      sentinels,
      sentinelsInInbox: texts.size,
      takenIn: seen.size,
      notTakenIn: [...fed].filter(([f]) => !seen.has(f)).map(([, p]) => p),
      decodeErrors: stats.decodeErrors,
      rawRows: n('SELECT COUNT(*) AS n FROM modem_raw'),
      inbox: n('SELECT COUNT(*) AS n FROM modem_inbox'),
      simLeft: [...sim.modem.storages.values()].reduce((s, x) => s + x.used, 0),
      leftAsSubmit,
      leftNotWhole,
      online: agent.use('sms').modems()[0]?.state === 'online',
      crashes,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await agent.stop();
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the modem plugin takes as a whole SMS-SUBMIT (and stores raw and deletes: see takeIn). */
function submitLike(pdu: string, tpduLength: number): boolean {
  return decodeWhole(pdu, tpduLength)?.type === 'submit';
}

/** What the modem plugin leaves on the SIM, read the same twice: not whole, not every announced octet. */
function notWhole(pdu: string, tpduLength: number): boolean {
  return decodeWhole(pdu, tpduLength) === null && !allOctets(pdu, tpduLength);
}

function sentinel(k: number): { pdu: string; tpduLength: number } {
  const [p] = encodeDeliver({ from: '+15550300300', text: `fuzz sentinel ${k}`, timestamp: new Date(Date.UTC(2026, 2, 1, 10, 0, k % 60)) });
  return { pdu: p!.pdu, tpduLength: p!.tpduLength };
}

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
