/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
import { ValidationError } from '../errors';

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** From the first failure; a retry that would fire later dead-letters instead. */
  maxTotalMs: number;
}

export const DEFAULT_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  multiplier: 2,
  maxTotalMs: 15 * 60_000,
};

/**
 * Delay before re-sending after failed attempt number `attempt` (1-based): a uniform draw in
 * [0, min(maxDelay, base * multiplier^(attempt-1))], raised to `retryAfterMs` when the server asked for more.
 */
export function nextDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * Math.pow(policy.multiplier, exponent));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.floor(r * ceiling);
  return retryAfterMs !== undefined && retryAfterMs > jittered ? Math.ceil(retryAfterMs) : jittered;
}

function numberField(raw: Record<string, unknown>, name: keyof RetryPolicy, min: number, integer: boolean): number {
  const value = raw[name];
  if (value === undefined || value === '' || value === null) return DEFAULT_POLICY[name];
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new ValidationError(`retry policy: ${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`, {
      property: name,
    });
  }
  return n;
}

/** Builds a policy from editor fields (strings or numbers; blank means default). */
export function parsePolicy(raw: Record<string, unknown>): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: numberField(raw, 'maxAttempts', 1, true),
    baseDelayMs: numberField(raw, 'baseDelayMs', 0, false),
    maxDelayMs: numberField(raw, 'maxDelayMs', 0, false),
    multiplier: numberField(raw, 'multiplier', 1, false),
    maxTotalMs: numberField(raw, 'maxTotalMs', 0, false),
  };
  if (policy.maxDelayMs < policy.baseDelayMs) {
    throw new ValidationError(`retry policy: maxDelayMs (${policy.maxDelayMs}) must be >= baseDelayMs (${policy.baseDelayMs})`, {
      property: 'maxDelayMs',
    });
  }
  return policy;
}
