import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { DEFAULT_RESULT_TTL_SECONDS } from './lib/delivery';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import { completeIdempotency, readHeldLease, releaseIdempotency } from './lib/idempotency';
import { middlewareStoreOf } from './lib/runtime/middleware-store';
import { secondsSettingMs } from './lib/runtime/seconds';
import { throttledStatus } from './lib/runtime/throttled-status';
import { cleared, failed, idle, misconfigured } from './lib/status';
import type { MiddlewareStore } from './lib/store/types';

interface IdempotencyCompleteDef extends NodeDef {
  store: string;
  mode: 'success' | 'failure';
  ttlSeconds: string | number;
}

const STATUS_INTERVAL_MS = 500;

export = (RED: NodeAPI): void => {
  function IdempotencyComplete(this: Node, def: IdempotencyCompleteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const success = def.mode !== 'failure';
    let store: MiddlewareStore | undefined;
    let ttl = DEFAULT_RESULT_TTL_SECONDS * 1000;
    let setupError: MiddlewareError | undefined;

    try {
      const configured = middlewareStoreOf(RED, def.store, 'idempotency-complete');
      ttl = secondsSettingMs(def.ttlSeconds, DEFAULT_RESULT_TTL_SECONDS, 'idempotency-complete', 'ttlSeconds');
      store = configured;
      node.status(idle(success ? 'complete' : 'release'));
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(misconfigured(setupError.cause));
      node.error(setupError);
    }

    let handled = 0;
    const status = throttledStatus(node, STATUS_INTERVAL_MS, () => `${handled} ${success ? 'completed' : 'released'}`);

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!store) {
        done(setupError);
        return;
      }
      const activeStore = store;
      const carrier = msg as NodeMessageInFlow & { idempotency?: Record<string, unknown> };
      let work: Promise<Record<string, unknown>>;
      try {
        const lease = readHeldLease(carrier as unknown as Record<string, unknown>);
        work = success
          ? completeIdempotency(activeStore, lease, msg.payload, ttl, Date.now()).then((times) => ({ status: 'completed', ...times }))
          : releaseIdempotency(activeStore, lease).then(() => ({ status: 'released' }));
      } catch (err) {
        work = Promise.reject(err);
      }
      work.then(
        (update) => {
          carrier.idempotency = { ...carrier.idempotency, ...update };
          handled += 1;
          status.update();
          send(msg);
          done();
        },
        (err: unknown) => {
          const error = toMiddlewareError(err);
          status.show(failed(error.kind === 'store_unavailable' ? 'store unavailable' : error.kind === 'lease_lost' ? 'lease lost' : error.kind));
          done(error);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.show(cleared());
      done();
    });
  }

  RED.nodes.registerType('idempotency-complete', IdempotencyComplete);
};
