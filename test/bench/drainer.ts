// A child for `npm run bench:instructions`: one webhook backlog drained in this process, by the real
// agent (modem on the simulator, api, webhook; the real store and journal).
//   prep  <dir> <n> <url|->  writes an agent's data dir with one `standard` subscription and a backlog of n
//   drain <dir> <n> <url|->  starts the agent on it; exits once n deliveries were made
// With url `-` no request leaves the process: the transport answers 200 on the next turn, so what is
// counted is the agent's own work alone (journal, store, signing, formatting, scheduling, policies).
// With SMSEDGE_BENCH_CPU_FROM=k it also prints `CPU <µs>` on stderr: the main thread's CPU per delivery
// from the kth to the last (for steady.ts).
import { join } from 'node:path';
import pino from 'pino';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { createHttpTransport, type PostRequest, type PostResponse } from '../../plugins/webhook/transport.ts';
import { writeBacklog } from './backlog.ts';
import { WEBHOOK_SECRET } from './pipeline.ts';
import { freePort } from './proc.ts';

const [mode, dir, count, target] = process.argv.slice(2);
const n = Number(count);
if ((mode !== 'prep' && mode !== 'drain') || !dir || !(n > 0) || !target) {
  process.stderr.write('usage: drainer.ts prep|drain <dir> <n> <url|->\n');
  process.exit(2);
}
const local = target === '-';

let made = 0;
let drained: () => void = () => {};
const done = new Promise<void>((resolve) => (drained = resolve));
// SMSEDGE_BENCH_CPU_FROM=k (steady.ts): main-thread CPU per delivery from the kth to the last, on stderr.
const cpuFrom = Number(process.env.SMSEDGE_BENCH_CPU_FROM ?? 0);
let cpuAt = 0;
const threadCpuUs = () => {
  const c = process.threadCpuUsage();
  return c.user + c.system;
};
const counted = (r: PostResponse) => {
  made++;
  if (cpuFrom && made === cpuFrom) cpuAt = threadCpuUs();
  if (made === n) {
    if (cpuFrom && cpuFrom < n) process.stderr.write(`CPU ${((threadCpuUs() - cpuAt) / (n - cpuFrom)).toFixed(1)}\n`);
    drained();
  }
  return r;
};
const transport = local
  ? async (): Promise<PostResponse> => {
      await new Promise((r) => setImmediate(r));
      return counted({ status: 200, retryAfter: null });
    }
  : ((http) => async (request: PostRequest) => counted(await http(request)))(createHttpTransport());

const port = await freePort();
const agent = () =>
  createAgent(resolveConfig({ agentId: 'bench', dataDir: dir, plugins: [modem({ port: 'simulator' }), api({ port }), webhook({ transport })] }), {
    // The real logger at its default level, to /dev/null: formatting costs what it costs.
    // Synchronous: an asynchronous /dev/null destination not yet open when the process exits threw.
    log: createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) }),
  });

if (mode === 'prep') {
  const a = agent();
  await a.start();
  a.use('webhook').create({ url: local ? 'http://127.0.0.1:9/never' : target, events: ['sms.received'], format: 'standard', secret: WEBHOOK_SECRET });
  await a.stop();
  writeBacklog(join(dir, 'smsedge.db'), n);
} else {
  const a = agent();
  await a.start();
  await done;
  await a.stop();
}
process.exit(0);
