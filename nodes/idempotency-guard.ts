import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import { DEFAULT_LEASE_SECONDS, keySourceFrom, namespaceFrom, type KeyType } from './lib/delivery';
import { checkIdempotency, createKeyExtractor, fingerprint, NO_FINGERPRINT, type GuardOptions, type KeyExtractor } from './lib/idempotency';
import { nodeRedJsonata } from './lib/runtime/jsonata-key';
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
  keyType: KeyType;
  leaseSeconds: string | number;
  compareFingerprint: boolean;
}

/** Counters are redrawn at most this often so a busy flow does not flood the editor. */
const STATUS_INTERVAL_MS = 500;

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
      const namespace = namespaceFrom(def.namespace, 'idempotency-guard', 'namespace');
      extractKey = createKeyExtractor(keySourceFrom(def.key, def.keyType, 'idempotency-guard', 'key'), { compile: nodeRedJsonata(RED, node) });
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
