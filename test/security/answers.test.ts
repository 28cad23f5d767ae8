// What a receiver answers cannot hurt the agent (issue 32 items 10 and 11): the body is never
// decompressed and at most a few KB of it are read, then the connection is dropped. The delivery is
// recorded by its status.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { createHttpTransport, MAX_ANSWER_BYTES } from '../../plugins/webhook/transport.ts';
import { harness, until } from '../webhook/helpers.ts';

interface Hostile {
  url: string;
  /** Bytes the server got onto the wire before the agent hung up, per request. */
  written: number[];
  /** Accept-Encoding of each request. */
  encodings: (string | undefined)[];
  /** TCP connections accepted. */
  connections(): number;
  /** Resolves when the n-th answer was over (finished, or cut off by the agent). */
  closed(n: number): Promise<void>;
}

/** A receiver that answers 200 and then whatever `body` writes. */
async function hostile(t: Test, body: (res: ServerResponse, done: () => void) => void, headers: Record<string, string> = {}): Promise<Hostile> {
  const written: number[] = [];
  const encodings: (string | undefined)[] = [];
  let closes = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    encodings.push(req.headers['accept-encoding']);
    const i = written.push(0) - 1;
    // Answered once the request is read, as receivers do (and so the connection may be kept).
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.on('close', () => {
        written[i] = res.socket?.bytesWritten ?? req.socket.bytesWritten;
        closes++;
        for (const w of waiters.filter((w) => closes >= w.n)) w.resolve();
      });
      body(res, () => res.end());
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    written,
    encodings,
    connections: () => connections,
    closed: (n) => (closes >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

/** Writes 64 KB chunks for as long as the client reads (an endless body). */
function endless(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

// 64 MB of zeros in ~64 KB: what inflating it would cost is plain to see in the heap.
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));

const post = (transport: ReturnType<typeof createHttpTransport>, url: string) =>
  transport({ url, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal });

t.test('an endless body: a few KB are read, the connection is dropped, memory stays put', async (t) => {
  const r = await hostile(t, (res) => endless(res));
  const transport = createHttpTransport();
  t.teardown(() => transport.close());
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 20; i++) t.same(await post(transport, r.url), { status: 200, retryAfter: null });
  await r.closed(20);
  const grown = process.memoryUsage().rss - before;
  t.ok(grown < 48 * 1024 * 1024, `rss grew ${(grown / 1048576).toFixed(1)} MB over 20 endless answers`);
  // What reached the socket before the agent hung up: socket buffers, not the body.
  t.ok(Math.max(...r.written) < 8 * 1024 * 1024, `at most ${(Math.max(...r.written) / 1048576).toFixed(2)} MB written per answer before the hang-up`);
});

t.test('a gzip bomb is neither asked for nor inflated', async (t) => {
  const r = await hostile(t, (res, done) => {
    res.write(bomb);
    done();
  }, { 'content-encoding': 'gzip' });
  const transport = createHttpTransport();
  t.teardown(() => transport.close());
  const heap = process.memoryUsage().heapUsed;
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 10; i++) t.same(await post(transport, r.url), { status: 200, retryAfter: null });
  t.same(r.encodings, Array(10).fill('identity'), 'Accept-Encoding: identity');
  t.ok(process.memoryUsage().heapUsed - heap < 32 * 1024 * 1024, 'the heap did not take the inflated 64 MB');
  t.ok(process.memoryUsage().rss - rss < 48 * 1024 * 1024, 'nor did the process');
});

t.test('a small answer is read to its end and the connection kept for the next attempt', async (t) => {
  const r = await hostile(t, (res, done) => {
    res.write('x'.repeat(MAX_ANSWER_BYTES - 1));
    done();
  });
  const transport = createHttpTransport();
  t.teardown(() => transport.close());
  for (let i = 0; i < 4; i++) await post(transport, r.url);
  // (undici may open a second one while the first goes back to its pool.)
  t.ok(r.connections() <= 2, `${r.connections()} connections for 4 answers`);
  const big = await hostile(t, (res, done) => {
    res.write('x'.repeat(1024 * 1024));
    done();
  });
  for (let i = 0; i < 4; i++) await post(transport, big.url);
  t.ok(big.connections() >= 4, `a longer answer is cut off with its connection (${big.connections()} connections for 4 answers)`);
});

t.test('through the agent: endless and compressed answers, each delivery recorded as delivered', async (t) => {
  const endlessReceiver = await hostile(t, (res) => endless(res));
  const bombReceiver = await hostile(t, (res, done) => {
    res.write(bomb);
    done();
  }, { 'content-encoding': 'gzip' });
  const h = await harness(t);
  h.service.create({ url: endlessReceiver.url, secret: null, format: 'callstack' });
  h.service.create({ url: bombReceiver.url, secret: null, format: 'callstack' });
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 5; i++) h.receive(`message ${i}`);
  await until(() => h.service.counts().delivered === 10, 'ten deliveries', 20_000);
  t.same(h.service.counts().failed, 0);
  t.ok(process.memoryUsage().rss - rss < 64 * 1024 * 1024, `rss grew ${((process.memoryUsage().rss - rss) / 1048576).toFixed(1)} MB`);
  t.ok(h.service.deliveries({ status: 'delivered' }).items.every((d) => d.lastStatus === 200));
});
