/**
 * Exports closed hop spans with the official OpenTelemetry SDK: BasicTracerProvider + BatchSpanProcessor +
 * OTLP/HTTP exporter. Each exported span keeps the hop's W3C trace id and span id, so what the sidebar shows and
 * what the collector stores are the same ids.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, IdGenerator } from '@opentelemetry/sdk-trace-base';
import { isValidSpanId, isValidTraceId } from './context';
import type { HopSpan } from './recorder';

export interface OtlpOptions {
  /** Collector base URL (e.g. http://127.0.0.1:4318) or the full traces URL ending in /v1/traces. */
  endpoint: string;
  serviceName?: string;
  headers?: Record<string, string>;
  /** BatchSpanProcessor delay between exports. */
  scheduledDelayMs?: number;
  /** Masks personal data in span names, attributes and error texts before they leave. */
  maskText?: (text: string) => string;
}

export interface HopExporter {
  export(span: HopSpan): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The SDK asks its id generator for ids during startSpan; this one hands out the ids of the hop being exported. */
class HopIdGenerator implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

export function createOtlpExporter(options: OtlpOptions): HopExporter {
  const ids = new HopIdGenerator();
  const exporter = new OTLPTraceExporter({ url: tracesUrl(options.endpoint), headers: options.headers });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'node-red' }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMs ?? 1000 })],
  });
  const tracer = provider.getTracer('node-red-contrib-odoo-middleware');
  const mask = options.maskText ?? ((text: string) => text);

  return {
    export(hop: HopSpan): void {
      if (!isValidTraceId(hop.traceId) || !hop.sampled || hop.end === undefined) return;
      ids.traceId = hop.traceId;
      ids.spanId = hop.spanId;
      const parent = isValidSpanId(hop.parentSpanId)
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId: hop.traceId, spanId: hop.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
        : ROOT_CONTEXT;
      const attributes: Record<string, string> = {
        'node_red.node.id': hop.nodeId,
        'node_red.node.type': hop.nodeType,
        'correlation.id': mask(hop.correlationId),
      };
      if (hop.nodeName) attributes['node_red.node.name'] = mask(hop.nodeName);
      if (hop.flowId) attributes['node_red.flow.id'] = hop.flowId;
      const span = tracer.startSpan(mask(hop.nodeName ?? hop.nodeType), { kind: SpanKind.INTERNAL, startTime: hop.start, attributes }, parent);
      if (hop.error) span.setStatus({ code: SpanStatusCode.ERROR, message: mask(hop.error) });
      span.end(hop.end);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
