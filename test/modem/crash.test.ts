import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const script = fileURLToPath(new URL('./fixtures/crash-agent.ts', import.meta.url));

/** Runs the child agent until it prints a line starting with `until`; SIGKILLs it when asked. */
function run(dir: string, crashAt: string | undefined, until: string, kill: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir], { env: { ...process.env, CRASH_AT: crashAt ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not print ${until}: ${out}`));
    }, 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith(until));
      if (line && kill) child.kill('SIGKILL');
      if (line) {
        clearTimeout(guard);
        child.once('exit', () => resolve(line));
        if (!kill) resolve(line);
      }
    });
    child.once('error', reject);
  });
}

interface SimFile {
  storages: Record<string, { pdu: string }[]>;
}
const onSim = (dir: string) => Object.values((JSON.parse(readFileSync(join(dir, 'sim-storage.json'), 'utf8')) as SimFile).storages).flat().length;

for (const crashAt of ['before-store', 'after-store']) {
  t.test(`SIGKILL ${crashAt}: the SMS is read again from the SIM and lands in the journal once`, async (t) => {
    const dir = t.testdir();
    await run(dir, crashAt, crashAt === 'before-store' ? 'READ' : 'STORED', true);
    // The SIM (a file the simulator writes on every change) outlived the agent and still holds the SMS:
    // nothing was deleted before the store, or before the kill.
    t.equal(onSim(dir), 1, 'still on the SIM after the kill');
    const done = await run(dir, undefined, 'DONE', false);
    const { received, storedAt, deletedAt } = JSON.parse(done.slice(5)) as { received: { text: string; from: string }[]; storedAt: number[]; deletedAt: number[] };
    t.equal(received.length, 1, 'exactly once');
    t.match(received[0], { text: 'one-time code 482913', from: '+15550400400' });
    t.equal(storedAt.length, 1, 'taken in once after the restart');
    t.equal(deletedAt.length, 1, 'deleted once');
    t.ok(deletedAt[0]! >= storedAt[0]!, 'AT+CMGD only after the message was durable');
    t.equal(onSim(dir), 0, 'the SIM is empty at the end');
  });
}
