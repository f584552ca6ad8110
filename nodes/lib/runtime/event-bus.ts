import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError, ValidationError } from '../errors';
import { EventSubscriber, type SubscriberDeps, type SubscriberSettings } from '../bus/subscriber';
import type { EventBus } from '../bus/types';
import { deadLetterRegistry, type ReplayTarget } from '../dlq/registry';
import { failed } from '../status';

/** The bus of the event-bus config node `id`; a ValidationError (property bus) when there is none. */
export function eventBusOf(RED: NodeAPI, id: string, type: string): EventBus {
  const provider = RED.nodes.getNode(id) as (Node & { getBus?: () => EventBus }) | null;
  if (!provider || typeof provider.getBus !== 'function') {
    throw new ValidationError(`${type}: property bus must name an event-bus config node`, { property: 'bus' });
  }
  return provider.getBus();
}

/** What a node gives to pull events from a bus; the rest of SubscriberDeps comes from the node itself. */
export type NodeSubscriberOptions = SubscriberSettings & Pick<SubscriberDeps, 'bus' | 'store' | 'deliver' | 'status'>;

/** A subscriber owned by a node: its dead letters replay through it, and detach() releases it on close. */
export interface AttachedSubscriber {
  subscriber: EventSubscriber;
  detach(): Promise<void>;
}

/**
 * Builds the node's subscriber, registers it as the replay point of its dead letters and starts pulling once
 * every node of the flows exists (an event sent earlier would find no wire to travel).
 */
export function attachSubscriber(RED: NodeAPI, node: Node, options: NodeSubscriberOptions): AttachedSubscriber {
  const subscriber = new EventSubscriber({
    ...options,
    nodeId: node.id,
    flowId: node.z,
    consumer: `${os.hostname()}-${process.pid}-${node.id}`,
    now: Date.now,
    random: Math.random,
    newId: randomUUID,
    reportError: (err, msg) => node.error(toMiddlewareError(err), msg as NodeMessageInFlow | undefined),
  });
  const target: ReplayTarget = { nodeId: node.id, store: options.store, enqueueReplay: (letter, letterStore) => subscriber.enqueueReplay(letter, letterStore) };
  deadLetterRegistry.register(target);
  let begin: (() => void) | undefined = () => {
    begin = undefined;
    subscriber.start().catch((err: unknown) => {
      node.status(failed('bus unavailable'));
      node.error(toMiddlewareError(err));
    });
  };
  RED.events.once('flows:started', begin);
  return {
    subscriber,
    detach: () => {
      deadLetterRegistry.unregister(target);
      if (begin) RED.events.removeListener('flows:started', begin);
      return subscriber.close();
    },
  };
}
