// A webhook receiver on loopback for the bench and the reliability tests: a bare node:http server
// that records every request (arrival time, headers, raw body) and answers as told, so a test can
// make it flap (503, reset connections) and then count what arrived.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Receipt {
  /** performance.now() (plus performance.timeOrigin gives wall time) when the body had arrived. */
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status answered (0: connection reset). */
  status: number;
}

/** How to answer one request: an HTTP status, or 'reset' to drop the connection without answering. */
export type Answer = number | 'reset';

export interface Receiver {
  url: string;
  /** Requests answered 2xx, in arrival order. */
  readonly accepted: Receipt[];
  /** Every request, whatever was answered. */
  readonly all: Receipt[];
  /** Changes how requests are answered from now on (default: 200). */
  answer(fn: (r: Omit<Receipt, 'status'>) => Answer): void;
  /** Calls `fn` on every accepted receipt as it arrives, until the returned function is called. */
  onAccepted(fn: (r: Receipt) => void): () => void;
  /** Resolves when `n` requests were accepted in total. */
  waitAccepted(n: number, timeoutMs?: number): Promise<void>;
  clear(): void;
  close(): Promise<void>;
}

export async function startReceiver(options: { port?: number } = {}): Promise<Receiver> {
  let answerFn: (r: Omit<Receipt, 'status'>) => Answer = () => 200;
  const accepted: Receipt[] = [];
  const all: Receipt[] = [];
  let listeners: ((r: Receipt) => void)[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { at: performance.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const answer = answerFn(r);
      if (answer === 'reset') {
        all.push({ ...r, status: 0 });
        req.socket.destroy();
        return;
      }
      const receipt = { ...r, status: answer };
      all.push(receipt);
      if (answer >= 200 && answer < 300) {
        accepted.push(receipt);
        for (const l of listeners) l(receipt);
        waiters = waiters.filter((w) => (accepted.length >= w.n ? (w.resolve(), false) : true));
      }
      res.writeHead(answer, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    accepted,
    all,
    answer: (fn) => (answerFn = fn),
    onAccepted(fn) {
      listeners.push(fn);
      return () => {
        listeners = listeners.filter((l) => l !== fn);
      };
    },
    waitAccepted(n, timeoutMs = 60_000) {
      if (accepted.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${accepted.length} of ${n} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    clear() {
      accepted.length = 0;
      all.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Calls `at` with the first accepted receipt from now on (the receiver's count at 1) and with the
 * `n`th, then stops listening; the returned function stops it earlier (a run that ended before).
 * How a drain is bounded: its first and last delivery as the receiver saw them.
 *
 * @example const stop = atFirstAndLast(receiver, 5000, (edge) => marks.push([edge, performance.now()]))
 */
export function atFirstAndLast(receiver: Receiver, n: number, at: (edge: 'first' | 'last') => void): () => void {
  const stop = receiver.onAccepted(() => {
    const k = receiver.accepted.length;
    if (k === 1) at('first');
    if (k === n) {
      stop();
      at('last');
    }
  });
  return stop;
}
