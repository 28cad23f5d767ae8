// A closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending the next
// request as soon as the previous answer arrived, for `durationMs`. Used the same way against the
// agent's API and against its baseline, so only the server differs.
import { Agent, request } from 'node:http';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Body per request (called once per request, so bodies may differ). */
  body?: () => string;
}

export interface LoadResult {
  requests: number;
  perSec: number;
  /** Count of answers by HTTP status; `error` for connection failures. */
  statuses: Record<string, number>;
}

export async function load(origin: string, req: LoadRequest, options: { concurrency: number; durationMs: number; warmupMs?: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(req.path, origin);
  const one = (): Promise<number | 'error'> =>
    new Promise((resolve) => {
      const body = req.body?.();
      const headers: Record<string, string> = { ...req.headers };
      if (body !== undefined) {
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const r = request(url, { method: req.method, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve('error'));
      });
      r.on('error', () => resolve('error'));
      r.end(body);
    });

  const run = async (ms: number, count: boolean) => {
    const statuses: Record<string, number> = {};
    let requests = 0;
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < end) {
          const status = await one();
          if (!count) continue;
          requests++;
          statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        }
      }),
    );
    return { requests, perSec: (requests * 1000) / (performance.now() - start), statuses };
  };

  try {
    if (options.warmupMs) await run(options.warmupMs, false);
    return await run(options.durationMs, true);
  } finally {
    agent.destroy();
  }
}
