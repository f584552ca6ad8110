import type { Node, NodeAPI } from 'node-red';
import { ValidationError } from '../errors';
import type { EventBus } from '../bus/types';

/** The bus of the event-bus config node `id`; a ValidationError (property bus) when there is none. */
export function eventBusOf(RED: NodeAPI, id: string, type: string): EventBus {
  const provider = RED.nodes.getNode(id) as (Node & { getBus?: () => EventBus }) | null;
  if (!provider || typeof provider.getBus !== 'function') {
    throw new ValidationError(`${type}: property bus must name an event-bus config node`, { property: 'bus' });
  }
  return provider.getBus();
}
