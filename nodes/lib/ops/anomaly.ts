/**
 * Anomaly signals that explain themselves: each subject (a connection, a node, the dead-letter queue) is compared
 * with its own moving baseline, an exponentially weighted mean and variance per window. A window is anomalous
 * when its value lies more than `z` standard deviations above the baseline, with enough volume to mean something.
 * Deterministic: the same series gives the same alerts, and every alert says which numbers made it.
 */

export interface BaselineOptions {
  /** Weight of the newest window in the moving baseline (0..1); default 0.2. */
  alpha?: number;
  /** Standard deviations above the baseline that make a window anomalous; default 3 for rates, 4 for counts (whose Poisson tail is heavier). */
  z?: number;
  /** Windows of baseline needed before anything is flagged; default 5. */
  warmupWindows?: number;
  /** Smallest standard deviation assumed, so a flat baseline does not flag tiny changes; default 0.02 for rates, 2 for counts. */
  minDeviation?: number;
  /** Rates: calls in a window below this say nothing (default 20). Counts: a window below this is never anomalous (default 5). */
  minVolume?: number;
}

export interface Reading {
  value: number;
  /** The baseline the value was compared with (before this window). */
  baseline: number;
  /** The value above which a window is anomalous. */
  threshold: number;
  /** Standard deviations above the baseline. */
  z: number;
  /** False when the window had too little volume (or the baseline is still warming up) to judge. */
  judged: boolean;
  anomalous: boolean;
  volume: number;
}

/**
 * One subject's moving baseline. While a window is anomalous the baseline is not updated, so a lasting step stays
 * flagged against the level before it instead of being learnt as normal.
 */
export class EwmaBaseline {
  private mean = 0;
  private variance = 0;
  private windows = 0;
  private readonly alpha: number;
  private readonly z: number;
  private readonly warmup: number;
  private readonly minDeviation: number;
  private readonly minVolume: number;

  constructor(
    private readonly kind: 'rate' | 'count',
    options: BaselineOptions = {},
  ) {
    this.alpha = options.alpha ?? 0.2;
    this.z = options.z ?? (kind === 'rate' ? 3 : 4);
    this.warmup = options.warmupWindows ?? 5;
    this.minDeviation = options.minDeviation ?? (kind === 'rate' ? 0.02 : 2);
    this.minVolume = options.minVolume ?? (kind === 'rate' ? 20 : 5);
  }

  /** A rate window: `failures` of `total`. */
  rate(failures: number, total: number): Reading {
    return this.judge(total > 0 ? failures / total : 0, total);
  }

  /** A count window (e.g. dead letters parked in it). */
  count(n: number): Reading {
    return this.judge(n, n);
  }

  private deviation(volume: number): number {
    const spread = Math.sqrt(this.variance);
    // Sampling noise of the window itself: binomial for a rate, Poisson for a count.
    const sampling = this.kind === 'rate' ? Math.sqrt((this.mean * (1 - this.mean)) / Math.max(volume, 1)) : Math.sqrt(Math.max(this.mean, 1));
    return Math.max(spread, sampling, this.minDeviation);
  }

  private judge(value: number, volume: number): Reading {
    const sigma = this.deviation(volume);
    const threshold = this.mean + this.z * sigma;
    const z = (value - this.mean) / sigma;
    const enoughVolume = this.kind === 'rate' ? volume >= this.minVolume : true;
    const judged = enoughVolume && this.windows >= this.warmup;
    const anomalous = judged && value > threshold && (this.kind === 'rate' || value >= this.minVolume);
    const reading: Reading = { value, baseline: this.mean, threshold, z, judged, anomalous, volume };
    if (enoughVolume && !anomalous) this.learn(value);
    return reading;
  }

  private learn(value: number): void {
    if (this.windows === 0) {
      this.mean = value;
      this.variance = 0;
    } else {
      const diff = value - this.mean;
      this.mean += this.alpha * diff;
      this.variance = (1 - this.alpha) * (this.variance + this.alpha * diff * diff);
    }
    this.windows += 1;
  }
}

export interface TrendOptions {
  /** The depth that must not be crossed. */
  threshold: number;
  /** Alert when the threshold is predicted to be crossed within this; default 1 h. */
  horizonMs?: number;
  /** Samples the slope is fitted over; default 10. */
  samples?: number;
}

export interface TrendReading {
  depth: number;
  /** Growth per minute fitted over the recent samples (least squares). */
  perMinute: number;
  /** Predicted time until the threshold is crossed; 0 when crossed, undefined when not growing. */
  etaMs?: number;
  threshold: number;
  anomalous: boolean;
  /** Depth at the first sample of the fit and when it was taken. */
  from: { depth: number; at: number };
}

/** Backlog growth: a straight line through the recent depths, and when it reaches the threshold. */
export class BacklogTrend {
  private readonly points: Array<{ at: number; depth: number }> = [];
  private readonly horizonMs: number;
  private readonly size: number;

  constructor(private readonly options: TrendOptions) {
    this.horizonMs = options.horizonMs ?? 3_600_000;
    this.size = Math.max(2, options.samples ?? 10);
  }

  add(at: number, depth: number): TrendReading {
    this.points.push({ at, depth });
    if (this.points.length > this.size) this.points.shift();
    const n = this.points.length;
    const meanT = this.points.reduce((s, p) => s + p.at, 0) / n;
    const meanD = this.points.reduce((s, p) => s + p.depth, 0) / n;
    let num = 0;
    let den = 0;
    for (const p of this.points) {
      num += (p.at - meanT) * (p.depth - meanD);
      den += (p.at - meanT) ** 2;
    }
    const perMs = den > 0 ? num / den : 0;
    const threshold = this.options.threshold;
    const reading: TrendReading = { depth, perMinute: perMs * 60_000, threshold, anomalous: false, from: { depth: this.points[0].depth, at: this.points[0].at } };
    if (depth >= threshold) {
      reading.etaMs = 0;
      reading.anomalous = true;
    } else if (perMs > 0) {
      reading.etaMs = (threshold - depth) / perMs;
      reading.anomalous = n >= 3 && reading.etaMs <= this.horizonMs;
    }
    return reading;
  }
}

export type AlertKind = 'failure_rate' | 'dlq_inflow' | 'backlog_growth';

/** `msg.alert` of the ops-alert node. */
export interface Alert {
  kind: AlertKind;
  subject: string;
  state: 'open' | 'resolved';
  value: number;
  baseline: number;
  threshold: number;
  /** Epoch ms the condition was first seen (of this alert). */
  since: number;
  /** Epoch ms of this event (open or resolve). */
  at: number;
  explanation: string;
  /** backlog_growth: predicted ms until the threshold is crossed. */
  etaMs?: number;
}

export interface Condition {
  kind: AlertKind;
  subject: string;
  anomalous: boolean;
  /** False: no verdict this window (too little volume); an open alert stays open. */
  judged: boolean;
  value: number;
  baseline: number;
  threshold: number;
  explanation: string;
  etaMs?: number;
}

/**
 * Open and resolved alerts, one per kind and subject. An alert opens when its condition turns anomalous and
 * resolves when it no longer is; after a resolve the same alert stays quiet for the cool-down, so a flapping
 * signal does not page every window.
 */
export class AlertBook {
  private readonly open = new Map<string, Alert>();
  private readonly resolvedAt = new Map<string, number>();

  constructor(private readonly coolDownMs: number) {}

  update(condition: Condition, now: number): Alert | undefined {
    const id = `${condition.kind}\u0000${condition.subject}`;
    const current = this.open.get(id);
    if (!condition.judged) return undefined;
    if (condition.anomalous) {
      if (current) {
        Object.assign(current, { value: condition.value, explanation: condition.explanation, etaMs: condition.etaMs });
        return undefined;
      }
      const quietUntil = (this.resolvedAt.get(id) ?? -Infinity) + this.coolDownMs;
      if (now < quietUntil) return undefined;
      const alert: Alert = {
        kind: condition.kind,
        subject: condition.subject,
        state: 'open',
        value: condition.value,
        baseline: condition.baseline,
        threshold: condition.threshold,
        since: now,
        at: now,
        explanation: condition.explanation,
      };
      if (condition.etaMs !== undefined) alert.etaMs = condition.etaMs;
      this.open.set(id, alert);
      return { ...alert };
    }
    if (!current) return undefined;
    this.open.delete(id);
    this.resolvedAt.set(id, now);
    return { ...current, state: 'resolved', value: condition.value, at: now, explanation: `resolved: ${condition.explanation}` };
  }

  active(): Alert[] {
    return [...this.open.values()].map((a) => ({ ...a }));
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const minutes = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export function explainRate(subject: string, reading: Reading, failures: number, windowMs: number): string {
  return `${subject}: ${failures} of ${reading.volume} calls failed in the last ${minutes(windowMs)} (${pct(reading.value)}); its baseline is ${pct(reading.baseline)}, alert above ${pct(reading.threshold)} (z ${reading.z.toFixed(1)})`;
}

export function explainCount(subject: string, reading: Reading, windowMs: number): string {
  return `${subject}: ${reading.value} dead letters parked in the last ${minutes(windowMs)}; its baseline is ${reading.baseline.toFixed(1)}, alert above ${reading.threshold.toFixed(1)} (z ${reading.z.toFixed(1)})`;
}

export function explainTrend(subject: string, reading: TrendReading, now: number): string {
  const growth = `${subject}: ${reading.depth} dead letters, ${reading.perMinute >= 0 ? 'growing' : 'shrinking'} ${Math.abs(reading.perMinute).toFixed(1)}/min (from ${reading.from.depth} ${minutes(now - reading.from.at)} ago)`;
  if (reading.etaMs === 0) return `${growth}; at or over the threshold of ${reading.threshold}`;
  if (reading.etaMs !== undefined) return `${growth}; at this rate ${reading.threshold} is reached in ${minutes(reading.etaMs)}`;
  return `${growth}; not growing towards ${reading.threshold}`;
}
