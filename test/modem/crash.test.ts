import { spawn } from 'node:child_process';
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

for (const crashAt of ['before-store', 'after-store']) {
  t.test(`SIGKILL ${crashAt}: the SMS is read again from the SIM and lands in the journal once`, async (t) => {
    const dir = t.testdir();
    await run(dir, crashAt, crashAt === 'before-store' ? 'READ' : 'STORED', true);
    const done = await run(dir, undefined, 'DONE', false);
    const received = JSON.parse(done.slice(5)) as { text: string; from: string }[];
    t.equal(received.length, 1, 'exactly once');
    t.match(received[0], { text: 'one-time code 482913', from: '+15550400400' });
  });
}
