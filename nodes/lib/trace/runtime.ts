/**
 * The runtime half of tracing: registers the message hooks, keeps the span ring buffer, serves the admin
 * endpoints and, when an OTLP endpoint is configured, exports closed hops. Takes the Node-RED API structurally
 * (hooks, httpAdmin, auth, settings, log) so tests and benchmarks can hand in a runtime of their own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { IdGenerator } from './context';
import { createOtlpExporter, HopExporter } from './otlp';
import { maskerFrom, type MaskingSettings } from '../ops/masking';
import { CompleteEvent, HopTracer, ReceiveEvent, SpanRing } from './recorder';

export const HOOK_LABEL = 'odooMiddlewareTrace';
export const TRACES_PATH = '/odoo-middleware/traces';
export const READ_PERMISSION = 'correlation-tracer.read';
export const DEFAULT_BUFFER_SIZE = 10_000;

export interface TracingSettings {
  /** Records hops of traced messages; default true. */
  enabled?: boolean;
  /** Ring buffer capacity in spans; default 10,000. */
  bufferSize?: number;
  /** OTLP/HTTP collector; falls back to env OTEL_EXPORTER_OTLP_ENDPOINT. Export is off when neither is set. */
  otlpEndpoint?: string;
  serviceName?: string;
}

type Handler = (req: IncomingMessage & { params?: Record<string, string>; query?: Record<string, unknown> }, res: ServerResponse & { json?: (body: unknown) => void; status?: (code: number) => unknown }, next: () => void) => void;

type RouterStack = { stack: Array<{ route?: { path?: string } }> };

export interface TracingHost {
  hooks: { add(hookId: string, callback: (event: never) => void): void; remove(hookId: string): void };
  httpAdmin?: { get(path: string, ...handlers: Handler[]): unknown; _router?: RouterStack; router?: RouterStack };
  auth?: { needsPermission(permission: string): Handler };
  settings?: { odooMiddleware?: { tracing?: TracingSettings; masking?: MaskingSettings | boolean } };
  log?: { info(message: string): void; warn(message: string): void };
}

export interface TracingRuntime {
  readonly ring: SpanRing;
  readonly exporting: boolean;
  readonly enabled: boolean;
  enable(): void;
  disable(): void;
  /** Waits until every closed hop has been handed to the collector. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const timeOrigin = performance.timeOrigin;

export function epochNow(): number {
  return timeOrigin + performance.now();
}

function sendJson(res: Parameters<Handler>[1], status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

let active: TracingRuntime | undefined;

/** The tracing runtime of this process, for parts that report where a traced message was last seen (SLA breaches). */
export function activeTracing(): TracingRuntime | undefined {
  return active;
}

export function installTracing(host: TracingHost, env: NodeJS.ProcessEnv = process.env): TracingRuntime {
  const settings = host.settings?.odooMiddleware?.tracing ?? {};
  const masker = maskerFrom(host.settings?.odooMiddleware?.masking);
  const ring = new SpanRing(settings.bufferSize ?? DEFAULT_BUFFER_SIZE, new IdGenerator());
  const endpoint = settings.otlpEndpoint || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporter: HopExporter | undefined = endpoint
    ? createOtlpExporter({ endpoint, serviceName: settings.serviceName ?? env.OTEL_SERVICE_NAME, maskText: (text) => masker.maskText(text) })
    : undefined;
  const tracer = new HopTracer({ ring, clock: epochNow, onEnd: exporter ? (span) => exporter.export(span) : undefined });
  const onReceive = (event: ReceiveEvent): void => tracer.receive(event);
  const onComplete = (event: CompleteEvent): void => tracer.complete(event);
  let enabled = false;

  const runtime: TracingRuntime = {
    ring,
    exporting: exporter !== undefined,
    get enabled() {
      return enabled;
    },
    enable() {
      if (enabled) return;
      host.hooks.add(`onReceive.${HOOK_LABEL}`, onReceive as (event: never) => void);
      host.hooks.add(`onComplete.${HOOK_LABEL}`, onComplete as (event: never) => void);
      enabled = true;
    },
    disable() {
      if (!enabled) return;
      host.hooks.remove(`onReceive.${HOOK_LABEL}`);
      host.hooks.remove(`onComplete.${HOOK_LABEL}`);
      enabled = false;
    },
    flush: () => exporter?.flush() ?? Promise.resolve(),
    async close() {
      if (active === runtime) active = undefined;
      runtime.disable();
      removeRoutes();
      await exporter?.shutdown();
    },
  };

  const admin = host.httpAdmin;
  const guard: Handler = host.auth ? host.auth.needsPermission(READ_PERMISSION) : (_req, _res, next) => next();
  const listHandler: Handler = (req, res) => {
    const limit = Math.min(Math.max(Number(req.query?.limit) || 50, 1), 500);
    sendJson(res, 200, masker.maskValue({ enabled, exporting: runtime.exporting, capacity: ring.capacity, size: ring.size, traces: ring.recent(limit) }));
  };
  const oneHandler: Handler = (req, res) => {
    const correlationId = req.params?.correlationId ?? '';
    const spans = ring.byCorrelation(correlationId);
    if (spans.length === 0) {
      sendJson(res, 404, { error: { code: 'TRACE_NOT_FOUND', message: `No hops recorded for correlation id "${correlationId}" (the buffer keeps the last ${ring.capacity} spans)` } });
      return;
    }
    sendJson(res, 200, masker.maskValue({ correlationId, traceId: spans.find((s) => s.traceId)?.traceId, spans }));
  };
  admin?.get(TRACES_PATH, guard, listHandler);
  admin?.get(`${TRACES_PATH}/:correlationId`, guard, oneHandler);

  function removeRoutes(): void {
    // Express 4 keeps routes in `_router`, Express 5 in `router` (whose Express 4 getter throws, hence the order).
    const stack = admin ? (admin._router ?? admin.router)?.stack : undefined;
    if (!stack) return;
    for (let i = stack.length - 1; i >= 0; i--) {
      const path = stack[i].route?.path;
      if (path === TRACES_PATH || path === `${TRACES_PATH}/:correlationId`) stack.splice(i, 1);
    }
  }

  active = runtime;
  if (settings.enabled !== false) runtime.enable();
  host.log?.info(`odoo-middleware tracing ${enabled ? 'on' : 'off'}; OTLP export ${exporter ? `to ${endpoint}` : 'off'}`);
  return runtime;
}
