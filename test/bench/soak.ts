// `npm run soak`: the long reliability runs.
//   npm run soak -- --minutes 10          steady traffic with receiver faults (default 2 minutes)
//   npm run soak -- --only steady|crash|fuzz   one part
//   --rate 5  inbound SMS per second (plus one send per second)   --json  one JSON object on stdout
// steady: a child agent with every plugin on the built-in simulator takes SMS in and sends SMS out while
//   two webhook receivers go down and come back; a probe inside the agent prints RSS, heap and
//   event-loop delay every 5 s. Fails if an event is missing at the end or RSS grows (not flat).
// crash:  the crash scenario with the full burst of 1,000 SMS and 3 SIGKILLs.
// fuzz:   100,000 random and mutated PDUs through the modem path.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCrash, seeded } from '../reliability/harness/crash.ts';
import { runPduFuzz } from '../reliability/harness/fuzz.ts';
import { hasSocat } from '../reliability/harness/pty.ts';
import { startBroker } from './broker.ts';
import { fullAgentSpec, health, missing, prepareAgent, spawnAgent, waitOnline } from './agent.ts';
import { postJson } from './http.ts';
import { subscribe } from './pipeline.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { round } from './stats.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '5' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    burst: { type: 'string', default: '1000' },
    pdus: { type: 'string', default: '100000' },
  },
  strict: true,
});
const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const parts = values.only?.split(',') ?? ['steady', 'crash', 'fuzz'];
const probeScript = fileURLToPath(new URL('./probe.ts', import.meta.url));

interface Sample {
  t: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
  injected: number;
  delivered: number[];
  lag: number | null;
}

function received(r: Receiver): Set<string> {
  const ids = new Set<string>();
  for (const x of r.accepted) {
    const body = JSON.parse(x.body) as { type: string; data: { messageId?: string } };
    if (body.type === 'sms.received' && body.data.messageId) ids.add(body.data.messageId);
  }
  return ids;
}

async function steady(minutes: number, rate: number) {
  const reason = await missing('modem', 'api', 'webhook');
  if (reason) return { skipped: reason };
  const receivers = [await startReceiver(), await startReceiver()] as const;
  let faults = true;
  const t0 = performance.now();
  // A: down (503) 5 s of every 30; B: connections reset 3 s of every 20.
  receivers[0].answer(() => (faults && (performance.now() - t0) % 30_000 > 25_000 ? 503 : 200));
  receivers[1].answer(() => (faults && (performance.now() - t0) % 20_000 > 17_000 ? 'reset' : 200));
  const broker = await startBroker();
  const { spec, plugins } = await fullAgentSpec({
    mqttUrl: broker?.url,
    webhookOptions: { retry: { initialDelayMs: 1000, maxDelayMs: 5000 }, breaker: { halfOpenAfterMs: 2000, maxHalfOpenAfterMs: 5000 } },
  });
  const a = await prepareAgent({ ...spec, logLevel: 'info' });
  const child = spawnAgent(a, { nodeArgs: ['--expose-gc', '--import', probeScript], env: { SMSEDGE_PROBE_MS: '5000' } });
  // The V8 heap after a full GC inside the agent: what it retains, free of the GC's sawtooth.
  const retainedHeapMb = async (): Promise<number | null> => {
    const line = child.stderrLine(/^PROBE (.+"gc":true.*)$/m, 10_000).catch(() => undefined);
    child.proc.kill('SIGUSR2');
    const m = await line;
    return m ? (JSON.parse(m[1]!) as { heapMb: number }).heapMb : null;
  };
  let heapStart: number | null = null;
  let heapStartInjected = 0;
  const samples: Sample[] = [];
  let injected = 0;
  let sent = 0;
  let refused = 0;
  let buffer = '';
  child.proc.stderr!.on('data', (d: string) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('PROBE ')) continue;
      const p = JSON.parse(line.slice(6)) as Omit<Sample, 't' | 'injected' | 'delivered' | 'lag'>;
      const s: Sample = { t: round((performance.now() - t0) / 1000, 0), ...p, injected, delivered: receivers.map((r) => received(r).size), lag: null };
      samples.push(s);
      void health(a).then((h) => {
        s.lag = h?.journal ? Math.max(0, ...Object.values(h.journal.lag)) : null;
      });
      say(
        `${String(s.t).padStart(5)} s  rss ${s.rssMb.toFixed(1).padStart(6)} MB  heap ${s.heapMb.toFixed(1).padStart(5)} MB  ext ${s.externalMb.toFixed(1)} MB  ` +
          `loop delay p50 ${s.eldP50Ms.toFixed(1)} p99 ${s.eldP99Ms.toFixed(1)} max ${s.eldMaxMs.toFixed(1)} ms  in ${injected} out ${sent}  at receivers ${s.delivered.join('/')}`,
      );
    }
  });
  try {
    await waitOnline(a, child);
    for (const r of receivers) await subscribe(a, r.url, ['sms.received', 'sms.sent', 'sms.delivered', 'sms.failed']);
    say(`steady: ${minutes} min, ${rate} SMS/s in + 1 SMS/s out, plugins ${plugins.join(', ')}; receivers flap`);
    const auth = { authorization: `Bearer ${a.apiKey}` };
    const end = performance.now() + minutes * 60_000;
    let tick = 0;
    const start = performance.now();
    const warm = start + minutes * 12_000; // a fifth of the run: start-up, JIT, caches, pools
    while (performance.now() < end) {
      if (heapStart === null && performance.now() > warm) {
        heapStart = await retainedHeapMb();
        heapStartInjected = injected;
      }
      const due = start + (tick * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (child.proc.exitCode !== null || child.proc.signalCode !== null)
        throw new Error(`the agent exited (${child.proc.exitCode ?? child.proc.signalCode}) during the soak:\n${child.stdout().slice(-4000)}\n${child.stderr().replace(/^PROBE .*\n/gm, '').slice(-4000)}`);
      const n = injected;
      const r = await postJson(`${a.origin}/simulator/sms`, { from: `+1555060${String(n % 10000).padStart(4, '0')}`, text: `soak ${n}: code ${String(100000 + (n % 900000))}` }, auth).catch(
        (error: Error) => ({ status: 0, text: error.message }),
      );
      if (r.status < 300) injected++;
      else refused++;
      if (tick % rate === 0) {
        const s = await postJson(`${a.origin}/sms/send`, { to: `+1555070${String(sent % 10000).padStart(4, '0')}`, text: `soak reply ${sent}` }, auth).catch(
          (error: Error) => ({ status: 0, text: error.message }),
        );
        if (s.status === 202) sent++;
        else refused++;
      }
      tick++;
    }
    faults = false;
    say('traffic stopped; waiting for every receiver to have every SMS');
    const settle = performance.now() + 120_000;
    while (receivers.some((r) => received(r).size < injected) && performance.now() < settle) await new Promise((r) => setTimeout(r, 200));
    const delivered = receivers.map((r) => received(r).size);
    const heapEnd = await retainedHeapMb();
    // Flat: the heap retained after a full GC did not grow (beyond 2 MB) between the end of the warm-up
    // and the end, and the RSS peaks of the last third are not above those of the middle third (RSS
    // itself is a sawtooth: V8 and the allocator give memory back in large steps, not steadily).
    const third = Math.floor(samples.length / 3);
    const peak = (xs: Sample[]) => Math.max(...xs.map((s) => s.rssMb));
    const middlePeak = samples.length >= 6 ? peak(samples.slice(third, 2 * third)) : Number.NaN;
    const lastPeak = samples.length >= 6 ? peak(samples.slice(2 * third)) : Number.NaN;
    const heapGrowthMb = heapStart !== null && heapEnd !== null ? heapEnd - heapStart : null;
    const perThousand = heapGrowthMb !== null && injected > heapStartInjected ? (heapGrowthMb * 1000) / (injected - heapStartInjected) : null;
    const flat = heapGrowthMb !== null && heapGrowthMb < 2 && !(lastPeak > middlePeak + 10);
    const result = {
      minutes,
      rate,
      injected,
      sent,
      refused,
      delivered,
      lost: delivered.map((d) => injected - d),
      rssFirstMb: samples[0]?.rssMb ?? null,
      rssLastMb: samples.at(-1)?.rssMb ?? null,
      rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
      rssPeakMiddleThirdMb: middlePeak,
      rssPeakLastThirdMb: lastPeak,
      retainedHeapStartMb: heapStart,
      retainedHeapEndMb: heapEnd,
      retainedHeapGrowthMb: heapGrowthMb === null ? null : round(heapGrowthMb, 2),
      retainedHeapMbPer1000Sms: perThousand === null ? null : round(perThousand, 2),
      flat,
      eldP99MaxMs: round(Math.max(...samples.map((s) => s.eldP99Ms)), 2),
      eldMaxMs: round(Math.max(...samples.map((s) => s.eldMaxMs)), 2),
      samples,
      ok: flat && delivered.every((d) => d === injected),
    };
    say(
      `steady: ${injected} SMS in, ${sent} out; receivers got ${delivered.join('/')} of ${injected}; RSS ${result.rssFirstMb} → ${result.rssLastMb} MB ` +
        `(peaks: middle third ${middlePeak} MB, last third ${lastPeak} MB); heap retained after a full GC ${heapStart} → ${heapEnd} MB ` +
        `(${result.retainedHeapMbPer1000Sms} MB per 1,000 SMS): ${flat ? 'flat' : 'GROWING'}; loop delay p99 up to ${result.eldP99MaxMs} ms, max ${result.eldMaxMs} ms`,
    );
    return result;
  } finally {
    await child.stop();
    for (const r of receivers) await r.close();
    await broker?.stop();
    a.remove();
  }
}

async function crash(burst: number) {
  const reason = (await missing('modem', 'api', 'webhook')) ?? (hasSocat ? undefined : 'socat is not installed');
  if (reason) return { skipped: reason };
  const seed = Math.floor(Math.random() * 2 ** 31);
  say(`crash: burst of ${burst}, 3 SIGKILLs, seed ${seed}`);
  const r = await runCrash({ burst, kills: 3, random: seeded(seed), timeoutMs: 300_000, log: (l) => say(`  ${l}`) });
  const texts = r.inbox.map((m) => m.text);
  const missingFromInbox = r.injected.filter((x) => !texts.includes(x)).length;
  const missingAtReceivers = r.receivers.map((rx) => [...r.journalIds].filter((id) => !rx.events.has(id)).length);
  const result = {
    seed,
    burst,
    killedAt: r.killedAt.map((p) => round(p, 2)),
    inbox: texts.length,
    inboxDuplicates: texts.length - new Set(texts).size,
    missingFromInbox,
    missingAtReceivers,
    duplicates: r.receivers.map((x) => x.duplicates),
    duplicateBound: r.receivers.map((x) => r.kills * (r.perEndpoint + x.peak50ms)),
    seconds: round(r.seconds, 1),
    ok:
      missingFromInbox === 0 &&
      missingAtReceivers.every((n) => n === 0) &&
      r.journalIds.size === burst &&
      r.receivers.every((x) => x.duplicates <= r.kills * (r.perEndpoint + x.peak50ms)),
  };
  say(`crash: inbox ${result.inbox}/${burst} (${result.inboxDuplicates} duplicates), missing at receivers ${missingAtReceivers.join('/')}, duplicates ${result.duplicates.join('/')} (bound ${result.duplicateBound.join('/')}), ${result.seconds} s: ${result.ok ? 'ok' : 'FAILED'}`);
  return result;
}

async function fuzz(count: number) {
  const reason = await missing('modem');
  if (reason) return { skipped: reason };
  const seed = Math.floor(Math.random() * 2 ** 31);
  say(`fuzz: ${count} PDUs through the modem path, seed ${seed}`);
  let next = 10_000;
  const r = await runPduFuzz({ count, seed, onProgress: (done) => done >= next && (say(`  ${done}`), (next += 10_000)) });
  const ok = r.crashes.length === 0 && r.online && r.simLeft === 0 && r.notTakenIn.length === 0 && r.sentinelsInInbox === r.sentinels && r.rawRows === r.decodeErrors;
  say(`fuzz: ${r.fed} PDUs, ${r.decodeErrors} decode errors counted, ${r.inbox} inbox rows, ${r.leftAsSubmit} SUBMIT look-alikes and ${r.leftNotWhole} not-whole PDUs left on the SIM, ${r.notTakenIn.length} unrecorded, ${r.crashes.length} crashes, ${round(r.seconds, 1)} s: ${ok ? 'ok' : 'FAILED'}`);
  return { seed, ...r, notTakenIn: r.notTakenIn.length, crashes: r.crashes.slice(0, 5), ok };
}

const out: Record<string, unknown> = {};
if (parts.includes('steady')) out.steady = await steady(Number(values.minutes), Number(values.rate));
if (parts.includes('crash')) out.crash = await crash(Number(values.burst));
if (parts.includes('fuzz')) out.fuzz = await fuzz(Number(values.pdus));
if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
const failed = Object.values(out).some((r) => r && typeof r === 'object' && 'ok' in r && !(r as { ok: boolean }).ok);
process.exitCode = failed ? 1 : 0;
