import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError, ValidationError } from '../errors';
import { EventSubscriber, type SubscriberDeps, type SubscriberSettings } from '../bus/subscriber';
import { GroupJoin } from '../bus/join';
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

/** Pause before joining the group again after the bus refused (unreachable at deploy). */
const JOIN_RETRY_MS = 5000;

/** A subscriber owned by a node: its dead letters replay through it, and detach() releases it on close. */
export interface AttachedSubscriber {
  subscriber: EventSubscriber;
  /** Whether the group exists and this member is in it; see GroupJoin.whenJoined. */
  whenJoined(timeoutMs: number): Promise<boolean>;
  detach(): Promise<void>;
}

/**
 * Builds the node's subscriber, registers it as the replay point of its dead letters and starts pulling once
 * every node of the flows exists (an event sent earlier would find no wire to travel). A bus that refuses at
 * deploy is tried again every few seconds; the error is reported when it first happens or changes.
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
  const join = new GroupJoin({
    join: () => subscriber.start(),
    refused: (err, changed) => {
      node.status(failed('bus unavailable'));
      if (changed) node.error(toMiddlewareError(err));
    },
    retryMs: JOIN_RETRY_MS,
  });
  let begin: (() => void) | undefined = () => {
    begin = undefined;
    join.start();
  };
  RED.events.once('flows:started', begin);
  return {
    subscriber,
    whenJoined: (timeoutMs) => join.whenJoined(timeoutMs),
    detach: () => {
      deadLetterRegistry.unregister(target);
      if (begin) RED.events.removeListener('flows:started', begin);
      join.stop();
      return subscriber.close();
    },
  };
}
