import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { Delivery, deliveryEnabled, parseDeliverySettings, type DeliveryDef } from '../delivery';
import { deadLetterRegistry, type ReplayTarget } from '../dlq/registry';
import { realTimers } from '../dlq/replay-queue';
import { toMiddlewareError, type MiddlewareError } from '../errors';
import { createKeyExtractor } from '../idempotency';
import { failed, ok, waiting, type NodeStatus } from '../status';
import { deadLetterView } from '../ops/views';
import { mountDeadLetterEndpoints } from './dead-letter-endpoints';
import { nodeRedJsonata } from './jsonata-key';
import { middlewareStoreOf } from './middleware-store';
import { settingsMasker } from './ops';

export interface NodeDelivery {
  delivery: Delivery;
  /** The counts as one status: yellow while retries wait, red while letters it parked wait in the queue, else green. */
  status(): NodeStatus;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The Delivery tab of a node wired to the runtime: its store, Node-RED's JSONata for the key, the dead-letter
 * endpoints and replay registration, retries re-armed from the store on start and re-entering through
 * `node.receive`. Undefined when every delivery setting is off; throws a ValidationError for a bad setting.
 */
export function attachDelivery(RED: NodeAPI, node: Node, def: DeliveryDef, type: string, options: { isKeyCollision?(err: MiddlewareError): boolean; changed(): void }): NodeDelivery | undefined {
  if (!deliveryEnabled(def)) return undefined;
  const settings = parseDeliverySettings(def, type);
  const store = middlewareStoreOf(RED, def.deliveryStore ?? '', type);
  // Letters this node parked that still wait in the queue (also those of earlier runs), recounted when it changes.
  let waitingLetters = 0;
  let countedParked = 0;
  const recount = (): void => {
    if (!settings.deadLetter) return;
    store.countDeadLetters({ nodeId: node.id, status: 'dead' }).then(
      (n) => {
        if (n === waitingLetters) return;
        waitingLetters = n;
        options.changed();
      },
      () => undefined,
    );
  };
  const extractKey = settings.once ? createKeyExtractor(settings.once.source, { compile: nodeRedJsonata(RED, node) }) : undefined;
  const delivery = new Delivery({
    nodeId: node.id,
    source: { id: node.id, type, name: node.name },
    flowId: node.z,
    store,
    settings,
    extractKey,
    isKeyCollision: options.isKeyCollision,
    now: Date.now,
    random: Math.random,
    newId: randomUUID,
    timers: realTimers,
    flowIdOf: (id) => (RED.nodes.getNode(id) as Node | null)?.z,
    reinject: (msg) => node.receive(msg as NodeMessageInFlow),
    changed: () => {
      recount();
      options.changed();
    },
    reportError: (err, msg) => node.error(toMiddlewareError(err), msg as NodeMessageInFlow | undefined),
  });

  let target: ReplayTarget | undefined;
  if (delivery.replays) {
    mountDeadLetterEndpoints(RED, deadLetterView(settingsMasker(RED)));
    target = { nodeId: node.id, store, enqueueReplay: (letter, letterStore) => delivery.enqueueReplay(letter, letterStore) };
    deadLetterRegistry.register(target);
  }
  recount();
  delivery.restore().then(
    (restored) => {
      if (restored > 0) options.changed();
    },
    (err: unknown) => {
      node.status(failed('store unavailable'));
      node.error(toMiddlewareError(err));
    },
  );
  node.on('close', (removed: boolean, done: () => void) => {
    if (target) deadLetterRegistry.unregister(target);
    delivery.close(removed).then(
      () => done(),
      (err: unknown) => {
        node.error(toMiddlewareError(err));
        done();
      },
    );
  });

  return {
    delivery,
    status() {
      const { written, stored, conflicts, deadLettered } = delivery.counts;
      if (deadLettered !== countedParked) {
        countedParked = deadLettered;
        // Shown at once; the recount corrects it to the queue's figure.
        waitingLetters = Math.max(waitingLetters, 1);
        recount();
      }
      const parts = [`${written} written`];
      if (stored > 0) parts.push(`${stored} from store`);
      if (conflicts > 0) parts.push(plural(conflicts, 'conflict'));
      const pending = delivery.pendingRetries;
      if (pending > 0) parts.unshift(`${pending} retrying`);
      if (waitingLetters > 0) parts.push(plural(waitingLetters, 'dead letter'));
      const text = parts.join(' · ');
      if (pending > 0) return waiting(text);
      return waitingLetters > 0 ? failed(text) : ok(text);
    },
  };
}
