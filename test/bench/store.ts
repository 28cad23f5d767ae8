// Commits per second of one journal append per transaction, synchronous FULL vs NORMAL, same run.
// `npx node test/bench/store.ts` prints the table; `benchStore()` is used by `npm run bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../../core/clock.ts';
import { Journal } from '../../core/journal.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';

function commitsPerSec(synchronous: 'FULL' | 'NORMAL', n: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-bench-'));
  const store = openStore({ path: join(dir, 'b.db'), synchronous });
  const journal = new Journal(store, { clock: systemClock, log: silentLogger() });
  const start = performance.now();
  for (let i = 0; i < n; i++) journal.append('system.ping', { agentId: 'bench', uptimeSeconds: i });
  const elapsed = performance.now() - start;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return (n / elapsed) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function benchStore(opts: { rounds?: number; n?: number } = {}) {
  const rounds = opts.rounds ?? 3;
  const n = opts.n ?? 1000;
  const full: number[] = [];
  const normal: number[] = [];
  for (let r = 0; r < rounds; r++) {
    full.push(commitsPerSec('FULL', n));
    normal.push(commitsPerSec('NORMAL', n));
  }
  const fullPerSec = median(full);
  const normalPerSec = median(normal);
  return { fullCommitsPerSec: Math.round(fullPerSec), normalCommitsPerSec: Math.round(normalPerSec), fullOverNormal: +(fullPerSec / normalPerSec).toFixed(2) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.table(benchStore());
