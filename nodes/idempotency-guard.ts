import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { MiddlewareError, toMiddlewareError, ValidationError } from './lib/errors';
import {
  checkIdempotency,
  createKeyExtractor,
  fingerprint,
  NO_FINGERPRINT,
  type GuardOptions,
  type JsonataEvaluator,
  type KeyExtractor,
  type KeySource,
} from './lib/idempotency';
import { middlewareStoreOf } from './lib/runtime/middleware-store';
import { secondsSettingMs } from './lib/runtime/seconds';
import { throttledStatus } from './lib/runtime/throttled-status';
import { cleared, failed, idle, misconfigured } from './lib/status';
import type { MiddlewareStore } from './lib/store/types';
import { instruments } from './lib/ops/instruments';
import { installOps } from './lib/runtime/ops';

interface IdempotencyGuardDef extends NodeDef {
  store: string;
  namespace: string;
  key: string;
  keyType: 'msg' | 'jsonata' | 'header' | 'hash';
  leaseSeconds: string | number;
  compareFingerprint: boolean;
}

const DEFAULT_LEASE_SECONDS = 300;
/** Counters are redrawn at most this often so a busy flow does not flood the editor. */
const STATUS_INTERVAL_MS = 500;

function keySource(def: IdempotencyGuardDef): KeySource {
  const value = (def.key ?? '').trim();
  switch (def.keyType) {
    case 'jsonata':
      return { type: 'jsonata', expression: value };
    case 'header':
      return { type: 'header', name: value || 'Idempotency-Key' };
    case 'hash':
      return { type: 'hash', fields: value.split(',') };
    default:
      if (!value) throw new ValidationError('idempotency-guard: property key is empty; expected a message property such as payload.orderId', { property: 'key' });
      return { type: 'msg', path: value };
  }
}

export = (RED: NodeAPI): void => {
  installOps(RED);
  function IdempotencyGuard(this: Node, def: IdempotencyGuardDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let store: MiddlewareStore | undefined;
    let extractKey: KeyExtractor | undefined;
    let options: GuardOptions | undefined;
    let setupError: MiddlewareError | undefined;
    const compare = def.compareFingerprint !== false;

    try {
      const configured = middlewareStoreOf(RED, def.store, 'idempotency-guard');
      const namespace = (def.namespace ?? '').trim();
      if (!namespace) throw new ValidationError('idempotency-guard: property namespace is empty; expected a name such as "orders"', { property: 'namespace' });
      // Node-RED's JSONata adds $env, $flowContext and friends to the plain library.
      const compile = (expression: string): JsonataEvaluator => {
        const prepared = RED.util.prepareJSONataExpression(expression, node);
        return (msg) =>
          new Promise((resolve, reject) => {
            RED.util.evaluateJSONataExpression(prepared, msg as NodeMessage, (err, value: unknown) => (err ? reject(err) : resolve(value)));
          });
      };
      extractKey = createKeyExtractor(keySource(def), { compile });
      options = { namespace, leaseMs: secondsSettingMs(def.leaseSeconds, DEFAULT_LEASE_SECONDS, 'idempotency-guard', 'leaseSeconds'), now: Date.now, newToken: randomUUID, onDecision: (route) => instruments.guardDecisions.inc({ outcome: route }) };
      store = configured;
      node.status(idle('ready'));
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(misconfigured(setupError.cause));
      node.error(setupError);
    }

    const counts = { first: 0, duplicate: 0, conflict: 0 };
    const status = throttledStatus(node, STATUS_INTERVAL_MS, () => `${counts.first} new · ${counts.duplicate} dup · ${counts.conflict} conflict`);
    const showFailure = (err: MiddlewareError): void => {
      status.show(failed(err.kind === 'store_unavailable' ? 'store unavailable' : err.kind === 'validation' ? 'invalid key' : err.kind));
    };

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!store || !extractKey || !options) {
        done(setupError);
        return;
      }
      const activeStore = store;
      const activeOptions = options;
      const input = msg as unknown as Record<string, unknown>;
      extractKey(input)
        .then((key) => checkIdempotency(activeStore, activeOptions, key, compare ? fingerprint(msg.payload) : NO_FINGERPRINT))
        .then(
          (decision) => {
            (msg as NodeMessageInFlow & { idempotency?: unknown }).idempotency = decision.idempotency;
            counts[decision.route] += 1;
            status.update();
            if (decision.route === 'first') send([msg, null, null]);
            else if (decision.route === 'duplicate') send([null, msg, null]);
            else send([null, null, msg]);
            done();
          },
          (err: unknown) => {
            const error = toMiddlewareError(err);
            showFailure(error);
            done(error);
          },
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.show(cleared());
      done();
    });
  }

  RED.nodes.registerType('idempotency-guard', IdempotencyGuard);
};
