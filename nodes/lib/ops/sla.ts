/**
 * Business SLAs by business key: an SLA is opened for a key (`order S1234`) and must be closed before its deadline.
 * Open SLAs live in the middleware store, so they survive restarts and are shared by every instance on it; a
 * breach is marked in the store first, so exactly one instance reports it.
 */
import { ValidationError } from '../errors';
import type { MiddlewareStore, SlaRecord } from '../store/types';

export const DEADLINE_UNITS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15` and `min` -> 900000 ms; a ValidationError naming the property otherwise. */
export function deadlineMs(value: unknown, unit: unknown): number {
  const factor = DEADLINE_UNITS[typeof unit === 'string' && unit !== '' ? unit : 'min'];
  if (factor === undefined) {
    throw new ValidationError(`sla: property deadlineUnit must be one of ${Object.keys(DEADLINE_UNITS).join(', ')}, got ${JSON.stringify(unit)}`, { property: 'deadlineUnit' });
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new ValidationError(`sla: property deadline must be a number greater than 0, got ${JSON.stringify(value)}`, { property: 'deadline' });
  }
  return Math.round(n * factor);
}

/** A business key from a message: a non-empty string or a finite number, as text. */
export function businessKey(value: unknown, node: string, where: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new ValidationError(`${node}: the business key (${where}) must be a non-empty string or a number, got ${value === undefined ? 'undefined' : JSON.stringify(value)}`, {
    property: 'key',
  });
}

/** The last node a traced message was seen in. */
export interface LastHop {
  nodeId: string;
  nodeType: string;
  nodeName?: string;
  flowId?: string;
  /** Epoch ms the hop started. */
  at: number;
  error?: string;
  /** `trace`: from the hop recorder; `opened`: only the sla-open node is known (the trace buffer no longer has it). */
  source: 'trace' | 'opened';
}

/** What a breach output carries in `msg.sla` (and `msg.payload`). */
export interface SlaBreach {
  sla: string;
  name: string;
  key: string;
  /** `<name> <key>`, e.g. `order S1234`. */
  businessKey: string;
  deadlineMs: number;
  openedAt: number;
  deadlineAt: number;
  breachedAt: number;
  ageMs: number;
  correlationId?: string;
  /** The sla-open node that opened it. */
  openedBy?: string;
  lastHop?: LastHop;
}

export interface SlaClosed {
  sla: string;
  name: string;
  key: string;
  businessKey: string;
  /** False when no SLA was open for the key (never opened, closed already, or opened on another store). */
  found: boolean;
  openedAt?: number;
  closedAt: number;
  ageMs?: number;
  deadlineMs: number;
  withinDeadline?: boolean;
  breached?: boolean;
}

export interface SlaOpened {
  sla: string;
  name: string;
  key: string;
  businessKey: string;
  /** False when the key was already open (a resend): the first deadline stands. */
  opened: boolean;
  openedAt: number;
  deadlineAt: number;
  deadlineMs: number;
}

export interface SlaMonitorOptions {
  /** The sla config node's id: the store namespace. */
  id: string;
  name: string;
  deadlineMs: number;
  store: MiddlewareStore;
  clock?: () => number;
  /** The latest hop of a correlation id in the trace recorder, if it still holds one. */
  lastHop?: (correlationId: string) => LastHop | undefined;
}

export interface SlaFigures {
  sla: string;
  name: string;
  deadlineMs: number;
  open: number;
  breachedOpen: number;
  /** Breaches this process reported since it started. */
  breachesReported: number;
  items: Array<SlaRecord & { ageMs: number; breached: boolean }>;
}

export class SlaMonitor {
  private readonly clock: () => number;
  private breachesReported = 0;

  constructor(private readonly options: SlaMonitorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get id(): string {
    return this.options.id;
  }

  get name(): string {
    return this.options.name;
  }

  get deadlineMs(): number {
    return this.options.deadlineMs;
  }

  businessKey(key: string): string {
    return this.options.name ? `${this.options.name} ${key}` : key;
  }

  async open(key: string, origin: { correlationId?: string; nodeId?: string; flowId?: string }): Promise<SlaOpened> {
    const now = this.clock();
    const record: SlaRecord = { sla: this.options.id, key, openedAt: now, deadlineAt: now + this.options.deadlineMs };
    if (origin.correlationId !== undefined) record.correlationId = origin.correlationId;
    if (origin.nodeId !== undefined) record.nodeId = origin.nodeId;
    if (origin.flowId !== undefined) record.flowId = origin.flowId;
    const result = await this.options.store.openSla(record);
    return {
      sla: this.options.id,
      name: this.options.name,
      key,
      businessKey: this.businessKey(key),
      opened: result.opened,
      openedAt: result.record.openedAt,
      deadlineAt: result.record.deadlineAt,
      deadlineMs: this.options.deadlineMs,
    };
  }

  async close(key: string): Promise<SlaClosed> {
    const now = this.clock();
    const record = await this.options.store.closeSla(this.options.id, key);
    const base = { sla: this.options.id, name: this.options.name, key, businessKey: this.businessKey(key), closedAt: now, deadlineMs: this.options.deadlineMs };
    if (!record) return { ...base, found: false };
    return {
      ...base,
      found: true,
      openedAt: record.openedAt,
      ageMs: now - record.openedAt,
      withinDeadline: now <= record.deadlineAt,
      breached: record.breachedAt !== undefined || now > record.deadlineAt,
    };
  }

  /** Marks every SLA past its deadline breached; returns those this caller reported (another instance may take some). */
  async scan(): Promise<SlaBreach[]> {
    const now = this.clock();
    const due = (await this.options.store.listSlas(this.options.id)).filter((r) => r.breachedAt === undefined && r.deadlineAt < now);
    const breaches: SlaBreach[] = [];
    for (const record of due) {
      if (!(await this.options.store.markSlaBreached(this.options.id, record.key, now))) continue;
      this.breachesReported += 1;
      breaches.push(this.breach(record, now));
    }
    return breaches;
  }

  async figures(): Promise<SlaFigures> {
    const now = this.clock();
    const items = (await this.options.store.listSlas(this.options.id)).map((r) => ({ ...r, ageMs: now - r.openedAt, breached: r.breachedAt !== undefined || r.deadlineAt < now }));
    return {
      sla: this.options.id,
      name: this.options.name,
      deadlineMs: this.options.deadlineMs,
      open: items.length,
      breachedOpen: items.filter((i) => i.breached).length,
      breachesReported: this.breachesReported,
      items,
    };
  }

  private breach(record: SlaRecord, now: number): SlaBreach {
    const breach: SlaBreach = {
      sla: this.options.id,
      name: this.options.name,
      key: record.key,
      businessKey: this.businessKey(record.key),
      deadlineMs: this.options.deadlineMs,
      openedAt: record.openedAt,
      deadlineAt: record.deadlineAt,
      breachedAt: now,
      ageMs: now - record.openedAt,
    };
    if (record.correlationId !== undefined) breach.correlationId = record.correlationId;
    if (record.nodeId !== undefined) breach.openedBy = record.nodeId;
    const traced = record.correlationId !== undefined ? this.options.lastHop?.(record.correlationId) : undefined;
    if (traced) breach.lastHop = traced;
    else if (record.nodeId !== undefined) breach.lastHop = { nodeId: record.nodeId, nodeType: 'sla-open', flowId: record.flowId, at: record.openedAt, source: 'opened' };
    return breach;
  }
}

/** Every deployed sla config node of the process, for the admin endpoint, the sidebar and the metrics. */
export class SlaRegistry {
  private readonly monitors = new Map<string, SlaMonitor>();

  register(monitor: SlaMonitor): void {
    this.monitors.set(monitor.id, monitor);
  }

  /** Only the registration given is removed, so a redeployed node that registered first is kept. */
  unregister(monitor: SlaMonitor): void {
    if (this.monitors.get(monitor.id) === monitor) this.monitors.delete(monitor.id);
  }

  all(): SlaMonitor[] {
    return [...this.monitors.values()];
  }

  /** Open and breached SLAs of every monitor; a store that fails is reported with its error instead of its items. */
  async figures(): Promise<Array<SlaFigures | { sla: string; name: string; error: string }>> {
    return Promise.all(
      this.all().map((m) =>
        m.figures().catch((err: unknown) => ({ sla: m.id, name: m.name, error: err instanceof Error ? err.message : String(err) })),
      ),
    );
  }
}

export const slaRegistry = new SlaRegistry();

/** One SLA's figures as metrics read them: `sla_open{sla}` (a gauge) and `sla_breaches_total{sla}` (a counter). */
export interface SlaMetricReading {
  /** The SLA's name: a bounded label (one per sla config node), never a business key. */
  sla: string;
  open: number;
  /** Breaches this process reported since it started. */
  breachesTotal: number;
}

/** The readings of every deployed SLA; an SLA whose store cannot answer is left out rather than reported as 0. */
export async function slaMetricReadings(registry: SlaRegistry = slaRegistry): Promise<SlaMetricReading[]> {
  const figures = await registry.figures();
  return figures.flatMap((f) => ('open' in f ? [{ sla: f.name, open: f.open, breachesTotal: f.breachesReported }] : []));
}
