/**
 * Replay protection by delivery id. With a middleware-store the id is claimed and completed at once in namespace
 * `webhook:<node id>`, so every instance sharing the store sees it; without one, a bounded in-memory LRU.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareStore } from '../store/types';

export interface ReplayGuard {
  /** True the first time an id is seen within the window, false for a duplicate. */
  firstSeen(deliveryId: string, fingerprint: string, now: number): Promise<boolean>;
}

export class MemoryReplayGuard implements ReplayGuard {
  /** Insertion order is recency order: a Map re-insert moves a key to the end. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly ttlMs: number, private readonly capacity = 10_000) {}

  async firstSeen(deliveryId: string, _fingerprint: string, now: number): Promise<boolean> {
    const expiresAt = this.seen.get(deliveryId);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.seen.delete(deliveryId);
    this.seen.set(deliveryId, now + this.ttlMs);
    while (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export class StoreReplayGuard implements ReplayGuard {
  constructor(
    private readonly store: MiddlewareStore,
    private readonly namespace: string,
    private readonly ttlMs: number,
  ) {}

  async firstSeen(deliveryId: string, fingerprint: string, now: number): Promise<boolean> {
    const leaseToken = randomUUID();
    const claim = await this.store.claim({ namespace: this.namespace, key: deliveryId, fingerprint, leaseToken, leaseMs: 60_000, now });
    if (claim.outcome !== 'claimed') return false;
    await this.store.complete(this.namespace, deliveryId, leaseToken, { receivedAt: now }, this.ttlMs, now);
    return true;
  }
}
