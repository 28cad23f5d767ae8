// Baseline child for the pipeline bench: a bare loop of ofetch POSTs of the given bodies to the
// receiver, `concurrency` at a time, nothing durable, nothing signed. The same HTTP client the webhook
// plugin uses, in its own process like the agent, sending the same headers the agent sends (values of
// the same shape, made before the loop) so the comparison is like for like.
// argv: <bodies.json> <url> <concurrency>.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ofetch } from 'ofetch';

const [file, url, concurrency] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(file!, 'utf8')) as string[];
const headers = bodies.map(() => ({
  'user-agent': 'smsedge/bench',
  'content-type': 'application/json',
  'webhook-id': `msg_${randomUUID()}`,
  'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}`,
}));
let next = 0;
let failed = 0;
// SMSEDGE_BENCH_CPU_FROM=k (steady.ts): main-thread CPU per POST from the kth answer to the last, on stderr.
const cpuFrom = Number(process.env.SMSEDGE_BENCH_CPU_FROM ?? 0);
let answered = 0;
let cpuAt = 0;
const threadCpuUs = () => {
  const c = process.threadCpuUsage();
  return c.user + c.system;
};
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < bodies.length) {
      const i = next++;
      const res = await ofetch.raw(url!, {
        method: 'POST',
        body: bodies[i]!,
        headers: headers[i]!,
        retry: 0,
        ignoreResponseError: true,
        responseType: 'text',
      });
      if (res.status < 200 || res.status >= 300) failed++;
      if (++answered === cpuFrom) cpuAt = threadCpuUs();
    }
  }),
);
if (cpuFrom && cpuFrom < bodies.length) process.stderr.write(`CPU ${((threadCpuUs() - cpuAt) / (bodies.length - cpuFrom)).toFixed(1)}\n`);
process.stdout.write(`done ${bodies.length} failed ${failed}\n`);
