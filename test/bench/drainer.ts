// A child for `npm run bench:instructions`: one webhook backlog drained in this process, by the real
// agent (modem on the simulator, api, webhook; the real store and journal).
//   prep  <dir> <n> <url|->  writes an agent's data dir with one `standard` subscription and a backlog of n
//   drain <dir> <n> <url|->  starts the agent on it; exits once n deliveries were made
// With url `-` no request leaves the process: the transport answers 200 on the next turn, so what is
// counted is the agent's own work alone (journal, store, signing, formatting, scheduling, policies).
import { join } from 'node:path';
import pino from 'pino';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { ofetchTransport, type PostRequest, type PostResponse } from '../../plugins/webhook/transport.ts';
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
const counted = (r: PostResponse) => {
  if (++made === n) drained();
  return r;
};
const transport = local
  ? async (): Promise<PostResponse> => {
      await new Promise((r) => setImmediate(r));
      return counted({ status: 200, retryAfter: null });
    }
  : async (request: PostRequest) => counted(await ofetchTransport(request));

const port = await freePort();
const agent = () =>
  createAgent(resolveConfig({ agentId: 'bench', dataDir: dir, plugins: [modem(), api({ port }), webhook({ transport })] }), {
    // The real logger at its default level, to /dev/null: formatting costs what it costs.
    log: createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) }),
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
