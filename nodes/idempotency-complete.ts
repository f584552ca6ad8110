import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareError, toMiddlewareError, ValidationError } from './lib/errors';
import { completeIdempotency, readHeldLease, releaseIdempotency } from './lib/idempotency';
import { cleared, failed, idle, ok } from './lib/status';
import type { MiddlewareStore, StoreProvider } from './lib/store/types';

interface IdempotencyCompleteDef extends NodeDef {
  store: string;
  mode: 'success' | 'failure';
  ttlSeconds: string | number;
}

const DEFAULT_TTL_SECONDS = 86_400;
const STATUS_INTERVAL_MS = 500;

function ttlMs(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_TTL_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ValidationError(`idempotency-complete: property ttlSeconds must be a number of seconds > 0, got ${JSON.stringify(value)}`, { property: 'ttlSeconds' });
  }
  return Math.round(seconds * 1000);
}

export = (RED: NodeAPI): void => {
  function IdempotencyComplete(this: Node, def: IdempotencyCompleteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const success = def.mode !== 'failure';
    let store: MiddlewareStore | undefined;
    let ttl = DEFAULT_TTL_SECONDS * 1000;
    let setupError: MiddlewareError | undefined;

    try {
      const provider = RED.nodes.getNode(def.store) as (Node & Partial<StoreProvider>) | null;
      if (!provider || typeof provider.getStore !== 'function') {
        throw new ValidationError('idempotency-complete: property store must name a middleware-store config node', { property: 'store' });
      }
      ttl = ttlMs(def.ttlSeconds);
      store = provider.getStore();
      node.status(idle(success ? 'complete' : 'release'));
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(failed('configuration'));
      node.error(setupError);
    }

    let handled = 0;
    let statusTimer: NodeJS.Timeout | undefined;
    const showCount = (): void => {
      if (statusTimer) return;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        node.status(ok(`${handled} ${success ? 'completed' : 'released'}`));
      }, STATUS_INTERVAL_MS);
    };

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
          showCount();
          send(msg);
          done();
        },
        (err: unknown) => {
          const error = toMiddlewareError(err);
          if (statusTimer) clearTimeout(statusTimer);
          statusTimer = undefined;
          node.status(failed(error.kind === 'store_unavailable' ? 'store unavailable' : error.kind === 'lease_lost' ? 'lease lost' : error.kind));
          done(error);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = undefined;
      node.status(cleared());
      done();
    });
  }

  RED.nodes.registerType('idempotency-complete', IdempotencyComplete);
};
