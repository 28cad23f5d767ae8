import type { Counter, Gauge, Metrics, Sample } from './service.ts';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  labelNames: string[];
  /** Series by their serialised label set. */
  values: Map<string, { labels: Record<string, string>; value: number }>;
  collector?: () => Sample[] | number | Promise<Sample[] | number>;
}

export class MetricsError extends Error {
  override name = 'MetricsError';
  readonly code = 'invalid_metric';
}

/**
 * A small Prometheus registry: counters and gauges kept in memory, and collectors asked for their
 * values at scrape time (queue depths, signal, journal lag). Renders the text exposition format 0.0.4.
 *
 * @example
 * const metrics = new Registry();
 * metrics.counter('smsedge_webhook_attempts_total', 'Webhook delivery attempts', ['outcome']).inc({ outcome: 'ok' });
 * await metrics.render(); // '# HELP smsedge_webhook_attempts_total ...\nsmsedge_webhook_attempts_total{outcome="ok"} 1\n'
 */
export class Registry implements Metrics {
  readonly #families = new Map<string, Family>();
  /** Called when a collector throws; the scrape goes on without it. */
  onCollectError: (name: string, error: unknown) => void = () => {};

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    const family = this.#family(name, help, 'counter', labelNames);
    const add = (series: { value: number }, by: number) => {
      if (!(by >= 0) || !Number.isFinite(by)) throw new MetricsError(`${name}: a counter only goes up (got ${by})`);
      series.value += by;
    };
    return {
      inc: (labels = {}, by = 1) => add(this.#series(family, labels), by),
      labels: (labels) => {
        const series = this.#series(family, labels);
        return { inc: (by = 1) => add(series, by) };
      },
    };
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    const family = this.#family(name, help, 'gauge', labelNames);
    return {
      set: (value, labels = {}) => {
        this.#series(family, labels).value = value;
      },
    };
  }

  collect(name: string, help: string, type: 'gauge' | 'counter' | 'summary', collector: () => Sample[] | number | Promise<Sample[] | number>): () => void {
    const family = this.#family(name, help, type, []);
    if (family.collector) throw new MetricsError(`${name}: already has a collector`);
    family.collector = collector;
    return () => {
      if (this.#families.get(name) === family) this.#families.delete(name);
    };
  }

  async render(): Promise<string> {
    const lines: string[] = [];
    for (const family of [...this.#families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      let samples: Sample[];
      if (family.collector) {
        try {
          const got = await family.collector();
          samples = typeof got === 'number' ? [{ value: got }] : got;
        } catch (error) {
          this.onCollectError(family.name, error);
          continue;
        }
      } else {
        samples = [...family.values.values()];
      }
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
      for (const s of samples) {
        // Only a summary's _sum and _count carry a suffix; elsewhere it would name another family.
        const suffix = family.type === 'summary' && (s.suffix === '_sum' || s.suffix === '_count') ? s.suffix : '';
        lines.push(`${family.name}${suffix}${formatLabels(s.labels)} ${formatValue(s.value)}`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  #family(name: string, help: string, type: Family['type'], labelNames: string[]): Family {
    if (!NAME.test(name)) throw new MetricsError(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__')) throw new MetricsError(`${name}: invalid label name "${l}"`);
    const existing = this.#families.get(name);
    if (existing) {
      if (existing.type !== type) throw new MetricsError(`${name} is already registered as a ${existing.type}`);
      return existing;
    }
    const family: Family = { name, help, type, labelNames, values: new Map() };
    this.#families.set(name, family);
    return family;
  }

  #series(family: Family, labels: Record<string, string>) {
    for (const key of Object.keys(labels))
      if (!family.labelNames.includes(key)) throw new MetricsError(`${family.name}: unknown label "${key}"`);
    const key = family.labelNames.map((l) => labels[l] ?? '').join('\u0000');
    let series = family.values.get(key);
    if (!series) {
      series = { labels: { ...labels }, value: 0 };
      family.values.set(key, series);
    }
    return series;
  }
}

// Exposition format: label values escape backslash, double quote and newline; HELP escapes backslash and newline.
function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
