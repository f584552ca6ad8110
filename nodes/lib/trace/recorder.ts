/**
 * One span per node hop for traced messages, kept in a bounded ring buffer. Fed by the Node-RED message hooks
 * (`onReceive` opens a hop, `onComplete` closes it), but typed structurally so tests drive it with plain objects.
 */
import { IdGenerator } from './context';

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
  /** `msg._msgid` at this hop. */
  messageId?: string;
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
  _msgid?: unknown;
  correlationId?: unknown;
  trace?: { traceId?: unknown; spanId?: unknown; sampled?: unknown } | null;
}

/** What a hop records about its node; one shared object per node. */
export interface HopNodeInfo {
  nodeId: string;
  nodeType: string;
  nodeName: string | undefined;
  flowId: string | undefined;
}

/** A slot's numbers, side by side in one Float64Array: a hop touches one cache line, not one per column. */
const START = 0;
const END = 1;
const SEQ = 2;
const SAMPLED = 3;
const NUMBERS = 4;
/** A slot's references, side by side in one array. */
const CORRELATION = 0;
const TRACE = 1;
const PARENT = 2;
const NODE = 3;
const MESSAGE = 4;
const ERROR = 5;
const REFERENCES = 6;

/**
 * A fixed-capacity ring of hop spans stored slot by slot in two preallocated arrays (numbers and references):
 * opening and closing a hop writes into them and allocates nothing, so tracing does not feed the garbage collector
 * on the message path, and the few bytes a hop writes lie together. Span objects (span ids formatted, durations
 * computed) are built only when read (admin endpoint, export).
 */
export class SpanRing {
  private next = 0;
  private count = 0;
  private readonly spanIds: HopSpanIds;
  private readonly numbers: Float64Array;
  private readonly refs: Array<string | HopNodeInfo | undefined>;

  constructor(readonly capacity: number, ids: IdGenerator = new IdGenerator()) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.spanIds = new HopSpanIds(ids);
    this.numbers = new Float64Array(capacity * NUMBERS);
    this.refs = new Array<string | HopNodeInfo | undefined>(capacity * REFERENCES).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Opens a hop and returns its slot. `onEvict` hears about a still-open hop being overwritten, so whoever
   * tracks open hops can forget it. Positional arguments: this runs once per hop and allocates nothing.
   */
  open(
    correlationId: string,
    traceId: string | undefined,
    parentSpanId: string | undefined,
    sampled: boolean,
    node: HopNodeInfo,
    messageId: string | undefined,
    start: number,
    onEvict?: (nodeId: string, messageId: string, slot: number) => void,
  ): number {
    const slot = this.next;
    const n = slot * NUMBERS;
    const r = slot * REFERENCES;
    const numbers = this.numbers;
    const refs = this.refs;
    if (this.count === this.capacity && onEvict && Number.isNaN(numbers[n + END])) {
      const evictedMessage = refs[r + MESSAGE] as string | undefined;
      if (evictedMessage !== undefined) onEvict((refs[r + NODE] as HopNodeInfo).nodeId, evictedMessage, slot);
    }
    numbers[n + START] = start;
    numbers[n + END] = NaN;
    numbers[n + SEQ] = this.spanIds.nextSeq();
    numbers[n + SAMPLED] = sampled ? 1 : 0;
    refs[r + CORRELATION] = correlationId;
    refs[r + TRACE] = traceId;
    refs[r + PARENT] = parentSpanId;
    refs[r + NODE] = node;
    refs[r + MESSAGE] = messageId;
    refs[r + ERROR] = undefined;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.count < this.capacity) this.count++;
    return slot;
  }

  close(slot: number, end: number, error?: string): void {
    this.numbers[slot * NUMBERS + END] = end;
    if (error !== undefined) this.refs[slot * REFERENCES + ERROR] = error;
  }

  span(slot: number): HopSpan {
    const n = slot * NUMBERS;
    const r = slot * REFERENCES;
    const end = this.numbers[n + END];
    const node = this.refs[r + NODE] as HopNodeInfo;
    const span: HopSpan = {
      correlationId: this.refs[r + CORRELATION] as string,
      spanId: this.spanIds.format(this.numbers[n + SEQ]),
      sampled: this.numbers[n + SAMPLED] === 1,
      nodeId: node.nodeId,
      nodeType: node.nodeType,
      start: this.numbers[n + START],
    };
    const traceId = this.refs[r + TRACE] as string | undefined;
    const parentSpanId = this.refs[r + PARENT] as string | undefined;
    const messageId = this.refs[r + MESSAGE] as string | undefined;
    const error = this.refs[r + ERROR] as string | undefined;
    if (traceId !== undefined) span.traceId = traceId;
    if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
    if (node.nodeName !== undefined) span.nodeName = node.nodeName;
    if (node.flowId !== undefined) span.flowId = node.flowId;
    if (messageId !== undefined) span.messageId = messageId;
    if (!Number.isNaN(end)) {
      span.end = end;
      span.durationMs = end - span.start;
    }
    if (error !== undefined) span.error = error;
    return span;
  }

  private slots(): number[] {
    const first = (this.next - this.count + this.capacity) % this.capacity;
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push((first + i) % this.capacity);
    return out;
  }

  private correlationOf(slot: number): string {
    return this.refs[slot * REFERENCES + CORRELATION] as string;
  }

  private startOf(slot: number): number {
    return this.numbers[slot * NUMBERS + START];
  }

  /** Oldest first. */
  all(): HopSpan[] {
    return this.slots().map((slot) => this.span(slot));
  }

  /** The hop timeline of one correlation id, ordered by start. */
  byCorrelation(correlationId: string): HopSpan[] {
    return this.slots()
      .filter((slot) => this.correlationOf(slot) === correlationId)
      .map((slot) => this.span(slot))
      .sort((a, b) => a.start - b.start);
  }

  /** The latest traces, newest first; each names the node and flow of its first hop (the endpoint it came in by). */
  recent(limit: number): Array<{ correlationId: string; traceId?: string; start: number; hops: number; errors: number; nodeId?: string; flowId?: string }> {
    type Entry = { correlationId: string; traceId?: string; start: number; hops: number; errors: number; first: number };
    const seen = new Map<string, Entry>();
    for (const slot of this.slots()) {
      const id = this.correlationOf(slot);
      const failed = this.refs[slot * REFERENCES + ERROR] !== undefined ? 1 : 0;
      const start = this.startOf(slot);
      const entry = seen.get(id);
      if (entry) {
        entry.hops++;
        entry.errors += failed;
        if (start < entry.start) {
          entry.start = start;
          entry.first = slot;
        }
      } else {
        seen.set(id, { correlationId: id, traceId: this.refs[slot * REFERENCES + TRACE] as string | undefined, start, hops: 1, errors: failed, first: slot });
      }
    }
    return [...seen.values()]
      .sort((a, b) => b.start - a.start)
      .slice(0, limit)
      .map(({ first, ...trace }) => {
        const node = this.refs[first * REFERENCES + NODE] as HopNodeInfo | undefined;
        return { ...trace, nodeId: node?.nodeId, flowId: node?.flowId };
      });
  }

  clear(): void {
    this.refs.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}

export interface HopTracerOptions {
  ring: SpanRing;
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

/**
 * Span ids for hops: a random per-process prefix and a counter, unique without a crypto call per hop (a hop span
 * is opened for every node a traced message passes, so this sits on the message path). Formatted when read.
 */
export class HopSpanIds {
  private readonly prefix: string;
  private counter = 0;

  constructor(ids: IdGenerator) {
    this.prefix = ids.spanId().slice(0, 8);
  }

  nextSeq(): number {
    this.counter = (this.counter + 1) >>> 0;
    return this.counter;
  }

  format(seq: number): string {
    return this.prefix + seq.toString(16).padStart(8, '0');
  }
}

export class HopTracer {
  private readonly ring: SpanRing;
  private readonly clock: () => number;
  private readonly onEnd: ((span: HopSpan) => void) | undefined;
  /**
   * Open hops: node id -> message id -> ring slot. Plain maps, not a WeakMap keyed by the message object, whose
   * ephemerons weigh on every garbage collection. Bounded: a hop still open when the ring overwrites it is
   * forgotten here too.
   */
  private readonly open = new Map<string, Map<string, number>>();
  /** Hops in `open`. */
  private parked = 0;
  /**
   * The hop opened last, kept out of the maps until another opens: most nodes complete a message before the next
   * one arrives, so the common case never touches the maps.
   */
  private lastSlot = -1;
  private lastMessage: object | undefined;
  private lastMessageId = '';
  private lastNodeId = '';
  /**
   * Node details read once per node object rather than from differently shaped node objects on every hop; weak,
   * so the node objects of an old deploy can go.
   */
  private readonly nodes = new WeakMap<HookNode, HopNodeInfo>();
  private readonly forget = (nodeId: string, messageId: string, slot: number): void => {
    if (slot === this.lastSlot) {
      this.lastSlot = -1;
      this.lastMessage = undefined;
    }
    const forNode = this.open.get(nodeId);
    if (forNode?.get(messageId) === slot) {
      forNode.delete(messageId);
      this.parked--;
    }
  };

  constructor(options: HopTracerOptions) {
    this.ring = options.ring;
    this.clock = options.clock;
    this.onEnd = options.onEnd;
  }

  receive(event: ReceiveEvent): void {
    const msg = event.msg as TracedMessage | null;
    if (!msg) return;
    // Messages come in many shapes, so each property read here is a slow (megamorphic) lookup: read each once.
    const rawCorrelationId = msg.correlationId;
    const rawTrace = msg.trace;
    // The common untraced case costs two property reads.
    if (rawCorrelationId === undefined && rawTrace === undefined) return;
    const trace = rawTrace && typeof rawTrace === 'object' ? rawTrace : undefined;
    // Ids are validated where they leave the process (export), not on every hop.
    const traceId = typeof trace?.traceId === 'string' ? trace.traceId : undefined;
    const correlationId = typeof rawCorrelationId === 'string' ? rawCorrelationId : traceId;
    if (correlationId === undefined) return;
    const rawMessageId = msg._msgid;
    const messageId = typeof rawMessageId === 'string' ? rawMessageId : undefined;
    const destination = event.destination;
    const nodeId = destination.id;
    const slot = this.ring.open(
      correlationId,
      traceId,
      typeof trace?.spanId === 'string' ? trace.spanId : undefined,
      trace?.sampled !== false,
      this.nodeInfo(nodeId, destination.node),
      messageId,
      this.clock(),
      this.forget,
    );
    if (messageId === undefined) return;
    if (this.lastMessage !== undefined) this.remember(this.lastNodeId, this.lastMessageId, this.lastSlot);
    this.lastSlot = slot;
    this.lastMessage = msg;
    this.lastMessageId = messageId;
    this.lastNodeId = nodeId;
  }

  complete(event: CompleteEvent): void {
    const msg = event.msg as { _msgid?: unknown } | null;
    if (!msg) return;
    const nodeId = event.node.id;
    let slot: number | undefined;
    if (msg === this.lastMessage && nodeId === this.lastNodeId) {
      slot = this.lastSlot;
      this.lastMessage = undefined;
      this.lastSlot = -1;
    } else {
      // Untraced messages and synchronous nodes end here without a map lookup.
      if (this.parked === 0) return;
      const messageId = msg._msgid;
      if (typeof messageId !== 'string') return;
      const forNode = this.open.get(nodeId);
      slot = forNode?.get(messageId);
      if (!forNode || slot === undefined) return;
      forNode.delete(messageId);
      this.parked--;
    }
    const error = event.error;
    this.ring.close(slot, this.clock(), error !== undefined && error !== null ? errorText(error) : undefined);
    if (this.onEnd) this.onEnd(this.ring.span(slot));
  }

  /** Hops received and not completed yet (a node that never calls done keeps its hop open until overwritten). */
  get openCount(): number {
    return this.parked + (this.lastMessage !== undefined ? 1 : 0);
  }

  private remember(nodeId: string, messageId: string, slot: number): void {
    let forNode = this.open.get(nodeId);
    if (!forNode) {
      forNode = new Map();
      this.open.set(nodeId, forNode);
    }
    // A message received twice by the same node before completing (a loop) replaces its earlier hop.
    if (!forNode.has(messageId)) this.parked++;
    forNode.set(messageId, slot);
  }

  private nodeInfo(nodeId: string, node: HookNode | undefined): HopNodeInfo {
    if (node === undefined) return { nodeId, nodeType: 'unknown', nodeName: undefined, flowId: undefined };
    let info = this.nodes.get(node);
    if (info === undefined) {
      info = { nodeId, nodeType: node.type, nodeName: node.name || undefined, flowId: node.z };
      this.nodes.set(node, info);
    }
    return info;
  }
}
