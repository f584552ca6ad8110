/** Between Node-RED messages and bus events: what a publish takes from a message, what a delivery puts in one. */
import { parseTraceparent } from '../trace/context';
import { reviveMessage, toJsonSafe } from '../retry/serialize';
import type { BusEvent, EventHeaders, PublishRequest } from './types';

/** `msg.event`: which event this is and how often it was delivered; `receipt` lets event ack find it. */
export interface EventInfo {
  id: string;
  topic: string;
  key?: string;
  group: string;
  deliveryCount: number;
  publishedAt: number;
  receipt: string;
}

type Msg = Record<string, unknown>;

/** Correlation id and traceparent of the message (as the correlation tracer sets them). */
export function headersOf(msg: Msg): EventHeaders {
  const headers: EventHeaders = {};
  if (typeof msg.correlationId === 'string' && msg.correlationId !== '') headers.correlationId = msg.correlationId;
  const trace = msg.trace as { traceparent?: unknown } | undefined;
  if (trace && typeof trace === 'object' && typeof trace.traceparent === 'string') headers.traceparent = trace.traceparent;
  return headers;
}

/** Buffers travel as tagged base64 (revived on delivery); functions, sockets and class instances in the payload are dropped. */
export function publishRequest(msg: Msg, topic: string, key: string | undefined): PublishRequest {
  const req: PublishRequest = { topic, payload: toJsonSafe({ payload: msg.payload }).value.payload, headers: headersOf(msg) };
  if (key !== undefined) req.key = key;
  return req;
}

/** The message a subscriber sends for one delivery: payload, topic, `msg.event`, correlation id and trace. */
export function deliveryMessage(event: BusEvent, info: EventInfo): Msg {
  const msg: Msg = {
    topic: event.topic,
    payload: reviveMessage({ payload: event.payload }).payload,
    event: info,
  };
  if (event.headers.correlationId) msg.correlationId = event.headers.correlationId;
  const parsed = parseTraceparent(event.headers.traceparent);
  // The publisher's trace context as the correlation tracer reads it: a tracer after the subscriber continues it.
  if (parsed.ok) {
    msg.trace = {
      traceId: parsed.context.traceId,
      spanId: parsed.context.spanId,
      traceparent: event.headers.traceparent,
      sampled: parsed.context.sampled,
    };
  }
  return msg;
}
