// Baseline child for the API bench: a bare h3 route that reads the JSON body and answers what
// POST /sms/send answers, served by node:http like the API (listhen wraps node:http too), without
// auth, validation, idempotency or a queue behind it. argv: <port>. Prints `listening <port>`.
import { createServer } from 'node:http';
import { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';

let n = 0;
const app = new H3().post('/sms/send', async (event) => {
  const body = (await event.req.json()) as { to: string; text: string };
  event.res.status = 202;
  return { id: `0190b6f0-0000-7000-8000-${String(++n).padStart(12, '0')}`, status: 'queued', to: body.to, parts: 1, encoding: 'gsm7' };
});
const server = createServer(toNodeHandler(app));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => server.close());
