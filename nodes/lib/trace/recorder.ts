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

/**
 * A fixed-capacity ring of hop spans stored column-wise: opening and closing a hop writes into preallocated
 * columns and allocates nothing, so tracing does not feed the garbage collector on the message path. Span
 * objects are built only when read (admin endpoint, export).
 */
export class SpanRing {
  private next = 0;
  private count = 0;
  private readonly spanIds: HopSpanIds;
  private readonly correlationId: Array<string | undefined>;
  private readonly traceId: Array<string | undefined>;
  private readonly parentSpanId: Array<string | undefined>;
  private readonly node: Array<HopNodeInfo | undefined>;
  private readonly messageId: Array<string | undefined>;
  private readonly error: Array<string | undefined>;
  private readonly spanSeq: Float64Array;
  private readonly start: Float64Array;
  /** NaN while the hop is open. */
  private readonly end: Float64Array;
  private readonly sampled: Uint8Array;

  constructor(readonly capacity: number, ids: IdGenerator = new IdGenerator()) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.spanIds = new HopSpanIds(ids);
    const column = (): Array<string | undefined> => new Array<string | undefined>(capacity).fill(undefined);
    this.correlationId = column();
    this.traceId = column();
    this.parentSpanId = column();
    this.node = new Array<HopNodeInfo | undefined>(capacity).fill(undefined);
    this.messageId = column();
    this.error = column();
    this.spanSeq = new Float64Array(capacity);
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
    this.sampled = new Uint8Array(capacity);
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
    if (this.count === this.capacity && onEvict && Number.isNaN(this.end[slot])) {
      const evictedMessage = this.messageId[slot];
      if (evictedMessage !== undefined) onEvict((this.node[slot] as HopNodeInfo).nodeId, evictedMessage, slot);
    }
    this.correlationId[slot] = correlationId;
    this.traceId[slot] = traceId;
    this.parentSpanId[slot] = parentSpanId;
    this.node[slot] = node;
    this.messageId[slot] = messageId;
    this.error[slot] = undefined;
    this.spanSeq[slot] = this.spanIds.nextSeq();
    this.start[slot] = start;
    this.end[slot] = NaN;
    this.sampled[slot] = sampled ? 1 : 0;
    this.next = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    return slot;
  }

  close(slot: number, end: number, error?: string): void {
    this.end[slot] = end;
    if (error !== undefined) this.error[slot] = error;
  }

  span(slot: number): HopSpan {
    const end = this.end[slot];
    const node = this.node[slot] as HopNodeInfo;
    const span: HopSpan = {
      correlationId: this.correlationId[slot] as string,
      spanId: this.spanIds.format(this.spanSeq[slot]),
      sampled: this.sampled[slot] === 1,
      nodeId: node.nodeId,
      nodeType: node.nodeType,
      start: this.start[slot],
    };
    if (this.traceId[slot] !== undefined) span.traceId = this.traceId[slot];
    if (this.parentSpanId[slot] !== undefined) span.parentSpanId = this.parentSpanId[slot];
    if (node.nodeName !== undefined) span.nodeName = node.nodeName;
    if (node.flowId !== undefined) span.flowId = node.flowId;
    if (this.messageId[slot] !== undefined) span.messageId = this.messageId[slot];
    if (!Number.isNaN(end)) {
      span.end = end;
      span.durationMs = end - span.start;
    }
    if (this.error[slot] !== undefined) span.error = this.error[slot];
    return span;
  }

  private slots(): number[] {
    const first = (this.next - this.count + this.capacity) % this.capacity;
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push((first + i) % this.capacity);
    return out;
  }

  /** Oldest first. */
  all(): HopSpan[] {
    return this.slots().map((slot) => this.span(slot));
  }

  /** The hop timeline of one correlation id, ordered by start. */
  byCorrelation(correlationId: string): HopSpan[] {
    return this.slots()
      .filter((slot) => this.correlationId[slot] === correlationId)
      .map((slot) => this.span(slot))
      .sort((a, b) => a.start - b.start);
  }

  /** The most recently started correlation ids, newest first. */
  /** The latest traces, newest first; each names the node and flow of its first hop (the endpoint it came in by). */
  recent(limit: number): Array<{ correlationId: string; traceId?: string; start: number; hops: number; errors: number; nodeId?: string; flowId?: string }> {
    type Entry = { correlationId: string; traceId?: string; start: number; hops: number; errors: number; first: number };
    const seen = new Map<string, Entry>();
    for (const slot of this.slots()) {
      const id = this.correlationId[slot] as string;
      const failed = this.error[slot] !== undefined ? 1 : 0;
      const entry = seen.get(id);
      if (entry) {
        entry.hops++;
        entry.errors += failed;
        if (this.start[slot] < entry.start) {
          entry.start = this.start[slot];
          entry.first = slot;
        }
      } else {
        seen.set(id, { correlationId: id, traceId: this.traceId[slot], start: this.start[slot], hops: 1, errors: failed, first: slot });
      }
    }
    return [...seen.values()]
      .sort((a, b) => b.start - a.start)
      .slice(0, limit)
      .map(({ first, ...trace }) => {
        const node = this.node[first] as HopNodeInfo | undefined;
        return { ...trace, nodeId: node?.nodeId, flowId: node?.flowId };
      });
  }

  clear(): void {
    for (const column of [this.correlationId, this.traceId, this.parentSpanId, this.messageId, this.error]) column.fill(undefined);
    this.node.fill(undefined);
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
  /**
   * Open hops: node id -> message id -> ring slot. Plain maps, not a WeakMap keyed by the message object, whose
   * ephemerons weigh on every garbage collection. Bounded: a hop still open when the ring overwrites it is
   * forgotten here too.
   */
  private readonly open = new Map<string, Map<string, number>>();
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
    if (forNode?.get(messageId) === slot) forNode.delete(messageId);
  };

  constructor(private readonly options: HopTracerOptions) {}

  receive(event: ReceiveEvent): void {
    const msg = event.msg as TracedMessage | null;
    // The common untraced case costs two property reads.
    if (!msg || (msg.correlationId === undefined && msg.trace === undefined)) return;
    const trace = msg.trace && typeof msg.trace === 'object' ? msg.trace : undefined;
    // Ids are validated where they leave the process (export), not on every hop.
    const traceId = typeof trace?.traceId === 'string' ? trace.traceId : undefined;
    const correlationId = typeof msg.correlationId === 'string' ? msg.correlationId : traceId;
    if (correlationId === undefined) return;
    const nodeId = event.destination.id;
    const messageId = typeof msg._msgid === 'string' ? msg._msgid : undefined;
    const slot = this.options.ring.open(
      correlationId,
      traceId,
      typeof trace?.spanId === 'string' ? trace.spanId : undefined,
      trace?.sampled !== false,
      this.nodeInfo(nodeId, event.destination.node),
      messageId,
      this.options.clock(),
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
      if (typeof msg._msgid !== 'string') return;
      const forNode = this.open.get(nodeId);
      slot = forNode?.get(msg._msgid);
      if (!forNode || slot === undefined) return;
      forNode.delete(msg._msgid);
    }
    const failed = event.error !== undefined && event.error !== null;
    this.options.ring.close(slot, this.options.clock(), failed ? errorText(event.error) : undefined);
    if (this.options.onEnd) this.options.onEnd(this.options.ring.span(slot));
  }

  /** Hops received and not completed yet (a node that never calls done keeps its hop open until overwritten). */
  get openCount(): number {
    let count = this.lastMessage !== undefined ? 1 : 0;
    for (const forNode of this.open.values()) count += forNode.size;
    return count;
  }

  private remember(nodeId: string, messageId: string, slot: number): void {
    let forNode = this.open.get(nodeId);
    if (!forNode) {
      forNode = new Map();
      this.open.set(nodeId, forNode);
    }
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
