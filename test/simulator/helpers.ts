// Test helpers: serialport's SerialPortStream (what `SerialPort` is built on) over the simulator's
// binding, and a tiny AT client.
import { SerialPortStream } from '@serialport/stream';
import { ManualClock } from '../../core/clock.ts';
import { createSimulator, type CreateSimulatorOptions, type Simulator, type SimulatorBinding } from '../../simulator/index.ts';

export interface Host {
  port: SerialPortStream;
  /** Everything the modem sent so far (latin1). */
  received(): string;
  /** Writes raw bytes. */
  write(data: string | Buffer): Promise<void>;
  /** Writes `line\r` and resolves with what came back up to and including the final result. */
  at(line: string): Promise<string>;
  /** Resolves with the received text once `re` matches the text received after `from`. */
  waitFor(re: RegExp, from?: number): Promise<string>;
  /** Offset of the received text (for waitFor). */
  mark(): number;
  close(): Promise<void>;
}

const FINAL = /\r\n(OK|ERROR|\+CME ERROR: [^\r]*|\+CMS ERROR: [^\r]*|NO CARRIER|NO ANSWER|BUSY)\r\n|\r\n> $/;

export async function openHost(path: string, binding: SimulatorBinding): Promise<Host> {
  const port = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let text = '';
  const waiters = new Set<() => void>();
  port.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  const waitFor = (re: RegExp, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const tail = text.slice(from);
        if (re.test(tail)) {
          waiters.delete(check);
          clearTimeout(guard);
          resolve(tail);
        }
      };
      // A guard against a test hanging forever, not a sleep: passing tests never reach it.
      const guard = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(text.slice(from))}`));
      }, 3000);
      waiters.add(check);
      check();
    });
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => port.write(data, (err) => (err ? reject(err) : resolve())));
  return {
    port,
    received: () => text,
    write,
    mark: () => text.length,
    waitFor,
    async at(line) {
      const from = text.length;
      await write(`${line}\r`);
      const tail = await waitFor(FINAL, from);
      const m = FINAL.exec(tail)!;
      return tail.slice(0, m.index + m[0].length); // URCs after the final result are not part of the answer
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/** A simulator on a ManualClock with a host connected, echo off. */
export async function setup(opts: CreateSimulatorOptions = {}): Promise<{ sim: Simulator; host: Host; clock: ManualClock }> {
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const sim = createSimulator({ ...opts, clock });
  const host = await openHost(sim.path, sim.binding);
  await host.at('ATE0');
  return { sim, host, clock };
}

/** Lines of an answer without the framing. */
export function lines(answer: string): string[] {
  return answer.split('\r\n').filter((l) => l !== '');
}
