/**
 * Decides a message's correlation id and trace context from what it already carries, so the correlation-tracer
 * node stays wiring. Precedence: an existing `msg.correlationId`, then X-Correlation-ID, X-Request-ID, the
 * traceparent trace-id (from `msg.req.headers`, then `msg.headers`), else a new UUID.
 */
import {
  IdGenerator,
  TraceContext,
  childContext,
  formatTraceparent,
  isUsableCorrelationId,
  newCorrelationId,
  newRootContext,
  parseTraceparent,
} from './context';

/** What the tracer writes to `msg.trace`. */
export interface MessageTrace {
  traceId: string;
  spanId: string;
  /** The span this one continues (from an incoming traceparent or an earlier `msg.trace`). */
  parentSpanId?: string;
  traceparent: string;
  sampled: boolean;
}

export type CorrelationSource = 'message' | 'x-correlation-id' | 'x-request-id' | 'traceparent' | 'generated';

export interface Correlation {
  correlationId: string;
  correlationSource: CorrelationSource;
  trace: MessageTrace;
}

export interface CorrelationInput {
  correlationId?: unknown;
  trace?: unknown;
  req?: unknown;
  headers?: unknown;
}

type HeaderBag = Record<string, unknown>;

function headerBags(input: CorrelationInput): HeaderBag[] {
  const bags: HeaderBag[] = [];
  const req = input.req as { headers?: unknown } | undefined;
  if (req && typeof req === 'object' && req.headers && typeof req.headers === 'object') bags.push(req.headers as HeaderBag);
  if (input.headers && typeof input.headers === 'object') bags.push(input.headers as HeaderBag);
  return bags;
}

/** Case-insensitive header read; an array value (repeated header) yields its first element. */
export function readHeader(bag: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(bag)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = bag[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

function firstHeader(bags: HeaderBag[], name: string): string | undefined {
  for (const bag of bags) {
    const value = readHeader(bag, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function existingTrace(trace: unknown): TraceContext | undefined {
  if (!trace || typeof trace !== 'object') return undefined;
  const parsed = parseTraceparent((trace as { traceparent?: unknown }).traceparent);
  return parsed.ok ? parsed.context : undefined;
}

export function correlate(input: CorrelationInput, ids: IdGenerator): Correlation {
  const bags = headerBags(input);
  const incoming = parseTraceparent(firstHeader(bags, 'traceparent'));
  const parent = existingTrace(input.trace) ?? (incoming.ok ? incoming.context : undefined);

  let correlationId: string;
  let correlationSource: CorrelationSource;
  const xCorrelation = firstHeader(bags, 'x-correlation-id');
  const xRequest = firstHeader(bags, 'x-request-id');
  if (isUsableCorrelationId(input.correlationId)) {
    correlationId = input.correlationId;
    correlationSource = 'message';
  } else if (isUsableCorrelationId(xCorrelation)) {
    correlationId = xCorrelation;
    correlationSource = 'x-correlation-id';
  } else if (isUsableCorrelationId(xRequest)) {
    correlationId = xRequest;
    correlationSource = 'x-request-id';
  } else if (incoming.ok) {
    correlationId = incoming.context.traceId;
    correlationSource = 'traceparent';
  } else {
    correlationId = newCorrelationId();
    correlationSource = 'generated';
  }

  const context = parent ? childContext(parent, ids) : newRootContext(ids, correlationId);
  const trace: MessageTrace = {
    traceId: context.traceId,
    spanId: context.spanId,
    traceparent: formatTraceparent(context),
    sampled: context.sampled,
  };
  if (parent) trace.parentSpanId = parent.spanId;
  return { correlationId, correlationSource, trace };
}

/**
 * Copies the ids into outgoing headers for an http request node: sets X-Correlation-ID and traceparent, removing
 * other spellings of the same two names, and keeps every other header.
 */
export function withTraceHeaders(headers: unknown, correlationId: string, traceparent: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (headers && typeof headers === 'object') {
    for (const [key, value] of Object.entries(headers as HeaderBag)) {
      const lower = key.toLowerCase();
      if (lower !== 'x-correlation-id' && lower !== 'traceparent') out[key] = value;
    }
  }
  out['X-Correlation-ID'] = correlationId;
  out.traceparent = traceparent;
  return out;
}
