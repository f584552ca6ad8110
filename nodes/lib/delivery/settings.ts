/**
 * Editor settings of the delivery guarantees, read once per node: the same parsing serves the standalone
 * idempotency-guard and middleware-retry nodes and odoo-write's Delivery tab.
 */
import { ValidationError } from '../errors';
import type { KeySource } from '../idempotency';
import { parsePolicy, type RetryPolicy } from '../retry';
import { secondsSettingMs } from '../runtime/seconds';

export type KeyType = 'msg' | 'jsonata' | 'header' | 'hash';

export const DEFAULT_LEASE_SECONDS = 300;
export const DEFAULT_RESULT_TTL_SECONDS = 86_400;
export const DEFAULT_REPLAY_RATE = 10;

/** Where the idempotency key comes from; `owner` and `property` name the setting in the error. */
export function keySourceFrom(key: unknown, keyType: unknown, owner: string, property: string): KeySource {
  const value = typeof key === 'string' ? key.trim() : '';
  switch (keyType) {
    case 'jsonata':
      return { type: 'jsonata', expression: value };
    case 'header':
      return { type: 'header', name: value || 'Idempotency-Key' };
    case 'hash':
      return { type: 'hash', fields: value.split(',') };
    default:
      if (!value) throw new ValidationError(`${owner}: property ${property} is empty; expected a message property such as payload.orderId`, { property });
      return { type: 'msg', path: value };
  }
}

export function namespaceFrom(value: unknown, owner: string, property: string): string {
  const namespace = typeof value === 'string' ? value.trim() : '';
  if (!namespace) throw new ValidationError(`${owner}: property ${property} is empty; expected a name such as "orders"`, { property });
  return namespace;
}

/** Replays per second of dead letters sent back through the node. */
export function replayRateFrom(value: unknown, property = 'replayRate'): number {
  if (value === undefined || value === '' || value === null) return DEFAULT_REPLAY_RATE;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ValidationError(`${property} must be a number > 0 (replays per second), got ${JSON.stringify(value)}`, { property });
  return n;
}

/** odoo-write's Delivery tab as saved by the editor (contract names). */
export interface DeliveryDef {
  deliveryStore?: string;
  once?: boolean;
  onceNamespace?: string;
  onceKey?: string;
  onceKeyType?: KeyType;
  onceLeaseSeconds?: string | number;
  onceCompareFingerprint?: boolean;
  onceTtlSeconds?: string | number;
  retry?: boolean;
  retryMaxAttempts?: string | number;
  retryBaseDelayMs?: string | number;
  retryMaxDelayMs?: string | number;
  retryMultiplier?: string | number;
  retryMaxTotalMs?: string | number;
  deadLetter?: boolean;
  deadLetterReplayRate?: string | number;
}

export interface OnceSettings {
  source: KeySource;
  namespace: string;
  leaseMs: number;
  compareFingerprint: boolean;
  ttlMs: number;
}

export interface DeliverySettings {
  once?: OnceSettings;
  /** Undefined when retry is off: a failure is parked at once (dead letters on) or handed back. */
  retry?: RetryPolicy;
  deadLetter: boolean;
  replayRatePerSecond: number;
}

export function deliveryEnabled(def: DeliveryDef): boolean {
  return def.once === true || def.retry === true || def.deadLetter === true;
}

/** Validates the whole tab, naming the first property that is wrong. */
export function parseDeliverySettings(def: DeliveryDef, owner: string): DeliverySettings {
  const settings: DeliverySettings = { deadLetter: def.deadLetter === true, replayRatePerSecond: replayRateFrom(def.deadLetterReplayRate, 'deadLetterReplayRate') };
  if (def.once === true) {
    settings.once = {
      source: keySourceFrom(def.onceKey ?? 'payload.id', def.onceKeyType, owner, 'onceKey'),
      namespace: namespaceFrom(def.onceNamespace ?? 'default', owner, 'onceNamespace'),
      leaseMs: secondsSettingMs(def.onceLeaseSeconds, DEFAULT_LEASE_SECONDS, owner, 'onceLeaseSeconds'),
      compareFingerprint: def.onceCompareFingerprint !== false,
      ttlMs: secondsSettingMs(def.onceTtlSeconds, DEFAULT_RESULT_TTL_SECONDS, owner, 'onceTtlSeconds'),
    };
  }
  if (def.retry === true) settings.retry = retryPolicyFrom(def, owner);
  return settings;
}

const RETRY_PROPERTIES = { maxAttempts: 'retryMaxAttempts', baseDelayMs: 'retryBaseDelayMs', maxDelayMs: 'retryMaxDelayMs', multiplier: 'retryMultiplier', maxTotalMs: 'retryMaxTotalMs' } as const;

/** The retry node's policy from the tab's `retry*` fields; an error names the tab's property, not the node's. */
function retryPolicyFrom(def: DeliveryDef, owner: string): RetryPolicy {
  const raw: Record<string, unknown> = {};
  for (const [field, property] of Object.entries(RETRY_PROPERTIES)) raw[field] = def[property];
  try {
    return parsePolicy(raw);
  } catch (err) {
    const field = (err as ValidationError).cause?.property as keyof typeof RETRY_PROPERTIES | undefined;
    const property = field !== undefined ? RETRY_PROPERTIES[field] : 'retry';
    throw new ValidationError(`${owner}: ${(err as Error).message.replace(/^retry policy: \w+/, `property ${property}`)}`, { property });
  }
}
