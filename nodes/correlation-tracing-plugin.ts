/**
 * Node-RED plugin (type "odoo-middleware-tracing"): records one span per node hop of messages that carry
 * `msg.correlationId` / `msg.trace`, serves them at GET /odoo-middleware/traces/:correlationId, and exports them
 * over OTLP when `odooMiddleware.tracing.otlpEndpoint` or OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import type { NodeAPI } from 'node-red';
import { installTracing, TracingHost, TracingRuntime } from './lib/trace/runtime';

export = (RED: NodeAPI): void => {
  let runtime: TracingRuntime | undefined;
  // The registry calls onremove when the module is removed; the typings only declare onadd.
  const definition: { type: string; onadd: () => void; onremove: () => void } = {
    type: 'odoo-middleware-tracing',
    onadd: () => {
      // The Node-RED typings do not declare RED.hooks nor settings added by the user; the shape is checked by TracingHost.
      runtime = installTracing(RED as unknown as TracingHost);
    },
    onremove: () => {
      runtime?.close().catch((err: unknown) => RED.log.warn(`odoo-middleware tracing: ${String(err)}`));
      runtime = undefined;
    },
  };
  RED.plugins.registerPlugin('odoo-middleware-tracing', definition);
};
