// A simulated modem that outlives the agent, as a real USB modem does: the simulator runs in the test
// process behind socat's pseudo-terminal, and a child agent opens the tty with the real serialport
// binding. The test keeps its own descriptor on the tty so the pty stays up while no agent has it open
// (otherwise socat sees EIO when the killed agent's descriptor goes away, and exits).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createSimulator, serveStdio, type CreateSimulatorOptions, type Simulator } from '../../../simulator/index.ts';

export const hasSocat = spawnSync('socat', ['-V']).status === 0;

export interface PtyModem {
  sim: Simulator;
  /** The tty path to give the modem plugin (`port`). */
  path: string;
  close(): Promise<void>;
}

export async function startPtyModem(dir: string, options: CreateSimulatorOptions = {}): Promise<PtyModem> {
  const path = join(dir, 'ttySIM');
  const socat: ChildProcess = spawn('socat', [`PTY,link=${path},raw,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sim = createSimulator(options);
  const served = serveStdio(sim, socat.stdout!, socat.stdin!);
  const deadline = Date.now() + 10_000;
  while (!existsSync(path)) {
    if (socat.exitCode !== null) throw new Error(`socat exited with ${socat.exitCode}`);
    if (Date.now() > deadline) throw new Error('the pty link did not appear');
    await new Promise((r) => setImmediate(r));
  }
  // Held, never read: the agent is the only reader of what the modem says.
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  return {
    sim,
    path,
    async close() {
      closeSync(fd);
      socat.kill('SIGTERM');
      await served;
      sim.close();
    },
  };
}
