import type { AddressInfo } from 'node:net';
import type { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { listen, type Listener } from 'listhen';
import { isLoopback } from './auth.ts';

export class ServerError extends Error {
  override name = 'ServerError';
  readonly code: 'bind_failed' | 'no_api_key';
  constructor(code: 'bind_failed' | 'no_api_key', message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface Server {
  /** Every URL it answers on: the loopback one, and each LAN address when bound to all interfaces. */
  urls: string[];
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the app with listhen on exactly `host:port`. listhen's conveniences that do not suit an
 * unattended agent are off: no fallback to another port when the port is busy (the agent must not
 * move silently: integrations point at a fixed URL), no signal handlers of its own (the agent stops
 * plugins in order), no banner (we log the URLs).
 */
export async function serve(app: H3, options: { host: string; port: number; keyConfigured: boolean }): Promise<Server> {
  const { host, port } = options;
  if (!options.keyConfigured && !isLoopback(host))
    throw new ServerError('no_api_key', `refusing to listen on ${host} without an API key: set the API key variable, or bind to 127.0.0.1`);
  let listener: Listener;
  const handler = toNodeHandler(app);
  try {
    listener = await listen(handler, {
      hostname: host,
      // Port 0 (tests) asks the OS for a free port; any other port is that port or an error.
      port: port === 0 ? { port: 0, random: true } : { port, random: false, ports: [], portRange: [] as never, alternativePortRange: [] as never },
      public: !isLoopback(host),
      showURL: false,
      autoClose: false,
      open: false,
      clipboard: false,
      qr: false,
      isProd: true,
    });
  } catch (error) {
    throw new ServerError('bind_failed', `cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
  }
  const server = listener.server;
  // listhen wraps the server with http-shutdown, whose per-request 'finish' listener reads
  // `req.socket._isIdle` and throws (an uncaught exception: the agent would die) when a client has
  // already gone, e.g. after a 413 cut its upload short. We close connections ourselves instead.
  for (const l of server.listeners('request')) if (l !== handler) server.removeListener('request', l as () => void);
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const actual = (listener.address as AddressInfo).port;
  if (port !== 0 && actual !== port) {
    // Belt and braces: whatever listhen decided, a different port than configured is a start-up error.
    await close();
    throw new ServerError('bind_failed', `cannot listen on ${host}:${port} (got port ${actual})`);
  }
  // listhen names the wildcard address itself as the local URL; show the loopback address instead.
  const urls = (await listener.getURLs({ extraURLs: [] })).map((u) =>
    u.url.replace(/\/$/, '').replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'),
  );
  if (!urls.length) urls.push(listener.url.replace(/\/$/, ''));
  return { urls, port: actual, close };
}
