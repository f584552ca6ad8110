import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { IdGenerator } from './lib/trace/context';
import { correlate, withTraceHeaders } from './lib/trace/correlate';

interface CorrelationTracerDef extends NodeDef {
  setHeaders: boolean;
}

type TracedMessage = NodeMessageInFlow & { correlationId?: unknown; trace?: unknown; req?: unknown; headers?: unknown };

export = (RED: NodeAPI): void => {
  const ids = new IdGenerator();

  function CorrelationTracer(this: Node, def: CorrelationTracerDef) {
    RED.nodes.createNode(this, def);
    const setHeaders = def.setHeaders === true;

    this.on('input', (msg: TracedMessage, send, done) => {
      try {
        const result = correlate(msg, ids);
        msg.correlationId = result.correlationId;
        msg.trace = result.trace;
        if (setHeaders) msg.headers = withTraceHeaders(msg.headers, result.correlationId, result.trace.traceparent);
        send(msg);
        done();
      } catch (err: unknown) {
        done(toMiddlewareError(err));
      }
    });
  }

  RED.nodes.registerType('correlation-tracer', CorrelationTracer);
};
