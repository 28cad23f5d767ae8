// Reading V8 CPU profiles (`node --cpu-prof`) for the gap report (gap.ts): self time within a window
// of the process's life, grouped by component, and two processes compared per event.
import { readFileSync } from 'node:fs';
import { round } from './stats.ts';

/** The parts of a `.cpuprofile` used here (Chrome DevTools protocol, Profiler.Profile). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** Microseconds on the monotonic clock `process.hrtime` reads too. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/**
 * What a frame belongs to: a file of this project (`core/store.ts`), a package (`cockatiel`), a
 * Node internal module (`node:internal/deps/undici`), native code, or one of V8's own buckets
 * (`(garbage collector)`, `(idle)`, `(program)`).
 *
 * @example component({ functionName: 'run', url: 'file:///x/core/store.ts', lineNumber: 104 }, 'file:///x/') // 'core/store.ts'
 */
export function component(frame: CallFrame, root: string): string {
  const { functionName, url } = frame;
  if (functionName.startsWith('(')) return functionName;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 3).join('/');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('wasm:')) return 'wasm';
  return url.startsWith(root) ? url.slice(root.length) : url;
}

/** A function: its name, where it lives (file or package) and its line; V8's buckets by their name. */
export function functionKey(frame: CallFrame, root: string): string {
  if (frame.functionName.startsWith('(')) return frame.functionName;
  return `${frame.functionName || '(anonymous)'} ${component(frame, root)}:${frame.lineNumber + 1}`;
}

/**
 * Self time (µs) per `key` of the samples taken within [fromUs, toUs] (profile clock). A sample
 * stands for the time until the next one.
 */
export function selfTime(profile: CpuProfile, fromUs: number, toUs: number, key: (frame: CallFrame) => string): Map<string, number> {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const k = key(frames.get(profile.samples[i]!)!);
    out.set(k, (out.get(k) ?? 0) + dt);
  }
  return out;
}

export interface GapRow {
  key: string;
  /** µs per event in each process. */
  ours: number;
  baseline: number;
  /** ours − baseline. */
  gap: number;
}

/** Both sides per event, largest gap first; `(idle)` is left out (it is waiting, not work). */
export function compare(ours: Map<string, number>, baseline: Map<string, number>, events: number): GapRow[] {
  const keys = new Set([...ours.keys(), ...baseline.keys()]);
  keys.delete('(idle)');
  return [...keys]
    .map((key) => {
      const o = (ours.get(key) ?? 0) / events;
      const b = (baseline.get(key) ?? 0) / events;
      return { key, ours: round(o), baseline: round(b), gap: round(o - b) };
    })
    .sort((x, y) => y.gap - x.gap || y.ours - x.ours);
}
