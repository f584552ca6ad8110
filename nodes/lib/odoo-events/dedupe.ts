/**
 * One seen-set for Odoo record events, shared by webhook-in's `odoo` scheme and the missed-event sweep, in a
 * middleware-store so every instance sees it. An event is (model, id, write_date): Odoo's repeated POSTs of one
 * change carry the same write_date and count once.
 *
 * Odoo's webhook sends write_date with microseconds, its API (and so the sweep) only to the second. Two claims
 * per webhook keep both right: the exact write_date refuses Odoo's repeats, the second-precision key tells the
 * sweep the change was seen. A second change of the record within the same second still passes the webhook,
 * while a webhook arriving after the sweep already published that second is a duplicate.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareStore } from '../store/types';

export const DEFAULT_EVENT_NAMESPACE = 'default';
/** How long a seen event is remembered (days of Odoo downtime the sweep can still tell apart). */
export const DEFAULT_SEEN_TTL_MS = 7 * 86_400_000;
const LEASE_MS = 60_000;
/** A constant fingerprint: the key alone says what the event is, a resend is never a "mismatch". */
const FINGERPRINT = 'odoo-event';
const WEBHOOK = 'webhook:';
const SWEEP = 'sweep:';

export interface OdooEventKey {
  model: string;
  id: number;
  /** Odoo's UTC "YYYY-MM-DD HH:MM:SS[.ffffff]". */
  writeDate: string;
}

/** Mark the event handled once it is safe (published, or the flow answered 2xx); release it when that failed. */
export interface SeenClaim {
  done(now: number): Promise<void>;
  release(): Promise<void>;
}

export type SeenOutcome = { outcome: 'new'; claim: SeenClaim } | { outcome: 'duplicate' };

const WRITE_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

export function isOdooWriteDate(value: unknown): value is string {
  return typeof value === 'string' && WRITE_DATE.test(value);
}

/** The key both paths agree on: the write_date to the second, the precision Odoo's API gives. */
export function eventKey(event: OdooEventKey): string {
  return `${event.model}:${event.id}:${event.writeDate.slice(0, 19)}`;
}

export function storeNamespace(namespace: string | undefined): string {
  return `odoo-events:${namespace?.trim() || DEFAULT_EVENT_NAMESPACE}`;
}

export class OdooEventDedupe {
  readonly namespace: string;

  constructor(private readonly store: MiddlewareStore, namespace?: string, private readonly ttlMs = DEFAULT_SEEN_TTL_MS) {
    this.namespace = storeNamespace(namespace);
  }

  /** A POST of Odoo's automation webhook. */
  async webhook(event: OdooEventKey, now: number): Promise<SeenOutcome> {
    const token = `${WEBHOOK}${randomUUID()}`;
    const exactKey = `${event.model}:${event.id}:${event.writeDate}`;
    const precise = event.writeDate.length > 19;
    const claims: Array<{ key: string }> = [];
    if (precise) {
      const exact = await this.claim(exactKey, token, now);
      if (exact.outcome !== 'claimed') return { outcome: 'duplicate' };
      claims.push({ key: exactKey });
    }
    const second = await this.claim(eventKey(event), token, now);
    if (second.outcome === 'claimed') claims.push({ key: eventKey(event) });
    else if (second.record.leaseToken.startsWith(SWEEP) || !precise) {
      // The sweep published this second already, or a repeat without microseconds: nothing new.
      await this.releaseAll(claims, token);
      return { outcome: 'duplicate' };
    }
    return { outcome: 'new', claim: this.handle(claims, token) };
  }

  /** A record the sweep read: new only when no webhook and no earlier sweep saw this (id, write_date). */
  async sweep(event: OdooEventKey, now: number): Promise<SeenOutcome> {
    const token = `${SWEEP}${randomUUID()}`;
    const key = eventKey(event);
    const claim = await this.claim(key, token, now);
    if (claim.outcome !== 'claimed') return { outcome: 'duplicate' };
    return { outcome: 'new', claim: this.handle([{ key }], token) };
  }

  /** Whether the event (to the second) was seen by either path. */
  async seen(event: OdooEventKey, now: number): Promise<boolean> {
    return (await this.store.getIdempotency(this.namespace, eventKey(event), now)) !== undefined;
  }

  private claim(key: string, leaseToken: string, now: number) {
    return this.store.claim({ namespace: this.namespace, key, fingerprint: FINGERPRINT, leaseToken, leaseMs: LEASE_MS, now });
  }

  private async releaseAll(claims: Array<{ key: string }>, token: string): Promise<void> {
    for (const c of claims) await this.store.release(this.namespace, c.key, token);
  }

  private handle(claims: Array<{ key: string }>, token: string): SeenClaim {
    return {
      done: async (at) => {
        for (const c of claims) await this.store.complete(this.namespace, c.key, token, { seenAt: at }, this.ttlMs, at);
      },
      release: () => this.releaseAll(claims, token),
    };
  }
}
