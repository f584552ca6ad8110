/**
 * The retry node's behaviour without Node-RED: schedules a failed message durably (store first, timer second),
 * re-sends it once the store hands the entry over, parks hopeless ones in the dead-letter queue, and replays
 * parked letters at a bounded rate. Store, clock, randomness and timers are injected.
 */
import { ValidationError } from '../errors';
import type { DeadLetter, MiddlewareStore, ScheduledRetry } from '../store/types';
import { ReplayQueue, type Timers } from '../dlq/replay-queue';
import { failed, ok, waiting, type NodeStatus } from '../status';
import type { ClassificationOverrides, Classification } from './classify';
import { planRetry, type DeadLetterReason, type RetryState } from './plan';
import type { RetryPolicy } from './policy';
import { reviveMessage, toJsonSafe } from './serialize';

type Msg = Record<string, unknown>;

/** Spacing between overdue retries re-armed after a restart, so they do not all fire in one tick. */
export const RESTORE_STAGGER_MS = 50;
/** Wait before trying again to take a due retry from an unavailable store. */
export const STORE_RETRY_MS = 5000;

export interface RetryControllerDeps {
  nodeId: string;
  /** The retry node's own flow, used when the failing node's flow is unknown. */
  flowId?: string;
  store: MiddlewareStore;
  policy: RetryPolicy;
  overrides: ClassificationOverrides;
  unknownRetryable: boolean;
  replayRatePerSecond: number;
  /** False: a message the policy gives up on is handed back ('gave_up') instead of parked. Default true. */
  deadLetter?: boolean;
  now(): number;
  random(): number;
  newId(): string;
  timers: Timers;
  /** The flow (tab) of the node that failed, from `msg.error.source.id`. */
  flowIdOf(nodeId: string): string | undefined;
  /** Output 1: the message goes back to the node that failed. */
  resend(msg: Msg): void;
  /** Output 2: the message was parked in the dead-letter queue. */
  deadLettered(msg: Msg): void;
  /** Told each retry scheduled (metrics). */
  onRetryScheduled?: () => void;
  status(status: NodeStatus): void;
  /** A background failure (timer, restore, replay) with no message in flight to fail. */
  reportError(err: unknown, msg?: Msg): void;
}

/** What became of a failed message: re-sent later, parked, or (dead letters off) handed back to the caller. */
export type FailureRoute = 'scheduled' | 'dead_lettered' | 'gave_up';

interface PendingRetry {
  msg: Msg;
  dueAt: number;
  timer: unknown;
}

interface ReplayItem {
  letter: DeadLetter;
  store: MiddlewareStore;
}

export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

function sourceIdOf(error: unknown): string | undefined {
  const source = typeof error === 'object' && error !== null ? (error as Msg).source : undefined;
  const id = typeof source === 'object' && source !== null ? (source as Msg).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

export class RetryController {
  private readonly pending = new Map<string, PendingRetry>();
  private readonly replays: ReplayQueue<ReplayItem>;
  private closed = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private deadCount = 0;
  private resentCount = 0;
  private replayedCount = 0;

  constructor(private readonly deps: RetryControllerDeps) {
    this.replays = new ReplayQueue<ReplayItem>(deps.replayRatePerSecond, (item) => this.emitReplay(item), deps.timers);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Re-arms the retries a previous run of this node left in the store (after a redeploy, restart or crash). */
  async restore(): Promise<number> {
    const entries = await this.deps.store.listRetries(this.deps.nodeId);
    if (this.closed) return 0;
    const now = this.deps.now();
    let overdue = 0;
    for (const entry of [...entries].sort((a, b) => a.dueAt - b.dueAt)) {
      if (this.pending.has(entry.id)) continue;
      const delay = entry.dueAt > now ? entry.dueAt - now : RESTORE_STAGGER_MS * overdue++;
      this.arm(entry.id, reviveMessage(entry.message), entry.dueAt, delay);
    }
    if (this.pending.size > 0) this.deps.status(waiting(`${this.pending.size} pending`));
    return entries.length;
  }

  /** Handles one failed message (a Catch message). Rejects when it carries no error or the store cannot take it. */
  handleFailure(msg: Msg): Promise<FailureRoute> {
    const work = this.processFailure(msg);
    this.track(work.catch(() => undefined));
    return work;
  }

  private async processFailure(msg: Msg): Promise<FailureRoute> {
    const { deps } = this;
    if ((typeof msg.error !== 'object' || msg.error === null) && msg.statusCode === undefined) {
      throw new ValidationError('msg.error must be the error object a Catch node sets (or msg.statusCode an HTTP status); wire this node from a Catch node', {
        property: 'error',
      });
    }
    const now = deps.now();
    const decision = planRetry({
      error: msg.error,
      statusCode: msg.statusCode,
      prior: msg.retry,
      policy: deps.policy,
      overrides: deps.overrides,
      unknownRetryable: deps.unknownRetryable,
      now,
      random: deps.random,
    });
    const sourceId = sourceIdOf(msg.error);
    // Node-RED drops a message after the same node errored on it 10 times ("error-loop"), keyed on msg.error.
    delete msg.error;
    delete msg._error;
    msg.retry = decision.state;

    if (decision.action === 'dead_letter') {
      if (deps.deadLetter === false) return 'gave_up';
      const letter = await this.park(msg, decision.reason, decision.classification, sourceId);
      msg.deadLetter = { id: letter.id, reason: decision.reason, kind: decision.classification.kind };
      this.deadCount += 1;
      deps.status(failed(`dead-lettered ${this.deadCount}`));
      deps.deadLettered(msg);
      return 'dead_lettered';
    }

    const id = deps.newId();
    const dueAt = now + decision.delayMs;
    const entry: ScheduledRetry = { id, nodeId: deps.nodeId, dueAt, message: toJsonSafe(msg).value, createdAt: now };
    await deps.store.scheduleRetry(entry);
    deps.onRetryScheduled?.();
    // Closed meanwhile: the entry is stored, and the next start of this node re-arms it.
    if (this.closed) return 'scheduled';
    this.arm(id, msg, dueAt, decision.delayMs);
    const more = this.pending.size > 1 ? `, ${this.pending.size} pending` : '';
    deps.status(waiting(`retry ${decision.state.attempt}/${deps.policy.maxAttempts} in ${formatDelay(decision.delayMs)}${more}`));
    return 'scheduled';
  }

  enqueueReplay(letter: DeadLetter, store: MiddlewareStore): boolean {
    return this.replays.push(letter.id, { letter, store });
  }

  /** Stops every timer. `removed` (the node was deleted): pending retries go to the dead-letter queue. */
  async close(removed: boolean): Promise<void> {
    this.closed = true;
    this.replays.close();
    const live = new Map([...this.pending.entries()].map(([id, p]) => [id, p.msg]));
    for (const p of this.pending.values()) this.deps.timers.clearTimeout(p.timer);
    this.pending.clear();
    await Promise.all([...this.inflight]);
    if (!removed) return;
    // The store is the full list: entries armed here, put back while closing, or never re-armed.
    let stored: ScheduledRetry[];
    try {
      stored = await this.deps.store.listRetries(this.deps.nodeId);
    } catch (err) {
      this.deps.reportError(err);
      return;
    }
    for (const entry of stored) {
      const msg = live.get(entry.id) ?? reviveMessage(entry.message);
      try {
        if (await this.deps.store.removeRetry(entry.id)) await this.park(msg, 'node_removed', undefined, undefined);
      } catch (err) {
        this.deps.reportError(err, msg);
      }
    }
  }

  private arm(id: string, msg: Msg, dueAt: number, delayMs: number): void {
    const timer = this.deps.timers.setTimeout(() => this.fire(id), delayMs);
    this.pending.set(id, { msg, dueAt, timer });
  }

  private fire(id: string): void {
    const entry = this.pending.get(id);
    if (!entry || this.closed) return;
    // removeRetry is true exactly once across instances sharing the store: only that one re-sends.
    const taking = this.deps.store.removeRetry(id).then(
      async (taken) => {
        this.pending.delete(id);
        if (!taken) return;
        if (this.closed) {
          // Closed while taking it: put it back for the next start of this node rather than send from a stopped flow.
          const now = this.deps.now();
          await this.deps.store.scheduleRetry({ id, nodeId: this.deps.nodeId, dueAt: now, message: toJsonSafe(entry.msg).value, createdAt: now });
          return;
        }
        this.resentCount += 1;
        this.deps.resend(entry.msg);
        this.deps.status(this.pending.size > 0 ? waiting(`${this.pending.size} pending`) : ok(`re-sent ${this.resentCount}`));
      },
      (err: unknown) => {
        this.deps.reportError(err, entry.msg);
        this.deps.status(failed('store unavailable'));
        if (this.closed) return;
        this.arm(id, entry.msg, entry.dueAt, STORE_RETRY_MS);
      },
    );
    this.track(taking.catch((err: unknown) => this.deps.reportError(err, entry.msg)));
  }

  /** close() waits for store writes in flight, so the next start of the node sees them. */
  private track(work: Promise<unknown>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async park(msg: Msg, reason: DeadLetterReason, classification: Classification | undefined, sourceId: string | undefined): Promise<DeadLetter> {
    const { deps } = this;
    const now = deps.now();
    const state = (msg.retry ?? {}) as Partial<RetryState>;
    const history = toJsonSafe({ history: state.history ?? [] }).value.history as Array<Record<string, unknown>>;
    const lastError = history.length > 0 ? (history[history.length - 1].error as Record<string, unknown>) : {};
    const kind = classification?.kind ?? (lastError.cause as Msg | undefined)?.kind;
    const { value, droppedPaths } = toJsonSafe(msg);
    delete value.deadLetter;
    const error: Record<string, unknown> = { ...lastError, reason };
    if (classification) {
      error.retryable = classification.retryable;
      error.rule = classification.rule;
    }
    const letter: DeadLetter = {
      id: deps.newId(),
      message: value,
      droppedPaths,
      error,
      history,
      nodeId: deps.nodeId,
      createdAt: now,
      updatedAt: now,
      status: 'dead',
    };
    const flowId = (sourceId !== undefined ? deps.flowIdOf(sourceId) : undefined) ?? deps.flowId;
    if (flowId !== undefined) letter.flowId = flowId;
    if (typeof msg.correlationId === 'string') letter.correlationId = msg.correlationId;
    if (typeof kind === 'string') letter.errorKind = kind;
    await deps.store.addDeadLetter(letter);
    return letter;
  }

  private async emitReplay(item: ReplayItem): Promise<void> {
    const { letter, store } = item;
    try {
      if (this.closed) return;
      // Marked first: a replay that fails again becomes a new letter, never a second copy of this one.
      if (!(await store.setDeadLetterStatus(letter.id, 'replayed', this.deps.now()))) return;
      const msg = reviveMessage(letter.message);
      const prior = (letter.message.retry ?? {}) as Partial<RetryState>;
      const retry: RetryState = { attempt: 1, nextDelayMs: 0, history: [], replayOf: letter.id };
      // The first write may still have committed: the replay must reconcile before writing again.
      if (prior.outcomeUnknown === true) retry.outcomeUnknown = true;
      msg.retry = retry;
      this.replayedCount += 1;
      this.deps.resend(msg);
      this.deps.status(ok(`replayed ${this.replayedCount}`));
    } catch (err) {
      this.deps.reportError(err);
    }
  }
}
