import type { CallOptions } from '../odoo/types';

/** Extracts what a client call forwards for tracing: `msg.correlationId` and a W3C traceparent. */
export function callOptionsFrom(msg: Record<string, unknown>, context?: Record<string, unknown>): CallOptions {
  const options: CallOptions = {};
  if (context !== undefined) options.context = context;
  if (typeof msg.correlationId === 'string' && msg.correlationId !== '') options.correlationId = msg.correlationId;
  const traceparent = traceparentOf(msg);
  if (traceparent !== undefined) options.traceparent = traceparent;
  return options;
}

/** The correlation tracer's context (`msg.trace`) first: it continues the incoming trace with this flow's span. */
function traceparentOf(msg: Record<string, unknown>): string | undefined {
  const trace = msg.trace as { traceparent?: unknown } | undefined;
  if (trace && typeof trace.traceparent === 'string' && trace.traceparent !== '') return trace.traceparent;
  if (typeof msg.traceparent === 'string' && msg.traceparent !== '') return msg.traceparent;
  const headers = msg.headers as Record<string, unknown> | undefined;
  if (headers && typeof headers.traceparent === 'string') return headers.traceparent;
  const req = msg.req as { headers?: Record<string, unknown> } | undefined;
  if (req?.headers && typeof req.headers.traceparent === 'string') return req.headers.traceparent;
  return undefined;
}
