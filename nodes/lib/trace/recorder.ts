/**
 * One span per node hop for traced messages, kept in a bounded ring buffer. Fed by the Node-RED message hooks
 * (`onReceive` opens a hop, `onComplete` closes it), but typed structurally so tests drive it with plain objects.
 */
import { IdGenerator, isValidSpanId, isValidTraceId } from './context';

export interface HopSpan {
  correlationId: string;
  /** W3C trace id of the message; absent when the message has a correlation id but no usable `msg.trace`. */
  traceId?: string;
  spanId: string;
  parentSpanId?: string;
  sampled: boolean;
  nodeId: string;
  nodeType: string;
  nodeName?: string;
  flowId?: string;
  /** Epoch milliseconds with sub-millisecond precision. */
  start: number;
  end?: number;
  durationMs?: number;
  error?: string;
}

/** The node as a hook event carries it (a Node-RED Node instance). */
export interface HookNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export interface ReceiveEvent {
  msg: unknown;
  destination: { id: string; node?: HookNode };
}

export interface CompleteEvent {
  msg: unknown;
  node: { id: string; node?: HookNode };
  error?: unknown;
}

interface TracedMessage {
  correlationId?: unknown;
  trace?: { traceId?: unknown; spanId?: unknown; sampled?: unknown } | null;
}

export class SpanRing {
  private readonly spans: Array<HopSpan | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.spans = new Array<HopSpan | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(span: HopSpan): void {
    this.spans[this.next] = span;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Oldest first. */
  all(): HopSpan[] {
    const out: HopSpan[] = [];
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.spans[(first + i) % this.capacity] as HopSpan);
    return out;
  }

  /** The hop timeline of one correlation id, ordered by start. */
  byCorrelation(correlationId: string): HopSpan[] {
    return this.all()
      .filter((s) => s.correlationId === correlationId)
      .sort((a, b) => a.start - b.start);
  }

  /** The most recently started correlation ids, newest first. */
  recent(limit: number): Array<{ correlationId: string; traceId?: string; start: number; hops: number; errors: number }> {
    const seen = new Map<string, { correlationId: string; traceId?: string; start: number; hops: number; errors: number }>();
    for (const span of this.all()) {
      const entry = seen.get(span.correlationId);
      if (entry) {
        entry.hops++;
        if (span.error) entry.errors++;
        entry.start = Math.min(entry.start, span.start);
      } else {
        seen.set(span.correlationId, { correlationId: span.correlationId, traceId: span.traceId, start: span.start, hops: 1, errors: span.error ? 1 : 0 });
      }
    }
    return [...seen.values()].sort((a, b) => b.start - a.start).slice(0, limit);
  }

  clear(): void {
    this.spans.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}

export interface HopTracerOptions {
  ring: SpanRing;
  ids: IdGenerator;
  /** Epoch milliseconds; sub-millisecond precision keeps hops of a fast flow in order. */
  clock: () => number;
  /** Called once per closed hop (the OTLP exporter hangs here). */
  onEnd?: (span: HopSpan) => void;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return String(error);
}

export class HopTracer {
  /** Open hops per message object; weak so a message a node never completes does not leak. */
  private readonly open = new WeakMap<object, HopSpan[]>();

  constructor(private readonly options: HopTracerOptions) {}

  receive(event: ReceiveEvent): void {
    const msg = event.msg as TracedMessage | null;
    // The common untraced case costs two property reads.
    if (!msg || (msg.correlationId === undefined && msg.trace === undefined)) return;
    const trace = msg.trace && typeof msg.trace === 'object' ? msg.trace : undefined;
    const traceId = isValidTraceId(trace?.traceId) ? trace?.traceId : undefined;
    const correlationId = typeof msg.correlationId === 'string' ? msg.correlationId : traceId;
    if (correlationId === undefined) return;
    const node = event.destination.node;
    const span: HopSpan = {
      correlationId,
      traceId,
      spanId: this.options.ids.spanId(),
      parentSpanId: isValidSpanId(trace?.spanId) ? trace?.spanId : undefined,
      sampled: trace?.sampled !== false,
      nodeId: event.destination.id,
      nodeType: node?.type ?? 'unknown',
      nodeName: node?.name || undefined,
      flowId: node?.z,
      start: this.options.clock(),
    };
    this.options.ring.push(span);
    const list = this.open.get(msg as object);
    if (list) list.push(span);
    else this.open.set(msg as object, [span]);
  }

  complete(event: CompleteEvent): void {
    const msg = event.msg;
    if (!msg || typeof msg !== 'object') return;
    const list = this.open.get(msg);
    if (!list) return;
    const index = list.findIndex((s) => s.nodeId === event.node.id);
    if (index < 0) return;
    const [span] = list.splice(index, 1);
    if (list.length === 0) this.open.delete(msg);
    span.end = this.options.clock();
    span.durationMs = span.end - span.start;
    if (event.error !== undefined && event.error !== null) span.error = errorText(event.error);
    this.options.onEnd?.(span);
  }
}
