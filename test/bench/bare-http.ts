// Baseline child for memory and startup: a bare Node HTTP server, nothing else loaded.
// Run as plain JavaScript (`node --input-type=module -e bareHttpSource <port>`, the strict baseline) or
// as this .ts file (type stripping included, as the agent pays it). Prints `listening <port>`.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { spawnNode, type Child } from './proc.ts';

/** The same server as plain JavaScript, for `node -e`. */
export const bareHttpSource = `
import { createServer } from 'node:http';
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
});
server.listen(Number(process.argv[1] ?? 0), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\\n');
});
process.once('SIGTERM', () => server.close());
`;

/** Starts the bare server: plain JavaScript (default) or this TypeScript file. */
export function spawnBare(port: number, kind: 'js' | 'ts' = 'js'): Child {
  if (kind === 'ts') return spawnNode(fileURLToPath(import.meta.url), [String(port)]);
  return spawnNode(null, [], { nodeArgs: ['--input-type=module', '-e', bareHttpSource, String(port)] });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
  });
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
  });
  process.once('SIGTERM', () => server.close());
}
