import { fromTransportError, type CallTarget } from './classify';
import { READ_METHODS } from './policy';
import { TransportError, type HttpResponse, type HttpTransport } from './transport';
import type { CallOptions } from './types';

/** What both protocols need to put a request on the wire. */
export interface Wire {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  timeoutMs: number;
  /** Shorter timeout of read methods and the version probe; defaults to timeoutMs. */
  readTimeoutMs?: number;
  transport: HttpTransport;
  now: () => number;
}

export async function send(
  wire: Wire,
  request: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: unknown },
  target: CallTarget,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['Content-Type'] = 'application/json';
  }
  try {
    return await wire.transport.request({ method: request.method, url: wire.baseUrl + request.path, headers, body, timeoutMs: timeoutFor(wire, target.method) });
  } catch (err) {
    if (err instanceof TransportError) throw fromTransportError(err, { ...target, url: wire.baseUrl });
    throw err;
  }
}

const PROBE_METHODS = new Set(['version', 'common.version']);

function timeoutFor(wire: Wire, method: string | undefined): number {
  if (wire.readTimeoutMs === undefined || method === undefined) return wire.timeoutMs;
  return READ_METHODS.has(method) || PROBE_METHODS.has(method) ? Math.min(wire.readTimeoutMs, wire.timeoutMs) : wire.timeoutMs;
}

/** `X-Correlation-ID` and `traceparent` when the call carries them. */
export function traceHeaders(options: CallOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options?.correlationId) headers['X-Correlation-ID'] = options.correlationId;
  if (options?.traceparent) headers.traceparent = options.traceparent;
  return headers;
}

/**
 * The call's context: a `context` named argument, then CallOptions.context over it, then `correlation_id` so Odoo-side
 * code (and its logs) can see which message caused the call. Undefined when empty, so no `context` key is sent.
 */
export function mergeContext(argsContext: unknown, options: CallOptions | undefined): Record<string, unknown> | undefined {
  const merged: Record<string, unknown> = {
    ...(isPlainObject(argsContext) ? argsContext : {}),
    ...(options?.context ?? {}),
  };
  if (options?.correlationId) merged.correlation_id = options.correlationId;
  return Object.keys(merged).length > 0 ? merged : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
