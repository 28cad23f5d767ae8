// Stdio mode: the modem speaks AT on a byte stream pair (stdin/stdout), so socat can put it behind a
// pseudo-terminal: `socat PTY,link=/tmp/ttySIM,raw,echo=0 EXEC:"node core/cli.ts simulate --stdio"`.
import type { Readable, Writable } from 'node:stream';

/** Anything a host can connect to: a Simulator or a Replay. */
export interface Connectable {
  connect(write: (data: Buffer) => void): { write(data: Buffer): void; close(): void };
}

/**
 * Connects `target` to the streams, byte for byte (no encoding, no line translation). Resolves when
 * the input ends (the pty closed).
 */
export function serveStdio(target: Connectable, input: Readable, output: Writable): Promise<void> {
  const conn = target.connect((data) => void output.write(data));
  return new Promise((resolve) => {
    const onData = (chunk: Buffer | string) => conn.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    const end = () => {
      input.off('data', onData);
      conn.close();
      resolve();
    };
    input.on('data', onData);
    input.once('end', end);
    input.once('close', end);
    input.once('error', end);
  });
}
