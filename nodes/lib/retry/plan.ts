/** What to do with a failed message: re-send after a delay, or park it in the dead-letter queue. */
import { classify, type Classification, type ClassificationOverrides } from './classify';
import { nextDelay, type RetryPolicy } from './policy';

export interface RetryHistoryEntry {
  attempt: number;
  at: number;
  error: Record<string, unknown>;
}

/** `msg.retry`, owned by the retry node. */
export interface RetryState {
  /** The attempt the message is on: 1 for the original send, 2 for the first re-send... */
  attempt: number;
  nextDelayMs: number;
  history: RetryHistoryEntry[];
  /** Set by the first failure; absent on a replay until it fails again. */
  firstFailedAt?: number;
  outcomeUnknown?: boolean;
  /** Set on a replay from the dead-letter queue: the letter it came from. */
  replayOf?: string;
}

export type DeadLetterReason = 'not_retryable' | 'max_attempts' | 'max_total_time' | 'node_removed';

export type RetryDecision =
  | { action: 'retry'; delayMs: number; state: RetryState; classification: Classification }
  | { action: 'dead_letter'; reason: DeadLetterReason; state: RetryState; classification: Classification };

export interface FailureContext {
  error: unknown;
  statusCode?: unknown;
  /** `msg.retry` as the message arrived (absent on its first failure). */
  prior: unknown;
  policy: RetryPolicy;
  overrides: ClassificationOverrides;
  unknownRetryable: boolean;
  now: number;
  random: () => number;
}

/** The error reduced to what the history and the dead letter keep: no stack, no message copy. */
export function summariseError(error: unknown, statusCode: unknown): Record<string, unknown> {
  const e = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : { message: String(error) };
  const out: Record<string, unknown> = { message: typeof e.message === 'string' ? e.message : String(e.message ?? '') };
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.cause === 'object' && e.cause !== null) out.cause = e.cause;
  const source = e.source as Record<string, unknown> | undefined;
  if (source && typeof source === 'object') out.source = { id: source.id, type: source.type, name: source.name };
  if (statusCode !== undefined) out.statusCode = statusCode;
  return out;
}

function readPrior(prior: unknown): { attempt: number; history: RetryHistoryEntry[]; firstFailedAt?: number; outcomeUnknown: boolean } {
  const p = typeof prior === 'object' && prior !== null ? (prior as Record<string, unknown>) : {};
  const attempt = typeof p.attempt === 'number' && Number.isInteger(p.attempt) && p.attempt >= 1 ? p.attempt : 1;
  const history = Array.isArray(p.history) ? (p.history as RetryHistoryEntry[]) : [];
  const firstFailedAt = typeof p.firstFailedAt === 'number' && Number.isFinite(p.firstFailedAt) ? p.firstFailedAt : undefined;
  return { attempt, history, firstFailedAt, outcomeUnknown: p.outcomeUnknown === true };
}

export function planRetry(ctx: FailureContext): RetryDecision {
  const classification = classify({ error: ctx.error, statusCode: ctx.statusCode, unknownRetryable: ctx.unknownRetryable }, ctx.overrides);
  const prior = readPrior(ctx.prior);
  const failedAttempt = prior.attempt;
  const firstFailedAt = prior.firstFailedAt ?? ctx.now;
  const history = [...prior.history, { attempt: failedAttempt, at: ctx.now, error: summariseError(ctx.error, ctx.statusCode) }];
  // Once a write may have committed unseen, every later attempt must reconcile before writing again.
  const outcomeUnknown = prior.outcomeUnknown || classification.outcomeUnknown;
  const state: RetryState = { attempt: failedAttempt, nextDelayMs: 0, history, firstFailedAt };
  if (outcomeUnknown) state.outcomeUnknown = true;

  if (!classification.retryable) return { action: 'dead_letter', reason: 'not_retryable', state, classification };
  if (failedAttempt >= ctx.policy.maxAttempts) return { action: 'dead_letter', reason: 'max_attempts', state, classification };
  const delayMs = nextDelay(failedAttempt, ctx.policy, ctx.random, classification.retryAfterMs);
  if (ctx.now + delayMs - firstFailedAt > ctx.policy.maxTotalMs) {
    return { action: 'dead_letter', reason: 'max_total_time', state, classification };
  }
  return { action: 'retry', delayMs, state: { ...state, attempt: failedAttempt + 1, nextDelayMs: delayMs }, classification };
}
