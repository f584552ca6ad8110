/**
 * Replay protection by delivery id. A delivery id is claimed with a lease, not marked seen: it is marked done
 * once the event is safe (durably published, or the flow answered 2xx) and released when handling failed (5xx,
 * timeout), so the sender's resend goes through; a claim whose instance died lapses with its lease. With a
 * middleware-store the claim lives in namespace `webhook:<node id>`, shared by every instance; without one, in a
 * bounded in-memory map.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareStore } from '../store/types';

export interface ReplayClaim {
  /** The delivery was handled: a resend within the window is a duplicate. */
  done(now: number): Promise<void>;
  /** The delivery was not handled: a resend is processed. */
  release(): Promise<void>;
}

export type ReplayOutcome =
  | { outcome: 'claimed'; claim: ReplayClaim }
  | { outcome: 'duplicate' }
  /** Another request holds the id right now: the sender should try again later. */
  | { outcome: 'in_progress' };

export interface ReplayGuard {
  claim(deliveryId: string, fingerprint: string, now: number, leaseMs: number): Promise<ReplayOutcome>;
}

interface MemoryEntry {
  /** Until when a done id counts as a duplicate, or an in-progress claim holds. */
  until: number;
  done: boolean;
  token: string;
}

export class MemoryReplayGuard implements ReplayGuard {
  /** Insertion order is recency order: a Map re-insert moves a key to the end. */
  private readonly seen = new Map<string, MemoryEntry>();

  constructor(private readonly ttlMs: number, private readonly capacity = 10_000) {}

  async claim(deliveryId: string, _fingerprint: string, now: number, leaseMs: number): Promise<ReplayOutcome> {
    const entry = this.seen.get(deliveryId);
    if (entry !== undefined && entry.until > now) return entry.done ? { outcome: 'duplicate' } : { outcome: 'in_progress' };
    const token = randomUUID();
    this.seen.delete(deliveryId);
    this.seen.set(deliveryId, { until: now + leaseMs, done: false, token });
    while (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string);
    const holds = (): boolean => this.seen.get(deliveryId)?.token === token;
    return {
      outcome: 'claimed',
      claim: {
        done: async (at) => {
          if (holds()) this.seen.set(deliveryId, { until: at + this.ttlMs, done: true, token });
        },
        release: async () => {
          if (holds()) this.seen.delete(deliveryId);
        },
      },
    };
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

  async claim(deliveryId: string, fingerprint: string, now: number, leaseMs: number): Promise<ReplayOutcome> {
    const leaseToken = randomUUID();
    const claim = await this.store.claim({ namespace: this.namespace, key: deliveryId, fingerprint, leaseToken, leaseMs, now });
    if (claim.outcome === 'in_progress') return { outcome: 'in_progress' };
    // A completed id, or one reused with another body (fingerprint_mismatch), is not processed again.
    if (claim.outcome !== 'claimed') return { outcome: 'duplicate' };
    return {
      outcome: 'claimed',
      claim: {
        done: async (at) => {
          await this.store.complete(this.namespace, deliveryId, leaseToken, { receivedAt: now }, this.ttlMs, at);
        },
        release: async () => {
          await this.store.release(this.namespace, deliveryId, leaseToken);
        },
      },
    };
  }
}
