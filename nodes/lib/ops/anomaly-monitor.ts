/**
 * Feeds the anomaly signals from what the runtime already sees: every node completion (failed or not, from the
 * Node-RED message hooks), the duration of Odoo node calls per connection, the circuit state, and the dead-letter
 * stores. Once per window it judges each subject against its baseline and hands the conditions to listeners (the
 * ops-alert nodes, each with its own cool-down) and keeps an hour of per-connection figures for the sidebar.
 * Takes the runtime structurally (no Node-RED import) so tests drive it with plain objects and a fake clock.
 */
import type { MiddlewareStore } from '../store/types';
import { AlertBook, BacklogTrend, EwmaBaseline, explainCount, explainRate, explainTrend, type Alert, type BaselineOptions, type Condition } from './anomaly';

export interface AnomalySettings {
  /** Counts completions through the message hooks; default true. Off: no alerts, no sidebar charts, no hook cost. */
  enabled?: boolean;
  /** Length of a window in seconds; default 60. */
  windowSeconds?: number;
  /** z-score threshold of failure rates; default 3. */
  z?: number;
  /** Calls a window needs before its failure rate is judged; default 20. */
  minVolume?: number;
  /** Windows of baseline before anything is flagged; default 5. */
  warmupWindows?: number;
  /** Dead letters ('dead' status) that must not be reached; default 100. */
  backlogThreshold?: number;
  /** Alert when the backlog is predicted to reach its threshold within this many minutes; default 60. */
  backlogHorizonMinutes?: number;
  /** Cool-down of the alerts listed in the sidebar, in seconds; default 900. */
  coolDownSeconds?: number;
  /** Windows of per-connection figures kept; default 60 (an hour of one-minute windows). */
  historyWindows?: number;
}

export interface HookNode {
  id: string;
  type: string;
  name?: string;
}

export interface MonitorHost {
  hooks: { add(hookId: string, callback: (event: never) => void): void; remove(hookId: string): void };
  /** The odoo-connection a node uses (its `connection` setting), if any. */
  connectionOf(nodeId: string): { id: string; name: string } | undefined;
  circuitOf(connectionId: string): string | undefined;
  /** The stores dead letters are parked in. */
  stores(): MiddlewareStore[];
  clock?: () => number;
}

export interface ConnectionWindow {
  at: number;
  calls: number;
  errors: number;
  /** 95th percentile duration in ms of the window's Odoo node calls; undefined without calls. */
  p95Ms?: number;
  circuit?: string;
}

export interface MonitorSnapshot {
  windowMs: number;
  connections: Array<{ id: string; name: string; windows: ConnectionWindow[] }>;
  backlog?: { depth: number; perMinute: number; etaMs?: number; threshold: number };
  alerts: Alert[];
}

const HOOK_LABEL = 'odooMiddlewareAnomaly';
/** Durations kept per connection and window for the p95. */
const MAX_DURATIONS = 2000;
/** Odoo node calls waiting for their completion; more are not timed. */
const MAX_OPEN_CALLS = 10_000;

interface Tally {
  label: string;
  failures: number;
  total: number;
}

interface ReceiveEvent {
  msg: { _msgid?: unknown } | null;
  destination: { id: string; node?: HookNode };
}

interface CompleteEvent {
  msg: { _msgid?: unknown } | null;
  node: { id: string; node?: HookNode };
  error?: unknown;
}

export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export class AnomalyMonitor {
  readonly windowMs: number;
  private readonly clock: () => number;
  private readonly baselineOptions: BaselineOptions;
  private readonly nodeTallies = new Map<string, Tally>();
  private readonly connectionTallies = new Map<string, Tally & { durations: number[] }>();
  private readonly baselines = new Map<string, EwmaBaseline>();
  private readonly history = new Map<string, { name: string; windows: ConnectionWindow[] }>();
  private readonly openCalls = new Map<string, number>();
  private readonly inflow: EwmaBaseline;
  private readonly trend: BacklogTrend;
  private readonly book: AlertBook;
  private readonly listeners = new Set<(conditions: Condition[], now: number) => void>();
  private readonly historyWindows: number;
  private lastBacklog: MonitorSnapshot['backlog'];
  private windowStart: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly host: MonitorHost,
    settings: AnomalySettings = {},
  ) {
    this.clock = host.clock ?? Date.now;
    this.windowMs = Math.max(50, Math.round((settings.windowSeconds ?? 60) * 1000));
    this.baselineOptions = { z: settings.z, minVolume: settings.minVolume, warmupWindows: settings.warmupWindows };
    this.inflow = new EwmaBaseline('count', { warmupWindows: settings.warmupWindows });
    this.trend = new BacklogTrend({ threshold: settings.backlogThreshold ?? 100, horizonMs: (settings.backlogHorizonMinutes ?? 60) * 60_000 });
    this.book = new AlertBook((settings.coolDownSeconds ?? 900) * 1000);
    this.historyWindows = settings.historyWindows ?? 60;
    this.windowStart = this.clock();
  }

  private readonly onReceive = (event: ReceiveEvent): void => {
    const node = event.destination.node;
    if (!node || !node.type.startsWith('odoo-') || typeof event.msg?._msgid !== 'string') return;
    if (this.openCalls.size >= MAX_OPEN_CALLS) return;
    this.openCalls.set(`${node.id}\u0000${event.msg._msgid}`, this.clock());
  };

  private readonly onComplete = (event: CompleteEvent): void => {
    const failed = event.error !== undefined && event.error !== null;
    const node = event.node.node;
    const id = event.node.id;
    let tally = this.nodeTallies.get(id);
    if (!tally) {
      tally = { label: `node ${node?.name || (node ? `${node.type} ${id}` : id)}`, failures: 0, total: 0 };
      this.nodeTallies.set(id, tally);
    }
    tally.total += 1;
    if (failed) tally.failures += 1;
    if (!node || !node.type.startsWith('odoo-')) return;
    const connection = this.host.connectionOf(id);
    if (!connection) return;
    let perConnection = this.connectionTallies.get(connection.id);
    if (!perConnection) {
      perConnection = { label: `connection ${connection.name}`, failures: 0, total: 0, durations: [] };
      this.connectionTallies.set(connection.id, perConnection);
    }
    perConnection.label = `connection ${connection.name}`;
    perConnection.total += 1;
    if (failed) perConnection.failures += 1;
    const key = typeof event.msg?._msgid === 'string' ? `${id}\u0000${event.msg._msgid}` : undefined;
    const started = key !== undefined ? this.openCalls.get(key) : undefined;
    if (key !== undefined && started !== undefined) {
      this.openCalls.delete(key);
      if (perConnection.durations.length < MAX_DURATIONS) perConnection.durations.push(this.clock() - started);
    }
  };

  start(): void {
    if (this.timer) return;
    this.host.hooks.add(`onReceive.${HOOK_LABEL}`, this.onReceive as (event: never) => void);
    this.host.hooks.add(`onComplete.${HOOK_LABEL}`, this.onComplete as (event: never) => void);
    this.windowStart = this.clock();
    this.timer = setInterval(() => {
      this.tick().catch(() => undefined);
    }, this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.host.hooks.remove(`onReceive.${HOOK_LABEL}`);
    this.host.hooks.remove(`onComplete.${HOOK_LABEL}`);
  }

  /** Hears every window's conditions; returns the unsubscribe function. */
  subscribe(listener: (conditions: Condition[], now: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Closes the current window: judges every subject and tells the listeners. */
  async tick(): Promise<Condition[]> {
    if (this.ticking) return [];
    this.ticking = true;
    try {
      const now = this.clock();
      const since = this.windowStart;
      this.windowStart = now;
      const conditions: Condition[] = [];
      for (const [id, tally] of this.nodeTallies) conditions.push(this.judgeRate(`node:${id}`, tally));
      for (const [id, tally] of this.connectionTallies) {
        conditions.push(this.judgeRate(`connection:${id}`, tally));
        this.remember(id, tally, now);
      }
      this.nodeTallies.clear();
      this.connectionTallies.clear();
      conditions.push(...(await this.judgeDeadLetters(since, now)));
      for (const condition of conditions) this.book.update(condition, now);
      for (const listener of [...this.listeners]) {
        try {
          listener(conditions, now);
        } catch {
          // One listener's failure must not silence the others.
        }
      }
      return conditions;
    } finally {
      this.ticking = false;
    }
  }

  snapshot(): MonitorSnapshot {
    return {
      windowMs: this.windowMs,
      connections: [...this.history].map(([id, h]) => ({ id, name: h.name, windows: h.windows.slice() })),
      backlog: this.lastBacklog,
      alerts: this.book.active(),
    };
  }

  private judgeRate(key: string, tally: Tally): Condition {
    let baseline = this.baselines.get(key);
    if (!baseline) {
      baseline = new EwmaBaseline('rate', this.baselineOptions);
      this.baselines.set(key, baseline);
    }
    const reading = baseline.rate(tally.failures, tally.total);
    return {
      kind: 'failure_rate',
      subject: tally.label,
      anomalous: reading.anomalous,
      judged: reading.judged,
      value: reading.value,
      baseline: reading.baseline,
      threshold: reading.threshold,
      explanation: explainRate(tally.label, reading, tally.failures, this.windowMs),
    };
  }

  private remember(id: string, tally: Tally & { durations: number[] }, now: number): void {
    let h = this.history.get(id);
    if (!h) {
      h = { name: tally.label.replace(/^connection /, ''), windows: [] };
      this.history.set(id, h);
    }
    const window: ConnectionWindow = { at: now, calls: tally.total, errors: tally.failures, circuit: this.host.circuitOf(id) };
    const p95 = percentile(tally.durations, 95);
    if (p95 !== undefined) window.p95Ms = p95;
    h.windows.push(window);
    if (h.windows.length > this.historyWindows) h.windows.shift();
  }

  private async judgeDeadLetters(since: number, now: number): Promise<Condition[]> {
    const stores = this.host.stores();
    if (stores.length === 0) return [];
    let parked: number;
    let depth: number;
    try {
      const counts = await Promise.all(stores.map(async (s) => [await s.countDeadLetters({ since, until: now - 1 }), await s.countDeadLetters({ status: 'dead' })]));
      parked = counts.reduce((sum, c) => sum + c[0], 0);
      depth = counts.reduce((sum, c) => sum + c[1], 0);
    } catch {
      // A store that cannot answer gives no verdict this window.
      return [];
    }
    const subject = 'dead-letter queue';
    const inflow = this.inflow.count(parked);
    const trend = this.trend.add(now, depth);
    this.lastBacklog = { depth, perMinute: trend.perMinute, threshold: trend.threshold };
    if (trend.etaMs !== undefined) this.lastBacklog.etaMs = trend.etaMs;
    const backlog: Condition = {
      kind: 'backlog_growth',
      subject,
      anomalous: trend.anomalous,
      judged: true,
      value: depth,
      baseline: trend.from.depth,
      threshold: trend.threshold,
      explanation: explainTrend(subject, trend, now),
    };
    if (trend.etaMs !== undefined) backlog.etaMs = trend.etaMs;
    return [
      {
        kind: 'dlq_inflow',
        subject,
        anomalous: inflow.anomalous,
        judged: inflow.judged,
        value: inflow.value,
        baseline: inflow.baseline,
        threshold: inflow.threshold,
        explanation: explainCount(subject, inflow, this.windowMs),
      },
      backlog,
    ];
  }
}
