/**
 * The idempotency decision on top of a MiddlewareStore: first sight proceeds, a completed duplicate gets the
 * stored result, anything else is a conflict. Clock and lease-token generator are injected.
 */
import { MiddlewareError, ValidationError } from '../errors';
import type { MiddlewareStore } from '../store/types';

export type GuardRoute = 'first' | 'duplicate' | 'conflict';
export type ConflictReason = 'in_progress' | 'fingerprint_mismatch';

/** What travels in `msg.idempotency`. */
export interface IdempotencyInfo {
  key: string;
  namespace: string;
  status: 'in_progress' | 'completed' | 'released';
  firstSeenAt: number;
  fingerprint: string;
  /** Only on the claiming message: it fences idempotency-complete. */
  leaseToken?: string;
  leaseExpiresAt?: number;
  /** True when this message took over the expired lease of a holder that never finished. */
  takeover?: boolean;
  completedAt?: number;
  expiresAt?: number;
  result?: unknown;
  reason?: ConflictReason;
  message?: string;
}

export interface GuardOptions {
  namespace: string;
  leaseMs: number;
  now: () => number;
  newToken: () => string;
  /** Told each decision's route (metrics). */
  onDecision?: (route: GuardRoute) => void;
}

export interface GuardDecision {
  route: GuardRoute;
  idempotency: IdempotencyInfo;
}

/** Fingerprint used when payload comparison is switched off: every resend matches. */
export const NO_FINGERPRINT = 'none';

export async function checkIdempotency(store: MiddlewareStore, options: GuardOptions, key: string, fingerprint: string): Promise<GuardDecision> {
  const decision = await decide(store, options, key, fingerprint);
  options.onDecision?.(decision.route);
  return decision;
}

async function decide(store: MiddlewareStore, options: GuardOptions, key: string, fingerprint: string): Promise<GuardDecision> {
  const { namespace } = options;
  const claim = await store.claim({ namespace, key, fingerprint, leaseToken: options.newToken(), leaseMs: options.leaseMs, now: options.now() });
  const record = claim.record;
  switch (claim.outcome) {
    case 'claimed': {
      const idempotency: IdempotencyInfo = {
        key,
        namespace,
        status: 'in_progress',
        leaseToken: record.leaseToken,
        firstSeenAt: record.firstSeenAt,
        fingerprint,
        leaseExpiresAt: record.leaseExpiresAt,
      };
      if (claim.takeover) idempotency.takeover = true;
      return { route: 'first', idempotency };
    }
    case 'completed':
      return {
        route: 'duplicate',
        idempotency: {
          key,
          namespace,
          status: 'completed',
          firstSeenAt: record.firstSeenAt,
          fingerprint,
          completedAt: record.completedAt,
          expiresAt: record.expiresAt,
          result: record.result,
        },
      };
    case 'in_progress':
      return {
        route: 'conflict',
        idempotency: {
          key,
          namespace,
          status: 'in_progress',
          firstSeenAt: record.firstSeenAt,
          fingerprint,
          leaseExpiresAt: record.leaseExpiresAt,
          reason: 'in_progress',
          message: `Idempotency key "${key}" in namespace "${namespace}" is being processed by another message; retry after ${new Date(record.leaseExpiresAt).toISOString()} at the latest`,
        },
      };
    case 'fingerprint_mismatch':
      return {
        route: 'conflict',
        idempotency: {
          key,
          namespace,
          status: record.status,
          firstSeenAt: record.firstSeenAt,
          fingerprint,
          reason: 'fingerprint_mismatch',
          message: `Idempotency key "${key}" in namespace "${namespace}" was first used with a different payload; a key may only be reused with the same payload (send a new key for a new request)`,
        },
      };
  }
}

export interface HeldLease {
  key: string;
  namespace: string;
  leaseToken: string;
}

/** Reads what idempotency-guard put in `msg.idempotency`, naming the first property that is wrong. */
export function readHeldLease(msg: Record<string, unknown>): HeldLease {
  const info = msg.idempotency;
  if (info === null || typeof info !== 'object') {
    throw new ValidationError('msg.idempotency is missing; expected the object an idempotency-guard sets on its first output', { property: 'msg.idempotency' });
  }
  const fields = info as Record<string, unknown>;
  for (const name of ['key', 'namespace', 'leaseToken'] as const) {
    if (typeof fields[name] !== 'string' || fields[name] === '') {
      throw new ValidationError(`msg.idempotency.${name} is missing; expected the string an idempotency-guard sets on its first output`, {
        property: `msg.idempotency.${name}`,
      });
    }
  }
  return { key: fields.key as string, namespace: fields.namespace as string, leaseToken: fields.leaseToken as string };
}

export function leaseLost(lease: HeldLease): MiddlewareError {
  return new MiddlewareError(
    'lease_lost',
    `Idempotency lease lost for key "${lease.key}" in namespace "${lease.namespace}": the lease expired and another message took the key over, or it was already completed or released`,
    { retryable: false, details: { key: lease.key, namespace: lease.namespace } },
  );
}

/** Stores the result for resends; throws `lease_lost` when this holder was fenced out. */
export async function completeIdempotency(
  store: MiddlewareStore,
  lease: HeldLease,
  result: unknown,
  ttlMs: number,
  now: number,
): Promise<{ completedAt: number; expiresAt: number }> {
  try {
    JSON.stringify(result);
  } catch (err) {
    throw new ValidationError(`msg.payload cannot be stored as the idempotency result: ${(err as Error).message}`, { property: 'msg.payload' });
  }
  if (!(await store.complete(lease.namespace, lease.key, lease.leaseToken, result, ttlMs, now))) throw leaseLost(lease);
  return { completedAt: now, expiresAt: now + ttlMs };
}

/** Frees the key so a later resend is processed again; throws `lease_lost` when this holder was fenced out. */
export async function releaseIdempotency(store: MiddlewareStore, lease: HeldLease): Promise<void> {
  if (!(await store.release(lease.namespace, lease.key, lease.leaseToken))) throw leaseLost(lease);
}
