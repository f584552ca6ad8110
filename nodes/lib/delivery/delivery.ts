/**
 * Exactly-once, retry and dead letter around one side effect, as settings of the node that performs it. The
 * composition of the standalone nodes' logic: the idempotency guard's claim, idempotency-complete's complete and
 * release, and the retry node's RetryController (durable schedule, dead-letter queue, replay). Store, clock,
 * randomness and timers are injected, so it runs without Node-RED.
 */
import { toMiddlewareError, type MiddlewareError } from '../errors';
import {
  checkIdempotency,
  completeIdempotency,
  fingerprint,
  NO_FINGERPRINT,
  releaseIdempotency,
  type HeldLease,
  type IdempotencyInfo,
  type KeyExtractor,
} from '../idempotency';
import type { Timers } from '../dlq/replay-queue';
import { RetryController, type RetryPolicy } from '../retry';
import type { DeadLetter, MiddlewareStore } from '../store/types';
import type { DeliverySettings } from './settings';

type Msg = Record<string, unknown>;

/** Code given to a failure a re-run resolves by finding the record (see `isKeyCollision`): always retried. */
export const KEY_COLLISION_CODE = 'ODOO_DUPLICATE_KEY';

/** Dead letters without retry: the first failure is the last attempt. */
const PARK_AT_ONCE: RetryPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, multiplier: 1, maxTotalMs: 0 };

export interface DeliveryDeps {
  nodeId: string;
  /** What a Catch node would name as `msg.error.source`. */
  source: { id: string; type: string; name?: string };
  flowId?: string;
  store: MiddlewareStore;
  settings: DeliverySettings;
  /** Required when `settings.once` is set (built by the caller, which owns the JSONata flavour). */
  extractKey?: KeyExtractor;
  /** True for a failure that another writer's concurrent create of the same key caused: a retry reconciles it. */
  isKeyCollision?(err: MiddlewareError): boolean;
  now(): number;
  random(): number;
  newId(): string;
  timers: Timers;
  flowIdOf(nodeId: string): string | undefined;
  /** A retry that came due, or a replayed dead letter: back into the node's input, through the guard again. */
  reinject(msg: Msg): void;
  /** Something changed outside a message in flight (retry re-sent, restored, replayed): redraw the status. */
  changed(): void;
  reportError(err: unknown, msg?: Msg): void;
}

/** What the side effect reports: whether anything was written, and what a resend is answered with. */
export interface Attempt {
  written: boolean;
  result: unknown;
}

export type Delivered<T extends Attempt> =
  | { route: 'written'; attempt: T }
  /** A resend of a completed key: `msg.idempotency.result` holds the stored result. */
  | { route: 'stored' }
  /** `msg.idempotency.reason`: in_progress or fingerprint_mismatch. */
  | { route: 'conflict' }
  /** Stored for a later attempt; the message leaves when that one ends. */
  | { route: 'retrying' }
  /** `msg.deadLetter` = {id, reason, kind}. */
  | { route: 'dead_lettered' };

export interface DeliveryCounts {
  written: number;
  stored: number;
  conflicts: number;
  deadLettered: number;
}

/** A Catch node's `msg.error` for `err` raised by `source`, which the retry policy classifies. */
export function catchError(err: MiddlewareError, source: DeliveryDeps['source']): Msg {
  return { message: err.toString(), source: { ...source, count: 1 }, code: err.code, cause: err.cause };
}

export class Delivery {
  readonly counts: DeliveryCounts = { written: 0, stored: 0, conflicts: 0, deadLettered: 0 };
  private readonly controller?: RetryController;

  constructor(private readonly deps: DeliveryDeps) {
    const { settings } = deps;
    if (settings.retry === undefined && !settings.deadLetter) return;
    this.controller = new RetryController({
      nodeId: deps.nodeId,
      flowId: deps.flowId,
      store: deps.store,
      policy: settings.retry ?? PARK_AT_ONCE,
      overrides: { retryable: new Set([KEY_COLLISION_CODE.toLowerCase()]), fatal: new Set() },
      unknownRetryable: true,
      replayRatePerSecond: settings.replayRatePerSecond,
      deadLetter: settings.deadLetter,
      now: deps.now,
      random: deps.random,
      newId: deps.newId,
      timers: deps.timers,
      flowIdOf: deps.flowIdOf,
      resend: (msg) => {
        deps.reinject(msg);
        deps.changed();
      },
      deadLettered: () => undefined,
      status: () => deps.changed(),
      reportError: deps.reportError,
    });
  }

  /** Retries waiting in this process (store-backed, re-armed on start). */
  get pendingRetries(): number {
    return this.controller?.pendingCount ?? 0;
  }

  /** The dead-letter replay point: queues a letter for this node's input. */
  enqueueReplay(letter: DeadLetter, store: MiddlewareStore): boolean {
    return this.controller ? this.controller.enqueueReplay(letter, store) : false;
  }

  get replays(): boolean {
    return this.controller !== undefined && this.deps.settings.deadLetter;
  }

  /** Re-arms the retries a previous run of this node left in the store (restart, redeploy, kill -9). */
  restore(): Promise<number> {
    return this.controller ? this.controller.restore() : Promise.resolve(0);
  }

  /**
   * `removed` parks the retries armed here in the dead-letter queue; with none armed there is nothing to park, and
   * the store (often deleted in the same deploy) is left alone.
   */
  close(removed: boolean): Promise<void> {
    return this.controller ? this.controller.close(removed && this.pendingRetries > 0) : Promise.resolve();
  }

  /**
   * Runs `attempt` at most once per key: claims first (a completed key is answered from the store, a live claim or
   * another payload is a conflict), completes with the result or releases on failure. A failure of the attempt then
   * goes to the retry schedule or the dead-letter queue; without either, or once the policy gives up with dead
   * letters off, it is thrown.
   */
  async deliver<T extends Attempt>(msg: Msg, attempt: () => Promise<T>): Promise<Delivered<T>> {
    this.adoptRetryState(msg);
    const once = this.deps.settings.once;
    let lease: HeldLease | undefined;
    // A key that cannot be read or a store that cannot answer is thrown as is: such a message cannot be deduplicated,
    // so it is neither retried nor parked, and the flow's Catch answers it (400, 503).
    if (once) {
      const decision = await this.claim(msg);
      msg.idempotency = decision.idempotency;
      if (decision.route === 'duplicate') {
        this.counts.stored += 1;
        return { route: 'stored' };
      }
      if (decision.route === 'conflict') {
        this.counts.conflicts += 1;
        return { route: 'conflict' };
      }
      lease = { key: decision.idempotency.key, namespace: once.namespace, leaseToken: decision.idempotency.leaseToken as string };
    }
    let done: T;
    try {
      done = await attempt();
    } catch (err) {
      const error = toMiddlewareError(err);
      if (lease) await this.releaseQuietly(msg, lease);
      return this.fail(msg, error);
    }
    if (lease && once) await this.settle(msg, lease, done, once.ttlMs);
    if (done.written) this.counts.written += 1;
    return { route: 'written', attempt: done };
  }

  private async claim(msg: Msg) {
    const once = this.deps.settings.once;
    if (!once || !this.deps.extractKey) throw new Error('delivery: once is set without a key extractor');
    const key = await this.deps.extractKey(msg);
    const options = { namespace: once.namespace, leaseMs: once.leaseMs, now: this.deps.now, newToken: this.deps.newId };
    return checkIdempotency(this.deps.store, options, key, once.compareFingerprint ? fingerprint(msg.payload) : NO_FINGERPRINT);
  }

  /** Completed when anything was written (a resend must not write it again), released when nothing was. */
  private async settle(msg: Msg, lease: HeldLease, done: Attempt, ttlMs: number): Promise<void> {
    const info = msg.idempotency as IdempotencyInfo;
    try {
      if (done.written) {
        const times = await completeIdempotency(this.deps.store, lease, done.result, ttlMs, this.deps.now());
        msg.idempotency = { ...info, status: 'completed', ...times };
      } else {
        await releaseIdempotency(this.deps.store, lease);
        msg.idempotency = { ...info, status: 'released' };
      }
    } catch (err) {
      const error = toMiddlewareError(err);
      // The write stands: another delivery took the expired lease over and writes the same key itself.
      if (error.kind !== 'lease_lost') throw error;
      msg.idempotency = { ...info, leaseLost: true };
    }
  }

  private async releaseQuietly(msg: Msg, lease: HeldLease): Promise<void> {
    try {
      await releaseIdempotency(this.deps.store, lease);
      msg.idempotency = { ...(msg.idempotency as IdempotencyInfo), status: 'released' };
    } catch (err) {
      // A lost lease has nothing left to release; an unreachable store lets the lease run out instead.
      if (toMiddlewareError(err).kind !== 'lease_lost') this.deps.reportError(err, msg);
    }
  }

  private async fail<T extends Attempt>(msg: Msg, error: MiddlewareError): Promise<Delivered<T>> {
    if (!this.controller) throw error;
    const shaped = catchError(error, this.deps.source);
    if (this.deps.isKeyCollision?.(error)) {
      shaped.code = KEY_COLLISION_CODE;
      shaped.cause = { ...error.cause, outcomeUnknown: true };
    }
    delete msg.deadLetter;
    msg.error = shaped;
    const route = await this.controller.handleFailure(msg);
    if (route === 'gave_up') throw error;
    if (route === 'dead_lettered') {
      this.counts.deadLettered += 1;
      return { route: 'dead_lettered' };
    }
    return { route: 'retrying' };
  }

  /**
   * `msg.retry` counts this node's attempts. One that another node's failures built (another write's retries
   * upstream) starts at attempt 1 again, keeping only its "outcome unknown" flag, which a reconciling write needs.
   */
  private adoptRetryState(msg: Msg): void {
    if (this.controller === undefined || typeof msg.retry !== 'object' || msg.retry === null) return;
    const prior = msg.retry as { history?: unknown; outcomeUnknown?: unknown };
    const history = Array.isArray(prior.history) ? (prior.history as Array<{ error?: { source?: { id?: unknown } } }>) : [];
    const failedAt = history[history.length - 1]?.error?.source?.id;
    if (failedAt === undefined || failedAt === this.deps.nodeId) return;
    if (prior.outcomeUnknown === true) msg.retry = { attempt: 1, nextDelayMs: 0, history: [], outcomeUnknown: true };
    else delete msg.retry;
  }
}

/** A unique-index violation on the key field a create used: another writer created the same record first. */
export function isKeyCollision(err: MiddlewareError, keyField: string): boolean {
  if (err.kind !== 'validation') return false;
  const text = `${err.message}\n${String(err.cause.odooMessage ?? '')}`;
  const match = /duplicate key value violates unique constraint[\s\S]*?Key \(([^)]*)\)=/.exec(text);
  return match !== null && match[1].split(',').some((field) => field.trim() === keyField);
}
