// Codec throughput against node-pdu on a mixed set (single GSM 7-bit, UCS2 with emoji, 3-part
// concatenated), both in the same process. Run directly: `npx node test/bench/codec.ts`.
import { fileURLToPath } from 'node:url';
import { parse as theirParse, Submit as TheirSubmit } from 'node-pdu';
import { decodePdu, encodeDeliver, encodeSubmit } from '../../core/sms/index.ts';

const TO = '+4915112345678';
const TEXTS = [
  'Your verification code is 482913. It expires in 10 minutes.',
  'Grüße aus Köln 😀👍 — bis morgen!',
  'Alert: disk usage on host edge-01 crossed 90%. '.repeat(9).trim(), // 3 GSM 7-bit parts
];

// SMS-DELIVER PDUs as a modem prints them: SMSC field, international sender, 8-bit concatenation.
const DELIVERS = [
  '07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07',
  ...[TEXTS[1]!, TEXTS[2]!].flatMap((text) => encodeDeliver({
    from: TO, text, smsc: '+491710760000', timestamp: '2024-05-17T09:30:00+02:00', concatRef: 42,
  }).map((p) => p.pdu)),
];

export interface CodecBench {
  decodeOpsPerSec: number;
  encodeOpsPerSec: number;
  baselineDecodeOpsPerSec: number;
  baselineEncodeOpsPerSec: number;
  decodeRatio: number;
  encodeRatio: number;
  /** Where node-pdu's output differs from ours (ours checked against the spec-based decoder). */
  differences: { case: string; field: string; ours: unknown; theirs: unknown }[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Ops per second of `op` (one op = one pass over the set, counted per PDU/text) over ~`ms` milliseconds. */
function measure(op: () => void, perOp: number, ms: number): number {
  let iterations = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) op();
    iterations += 50;
    now = performance.now();
  }
  return (iterations * perOp * 1000) / (now - start);
}

let sink = 0;

const ours = {
  decode(): void {
    for (const hex of DELIVERS) sink += decodePdu(hex).text?.length ?? 0;
  },
  encode(): void {
    for (const text of TEXTS) sink += encodeSubmit({ to: TO, text }).parts.length;
  },
};

const theirs = {
  decode(): void {
    for (const hex of DELIVERS) sink += (theirParse(hex) as unknown as { data: { getText(): string } }).data.getText().length;
  },
  encode(): void {
    for (const text of TEXTS) sink += new TheirSubmit(TO, text).getPartStrings().length;
  },
};

function differences(): CodecBench['differences'] {
  const out: CodecBench['differences'] = [];
  DELIVERS.forEach((hex, i) => {
    const mine = decodePdu(hex);
    let their: { data: { getText(): string }; address: { phone: string | null }; serviceCenterTimeStamp?: { getIsoString(): string } };
    try {
      their = theirParse(hex) as unknown as typeof their;
    } catch (err) {
      out.push({ case: `decode #${i}`, field: 'error', ours: null, theirs: String(err) });
      return;
    }
    if (their.data.getText() !== mine.text) out.push({ case: `decode #${i}`, field: 'text', ours: mine.text, theirs: their.data.getText() });
    const addr = mine.type === 'deliver' ? mine.from : mine.type === 'submit' ? mine.to : mine.recipient;
    if (their.address.phone !== addr) out.push({ case: `decode #${i}`, field: 'address', ours: addr, theirs: their.address.phone });
    if (mine.type === 'deliver' && their.serviceCenterTimeStamp) {
      const ts = their.serviceCenterTimeStamp.getIsoString();
      if (ts !== mine.timestamp) out.push({ case: `decode #${i}`, field: 'timestamp', ours: mine.timestamp, theirs: ts });
    }
  });
  TEXTS.forEach((text, i) => {
    const mine = encodeSubmit({ to: TO, text });
    const their = new TheirSubmit(TO, text).getPartStrings();
    if (their.length !== mine.parts.length) out.push({ case: `encode #${i}`, field: 'parts', ours: mine.parts.length, theirs: their.length });
    // Their PDUs, read back with our decoder: does the text survive?
    try {
      const back = their.map((p) => decodePdu(p).text ?? '').join('');
      if (back !== text) out.push({ case: `encode #${i}`, field: 'text read back', ours: text, theirs: back });
    } catch (err) {
      out.push({ case: `encode #${i}`, field: 'decodable', ours: true, theirs: String(err) });
    }
  });
  return out;
}

/** Medians of `rounds` interleaved rounds, ours and node-pdu's. */
export async function benchCodec(opts: { rounds?: number; ms?: number } = {}): Promise<CodecBench> {
  const rounds = opts.rounds ?? 7;
  const ms = opts.ms ?? 200;
  const samples = { d: [] as number[], e: [] as number[], bd: [] as number[], be: [] as number[] };
  // Warm up both so the JIT has seen every path before timing.
  measure(ours.decode, 1, 50); measure(theirs.decode, 1, 50); measure(ours.encode, 1, 50); measure(theirs.encode, 1, 50);
  for (let r = 0; r < rounds; r++) {
    samples.d.push(measure(ours.decode, DELIVERS.length, ms));
    samples.bd.push(measure(theirs.decode, DELIVERS.length, ms));
    samples.e.push(measure(ours.encode, TEXTS.length, ms));
    samples.be.push(measure(theirs.encode, TEXTS.length, ms));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const decodeOpsPerSec = median(samples.d);
  const encodeOpsPerSec = median(samples.e);
  const baselineDecodeOpsPerSec = median(samples.bd);
  const baselineEncodeOpsPerSec = median(samples.be);
  if (sink === -1) console.log(sink); // keep results observable so nothing is optimised away
  return {
    decodeOpsPerSec, encodeOpsPerSec, baselineDecodeOpsPerSec, baselineEncodeOpsPerSec,
    decodeRatio: decodeOpsPerSec / baselineDecodeOpsPerSec, encodeRatio: encodeOpsPerSec / baselineEncodeOpsPerSec,
    differences: differences(),
  };
}

/** The table `npm run bench` prints. */
export function formatCodecBench(r: CodecBench): string {
  const f = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
  const lines = [
    'codec (ops/s, one op = one PDU decoded or one text encoded; mixed set: GSM 7-bit, UCS2 emoji, 3-part)',
    `           ${'smsedge'.padStart(12)} ${'node-pdu'.padStart(12)}   ratio`,
    `  decode   ${f(r.decodeOpsPerSec)} ${f(r.baselineDecodeOpsPerSec)}   ${r.decodeRatio.toFixed(1)}x`,
    `  encode   ${f(r.encodeOpsPerSec)} ${f(r.baselineEncodeOpsPerSec)}   ${r.encodeRatio.toFixed(1)}x`,
  ];
  if (r.differences.length > 0) {
    lines.push('  where node-pdu differs:');
    for (const d of r.differences) lines.push(`    ${d.case} ${d.field}: ours ${JSON.stringify(d.ours)}, node-pdu ${JSON.stringify(d.theirs)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(formatCodecBench(await benchCodec()));
}
