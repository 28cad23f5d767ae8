// Baseline child for the pipeline bench: a bare loop of ofetch POSTs of the given bodies to the
// receiver, `concurrency` at a time, nothing durable, nothing signed. The same HTTP client the webhook
// plugin uses, in its own process like the agent. argv: <bodies.json> <url> <concurrency>.
import { readFileSync } from 'node:fs';
import { ofetch } from 'ofetch';

const [file, url, concurrency] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(file!, 'utf8')) as string[];
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await ofetch.raw(url!, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        retry: 0,
        ignoreResponseError: true,
        responseType: 'text',
      });
      if (res.status < 200 || res.status >= 300) failed++;
    }
  }),
);
process.stdout.write(`done ${bodies.length} failed ${failed}\n`);
