import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError, ValidationError } from './lib/errors';
import { replayRateFrom } from './lib/delivery';
import { cleared, failed, misconfigured } from './lib/status';
import type { MiddlewareStore } from './lib/store/types';
import { parseOverrideList, parsePolicy, RetryController } from './lib/retry';
import { realTimers } from './lib/dlq/replay-queue';
import { deadLetterRegistry, type ReplayTarget } from './lib/dlq/registry';
import { mountDeadLetterEndpoints } from './lib/runtime/dead-letter-endpoints';
import { instruments, nodeLabel } from './lib/ops/instruments';
import { installOps, settingsMasker } from './lib/runtime/ops';
import { deadLetterView } from './lib/ops/views';

interface MiddlewareRetryDef extends NodeDef {
  store: string;
  maxAttempts: string | number;
  baseDelayMs: string | number;
  maxDelayMs: string | number;
  multiplier: string | number;
  maxTotalMs: string | number;
  retryOn: string;
  deadLetterOn: string;
  unknownErrors: 'retry' | 'deadletter';
  replayRate: string | number;
}

interface StoreConfigNode extends Node {
  getStore(): MiddlewareStore;
}

export = (RED: NodeAPI): void => {
  installOps(RED);
  const masker = settingsMasker(RED);
  mountDeadLetterEndpoints(RED, deadLetterView(masker));

  function MiddlewareRetry(this: Node, def: MiddlewareRetryDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let controller: RetryController | undefined;
    let setupError: Error | undefined;
    let target: ReplayTarget | undefined;

    try {
      const config = RED.nodes.getNode(def.store) as StoreConfigNode | null;
      if (!config || typeof config.getStore !== 'function') {
        throw new ValidationError('middleware-retry: property store must name a middleware-store config node', { property: 'store' });
      }
      const store = config.getStore();
      const active = new RetryController({
        nodeId: node.id,
        flowId: node.z,
        store,
        policy: parsePolicy(def as unknown as Record<string, unknown>),
        overrides: { retryable: parseOverrideList(def.retryOn), fatal: parseOverrideList(def.deadLetterOn) },
        unknownRetryable: def.unknownErrors !== 'deadletter',
        replayRatePerSecond: replayRateFrom(def.replayRate),
        now: Date.now,
        random: Math.random,
        newId: randomUUID,
        timers: realTimers,
        flowIdOf: (id) => (RED.nodes.getNode(id) as Node | null)?.z,
        resend: (msg) => node.send([msg as NodeMessageInFlow, null]),
        deadLettered: (msg) => node.send([null, msg as NodeMessageInFlow]),
        onRetryScheduled: () => instruments.retries.inc({ node: nodeLabel(def) }),
        status: (s) => node.status(s),
        reportError: (err, msg) => {
          const error = toMiddlewareError(err);
          error.message = masker.maskText(error.message);
          node.error(error, msg as NodeMessageInFlow | undefined);
        },
      });
      controller = active;
      target = { nodeId: node.id, store, enqueueReplay: (letter, letterStore) => active.enqueueReplay(letter, letterStore) };
      deadLetterRegistry.register(target);
      active.restore().catch((err: unknown) => {
        node.status(failed('store unavailable'));
        node.error(toMiddlewareError(err));
      });
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(misconfigured(setupError.cause));
      node.error(setupError);
    }

    node.on('input', (msg, _send, done) => {
      if (!controller) {
        done(setupError);
        return;
      }
      controller.handleFailure(msg as unknown as Record<string, unknown>).then(
        () => done(),
        (err: unknown) => {
          node.status(failed('store unavailable'));
          done(toMiddlewareError(err));
        },
      );
    });

    node.on('close', (removed: boolean, done: () => void) => {
      if (target) deadLetterRegistry.unregister(target);
      const closing = controller ? controller.close(removed) : Promise.resolve();
      closing.then(
        () => {
          node.status(cleared());
          done();
        },
        (err: unknown) => {
          node.error(toMiddlewareError(err));
          done();
        },
      );
    });
  }

  RED.nodes.registerType('middleware-retry', MiddlewareRetry);
};
