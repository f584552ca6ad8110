/**
 * The admin endpoints have no node to start from: every retry node registers itself here (node id -> its store and
 * a way to re-emit), so a letter is found in each distinct store and replayed by the node that parked it.
 */
import type { DeadLetter, MiddlewareStore } from '../store/types';

export interface ReplayTarget {
  nodeId: string;
  store: MiddlewareStore;
  /** Queues a letter for re-emission on output 1; false when it is already queued. */
  enqueueReplay(letter: DeadLetter, store: MiddlewareStore): boolean;
}

export class DeadLetterRegistry {
  private readonly targets = new Map<string, ReplayTarget>();

  register(target: ReplayTarget): void {
    this.targets.set(target.nodeId, target);
  }

  /** Only the registration given is removed, so a redeployed node that re-registered first is kept. */
  unregister(target: ReplayTarget): void {
    if (this.targets.get(target.nodeId) === target) this.targets.delete(target.nodeId);
  }

  get(nodeId: string): ReplayTarget | undefined {
    return this.targets.get(nodeId);
  }

  stores(): MiddlewareStore[] {
    return [...new Set([...this.targets.values()].map((t) => t.store))];
  }
}

/** The one registry of the process, shared by every retry node and the endpoints. */
export const deadLetterRegistry = new DeadLetterRegistry();
