/**
 * Start order for plugins: dependencies first, config order otherwise. A missing required dependency
 * or a cycle is an error that names the plugins involved.
 */
export interface Orderable {
  name: string;
  dependsOn: string[];
  after: string[];
}

export class DependencyError extends Error {
  override name = 'DependencyError';
  readonly code: 'missing_dependency' | 'dependency_cycle';
  constructor(code: 'missing_dependency' | 'dependency_cycle', message: string) {
    super(message);
    this.code = code;
  }
}

/** `modem` matches the instances `modem`, `modem#a`, `modem#b`. */
export function matches(dependency: string, name: string): boolean {
  return name === dependency || name.startsWith(`${dependency}#`);
}

export function startOrder<T extends Orderable>(plugins: T[]): T[] {
  const edges = new Map<T, T[]>();
  for (const p of plugins) {
    const deps: T[] = [];
    for (const d of p.dependsOn) {
      const found = plugins.filter((q) => q !== p && matches(d, q.name));
      if (!found.length) throw new DependencyError('missing_dependency', `plugin "${p.name}" depends on "${d}", which is not in the config`);
      deps.push(...found);
    }
    for (const d of p.after) deps.push(...plugins.filter((q) => q !== p && matches(d, q.name)));
    edges.set(p, deps);
  }
  const done = new Set<T>();
  const visiting: T[] = [];
  const out: T[] = [];
  const visit = (p: T) => {
    if (done.has(p)) return;
    const at = visiting.indexOf(p);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), p].map((q) => q.name).join(' -> ');
      throw new DependencyError('dependency_cycle', `plugin dependency cycle: ${cycle}`);
    }
    visiting.push(p);
    for (const d of edges.get(p)!) visit(d);
    visiting.pop();
    done.add(p);
    out.push(p);
  };
  for (const p of plugins) visit(p);
  return out;
}
