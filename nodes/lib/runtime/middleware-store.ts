import type { Node, NodeAPI } from 'node-red';
import { ValidationError } from '../errors';
import type { MiddlewareStore, StoreProvider } from '../store/types';

/** The store of the middleware-store config node `id`; a ValidationError (property store) when there is none. */
export function middlewareStoreOf(RED: NodeAPI, id: string, type: string): MiddlewareStore {
  const provider = RED.nodes.getNode(id) as (Node & Partial<StoreProvider>) | null;
  if (!provider || typeof provider.getStore !== 'function') {
    throw new ValidationError(`${type}: property store must name a middleware-store config node`, { property: 'store' });
  }
  return provider.getStore();
}
