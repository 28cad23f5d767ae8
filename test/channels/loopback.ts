// A loopback HTTP server that records each request and answers with what the test's handler says:
// the few endpoints of the Telegram Bot API, ntfy and Matrix the channels use, or any endpoint.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json(): any;
}

export type Answer = { status?: number; json?: unknown; text?: string; hold?: Promise<void> };

export interface Loopback {
  url: string;
  requests: Recorded[];
  /** Resolves once `n` requests (in all) arrived. */
  count(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function loopback(handler: (req: Recorded) => Answer | Promise<Answer>): Promise<Loopback> {
  const requests: Recorded[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: () => JSON.parse(body) };
      requests.push(recorded);
      for (const w of waiters.filter((w) => w.n <= requests.length)) w.resolve();
      const answer = await handler(recorded);
      await answer.hold;
      if (res.destroyed) return;
      if (answer.json !== undefined) {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json));
      } else {
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain' });
        res.end(answer.text ?? '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
