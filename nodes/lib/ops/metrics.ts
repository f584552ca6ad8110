/**
 * The process's Prometheus metrics, on prom-client: one registry, every name prefixed `odoo_middleware_`.
 * Counters and histograms are created once by name and shared; gauges are read at scrape time from sources that
 * parts of the product add and remove (a connection's circuit state, an SLA's open count, a bus topic's depth).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'odoo_middleware_';

/** Buckets of odoo_call_duration_seconds: from a fast read to Odoo's default 120 s limit. */
export const CALL_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Label values longer than this are cut: names are labels, bodies are not. */
export const MAX_LABEL_LENGTH = 100;

export type Labels<L extends string> = Partial<Record<L, string>>;

/** One reading of a gauge: its labels and value. */
export interface GaugeReading<L extends string> {
  labels: Labels<L>;
  value: number;
}

/** Reads current values for a gauge at scrape time; may be async (a store count). */
export type GaugeSource<L extends string> = () => Array<GaugeReading<L>> | Promise<Array<GaugeReading<L>>>;

interface GaugeFamily {
  gauge: Gauge<string>;
  sources: Set<GaugeSource<string>>;
}

export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly gauges = new Map<string, GaugeFamily>();

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every metric (gauge sources are read now). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const existing = this.registry.getSingleMetric(METRIC_PREFIX + name);
    if (existing) return existing as Counter<L>;
    return new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    const existing = this.registry.getSingleMetric(METRIC_PREFIX + name);
    if (existing) return existing as Histogram<L>;
    return new Histogram<L>({ name: METRIC_PREFIX + name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
  }

  /**
   * Adds a source to the gauge `name` (created on first use); the gauge shows the union of its sources' readings.
   * Returns the function that removes the source (call it when the node closes).
   */
  gaugeSource<L extends string>(name: string, help: string, labelNames: readonly L[], source: GaugeSource<L>): () => void {
    let family = this.gauges.get(name);
    if (!family) {
      const sources = new Set<GaugeSource<string>>();
      const gauge = new Gauge<string>({
        name: METRIC_PREFIX + name,
        help,
        labelNames: [...labelNames],
        registers: [this.registry],
        async collect() {
          const readings = await Promise.all([...sources].map(async (read) => read()));
          this.reset();
          for (const reading of readings.flat()) this.set(boundedLabels(reading.labels), reading.value);
        },
      });
      family = { gauge, sources };
      this.gauges.set(name, family);
    }
    const sources = family.sources;
    const added = source as GaugeSource<string>;
    sources.add(added);
    return () => {
      sources.delete(added);
    };
  }
}

/** Every label value as a short string: never undefined, never a body. */
export function boundedLabels(labels: Labels<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) out[name] = boundedLabel(value);
  return out;
}

export function boundedLabel(value: string | undefined): string {
  const text = value ?? '';
  return text.length > MAX_LABEL_LENGTH ? text.slice(0, MAX_LABEL_LENGTH) : text;
}

/**
 * Caps the distinct label sets of one metric: a model or method taken from messages could otherwise grow the
 * series without bound; past the cap new combinations are counted under `other`.
 */
export class LabelSetLimiter {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  admit(key: string): boolean {
    if (this.seen.has(key)) return true;
    if (this.seen.size >= this.max) return false;
    this.seen.add(key);
    return true;
  }
}

/** The one registry of the process, served at /odoo-middleware/metrics. */
export const middlewareMetrics = new MetricsRegistry();
