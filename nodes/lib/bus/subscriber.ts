/**
 * One member of a subscriber group, the same on every backend: pulls deliveries up to its concurrency, hands them
 * to the flow with a lease, acks, nacks with the retry policy's backoff, and parks an event in the store's
 * dead-letter queue after its last allowed delivery. Ordered by key on a backend that does not serialise keys
 * itself, events of one key wait here behind the one in hand, and a failed one is retried here so no later event
 * of its key overtakes it. Bus, store, clock, randomness and ids are injected.
 */
import { toMiddlewareError } from '../errors';
import { ReplayQueue, realTimers, type Timers } from '../dlq/replay-queue';
import { nextDelay, type RetryPolicy } from '../retry/policy';
import { summariseError } from '../retry/plan';
import { failed, busy, ok, type NodeStatus } from '../status';
import type { DeadLetter, MiddlewareStore } from '../store/types';
import { deliveryMessage, type EventInfo } from './message';
import type { BusConsumer, EventBus, RawDelivery } from './types';

type Msg = Record<string, unknown>;

export interface SubscriberSettings {
  topic: string;
  group: string;
  concurrency: number;
  leaseMs: number;
  maxDeliveries: number;
  ordered: boolean;
  /** Backoff between deliveries of a failed event (maxAttempts is not used: maxDeliveries decides). */
  backoff: RetryPolicy;
}

export interface SubscriberDeps extends SubscriberSettings {
  bus: EventBus;
  store: MiddlewareStore;
  nodeId: string;
  flowId?: string;
  /** Unique per node and process: the member's name in its group. */
  consumer: string;
  now(): number;
  random(): number;
  newId(): string;
  timers?: Timers;
  /** Sends one event into the flow. */
  deliver(msg: Msg): void;
  status(status: NodeStatus): void;
  /** A background failure (bus unreachable, store refused a dead letter) with the message when there is one. */
  reportError(err: unknown, msg?: Msg): void;
  statusIntervalMs?: number;
}

export type SettleOutcome =
  | { outcome: 'acked' }
  /** Another member may hold it now: the ack came after the lease, or the event was already settled. */
  | { outcome: 'lease_lost' }
  | { outcome: 'retry'; delayMs: number; deliveryCount: number }
  | { outcome: 'dead_lettered'; letterId: string };

interface InHand {
  delivery: RawDelivery;
  deliveryCount: number;
  receipt: string;
  leaseTimer: unknown;
  history: Array<Record<string, unknown>>;
  /** True while waiting out a local retry delay. */
  waiting: boolean;
}

/** Process-wide: event ack finds the subscriber of a delivery by the receipt in `msg.event`. */
const receipts = new Map<string, EventSubscriber>();

export function subscriberOf(receipt: unknown): EventSubscriber | undefined {
  return typeof receipt === 'string' ? receipts.get(receipt) : undefined;
}

const RECEIVE_WAIT_MS = 1000;
/** Failure histories of events handed back to the group, kept for when this member gets them again. */
const MAX_REMEMBERED_FAILURES = 10_000;
const ERROR_PAUSE_MS = 2000;
const DEFAULT_STATUS_INTERVAL_MS = 2000;
const STATUS_SOON_MS = 250;

export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}

export class EventSubscriber {
  private consumer: BusConsumer | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  /** Deliveries received and not settled: with the flow, waiting behind their key, or waiting to retry. */
  private readonly inHand = new Map<string, InHand>();
  /** Ordered without native key order: the queue of each key, its head being the one in hand. */
  private readonly keyQueues = new Map<string, InHand[]>();
  private slotFreed: (() => void) | undefined;
  private readonly timers: Timers;
  private readonly replays: ReplayQueue<{ letter: DeadLetter; store: MiddlewareStore }>;
  private statusTimer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private acked = 0;
  private dead = 0;
  /** Ordered without native key order: failures and ended leases are retried here, never handed back. */
  private readonly localRetry: boolean;
  private readonly failures = new Map<string, Array<Record<string, unknown>>>();

  constructor(private readonly deps: SubscriberDeps) {
    this.timers = deps.timers ?? realTimers;
    this.localRetry = deps.ordered && !deps.bus.keyOrderNative;
    this.replays = new ReplayQueue(10, (item) => this.replay(item.letter, item.store), this.timers);
  }

  get inFlight(): number {
    return this.inHand.size;
  }

  /** Joins the group (creating it) and starts pulling; rejects when the bus refuses the group. */
  async start(): Promise<void> {
    const { deps } = this;
    this.consumer = await deps.bus.consume({
      topic: deps.topic,
      group: deps.group,
      consumer: deps.consumer,
      concurrency: deps.concurrency,
      leaseMs: deps.leaseMs,
      ordered: deps.ordered,
    });
    if (this.closed) {
      await this.consumer.close();
      return;
    }
    this.running = this.loop();
    this.statusTimer = setInterval(() => void this.refreshStatus(), deps.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    void this.refreshStatus();
  }

  private async loop(): Promise<void> {
    const consumer = this.consumer as BusConsumer;
    while (!this.closed) {
      const free = this.deps.concurrency - this.inHand.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        this.slotFreed = undefined;
        continue;
      }
      let batch: RawDelivery[];
      try {
        batch = await consumer.receive(free, RECEIVE_WAIT_MS);
        this.lastError = undefined;
      } catch (err) {
        this.fail(err);
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
        continue;
      }
      for (const delivery of batch) this.accept(delivery);
    }
  }

  private fail(err: unknown, msg?: Msg): void {
    const e = toMiddlewareError(err);
    if (this.lastError !== e.message) this.deps.reportError(e, msg);
    this.lastError = e.message;
    this.deps.status(failed(e.kind === 'bus_unavailable' ? 'bus unavailable' : e.kind));
  }

  private accept(delivery: RawDelivery): void {
    const history = this.failures.get(delivery.event.id) ?? [];
    const hand: InHand = { delivery, deliveryCount: delivery.deliveryCount, receipt: '', leaseTimer: undefined, history, waiting: false };
    if (this.closed) {
      void delivery.abandon().catch(() => undefined);
      return;
    }
    // The same event twice at once (a claim pass met it just before its local lease ended): the one in hand wins.
    for (const other of this.inHand.values()) if (other.delivery.event.id === delivery.event.id) return;
    this.inHand.set(this.deps.newId(), hand);
    // Delivered more often than allowed without anyone settling it (a member crashed on it each time).
    if (hand.deliveryCount > this.deps.maxDeliveries) {
      hand.history.push({ message: `delivered ${hand.deliveryCount - 1} times without an ack before its lease ended`, reason: 'lease_expired' });
      void this.deadLetter(hand, 'lease_expired');
      return;
    }
    const key = delivery.event.key;
    if (this.localRetry && key !== undefined) {
      const queue = this.keyQueues.get(key);
      if (queue) {
        queue.push(hand);
        return;
      }
      this.keyQueues.set(key, [hand]);
    }
    this.hand(hand);
  }

  /** Gives the flow the event with a fresh receipt and starts its lease. */
  private hand(hand: InHand): void {
    hand.receipt = this.deps.newId();
    hand.waiting = false;
    receipts.set(hand.receipt, this);
    hand.leaseTimer = this.timers.setTimeout(() => this.leaseEnded(hand), this.deps.leaseMs);
    const { event, group } = hand.delivery;
    const info: EventInfo = {
      id: event.id,
      topic: event.topic,
      group,
      deliveryCount: hand.deliveryCount,
      publishedAt: event.publishedAt,
      receipt: hand.receipt,
    };
    if (event.key !== undefined) info.key = event.key;
    this.deps.deliver(deliveryMessage(event, info));
  }

  private forgetReceipt(hand: InHand): void {
    this.timers.clearTimeout(hand.leaseTimer);
    receipts.delete(hand.receipt);
  }

  /** Removes a settled delivery and lets the next one of its key go; `handedBack` keeps its failure history. */
  private release(hand: InHand, handedBack = false): void {
    this.failures.delete(hand.delivery.event.id);
    if (handedBack && hand.history.length > 0) {
      if (this.failures.size >= MAX_REMEMBERED_FAILURES) this.failures.delete(this.failures.keys().next().value as string);
      this.failures.set(hand.delivery.event.id, hand.history);
    }
    for (const [id, h] of this.inHand) {
      if (h === hand) {
        this.inHand.delete(id);
        break;
      }
    }
    const key = hand.delivery.event.key;
    const queue = key !== undefined ? this.keyQueues.get(key) : undefined;
    if (queue && queue[0] === hand) {
      queue.shift();
      if (queue.length === 0) this.keyQueues.delete(key as string);
      else if (!this.closed) this.hand(queue[0]);
    }
    this.slotFreed?.();
    this.refreshSoon();
  }

  /** A settle changes depth: redraw shortly, once however many settle meanwhile. */
  private refreshSoon(): void {
    if (this.soonTimer || this.closed) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.refreshStatus();
    }, STATUS_SOON_MS);
    this.soonTimer.unref();
  }

  private find(receipt: unknown): InHand | undefined {
    if (typeof receipt !== 'string') return undefined;
    for (const hand of this.inHand.values()) if (hand.receipt === receipt && !hand.waiting) return hand;
    return undefined;
  }

  /** The flow handled the event. */
  async ack(receipt: unknown): Promise<SettleOutcome> {
    const hand = this.find(receipt);
    if (!hand) return { outcome: 'lease_lost' };
    this.forgetReceipt(hand);
    try {
      const acked = await hand.delivery.ack();
      this.acked += 1;
      return acked ? { outcome: 'acked' } : { outcome: 'lease_lost' };
    } finally {
      this.release(hand);
    }
  }

  /** The flow failed on the event: deliver it again after the backoff, or park it after its last delivery. */
  async nack(receipt: unknown, error: unknown): Promise<SettleOutcome> {
    const hand = this.find(receipt);
    if (!hand) return { outcome: 'lease_lost' };
    this.forgetReceipt(hand);
    hand.history.push({ deliveryCount: hand.deliveryCount, at: this.deps.now(), error: summariseError(error, undefined) });
    return this.retryOrPark(hand, 'max_deliveries');
  }

  private async retryOrPark(hand: InHand, reason: string): Promise<SettleOutcome> {
    if (hand.deliveryCount >= this.deps.maxDeliveries) return this.deadLetter(hand, reason);
    const delayMs = nextDelay(hand.deliveryCount, this.deps.backoff, this.deps.random);
    if (this.localRetry) {
      // Kept in hand (and at the head of its key) so no later event of the key overtakes it.
      hand.waiting = true;
      hand.leaseTimer = this.timers.setTimeout(() => {
        if (this.closed) return;
        hand.deliveryCount += 1;
        this.hand(hand);
      }, delayMs);
      return { outcome: 'retry', delayMs, deliveryCount: hand.deliveryCount + 1 };
    }
    try {
      await hand.delivery.nack(delayMs);
    } catch (err) {
      this.fail(err);
    } finally {
      this.release(hand, true);
    }
    return { outcome: 'retry', delayMs, deliveryCount: hand.deliveryCount + 1 };
  }

  /** Nobody acked within the lease: the group may have it again (or, in local key order, it is retried here). */
  private leaseEnded(hand: InHand): void {
    if (this.closed) return;
    receipts.delete(hand.receipt);
    hand.history.push({ deliveryCount: hand.deliveryCount, at: this.deps.now(), error: { message: `not acknowledged within the lease of ${this.deps.leaseMs} ms`, reason: 'lease_expired' } });
    if (this.localRetry) {
      void this.retryOrPark(hand, 'lease_expired');
      return;
    }
    hand.delivery.abandon().then(
      () => this.release(hand, true),
      (err: unknown) => {
        this.fail(err);
        this.release(hand, true);
      },
    );
  }

  private async deadLetter(hand: InHand, reason: string): Promise<SettleOutcome> {
    const { deps } = this;
    const { event, group } = hand.delivery;
    const now = deps.now();
    const last = (hand.history[hand.history.length - 1]?.error ?? hand.history[hand.history.length - 1] ?? {}) as Record<string, unknown>;
    const info: Record<string, unknown> = { id: event.id, topic: event.topic, group, deliveryCount: hand.deliveryCount, publishedAt: event.publishedAt };
    if (event.key !== undefined) info.key = event.key;
    const message: Record<string, unknown> = { topic: event.topic, payload: event.payload, event: info };
    if (event.headers.correlationId) message.correlationId = event.headers.correlationId;
    if (event.headers.traceparent) message.traceparent = event.headers.traceparent;
    const kind = ((last.cause as Record<string, unknown> | undefined)?.kind as string | undefined) ?? (reason === 'lease_expired' ? 'lease_expired' : undefined);
    const letter: DeadLetter = {
      id: deps.newId(),
      message,
      droppedPaths: [],
      error: { ...last, reason, maxDeliveries: deps.maxDeliveries },
      history: hand.history,
      nodeId: deps.nodeId,
      createdAt: now,
      updatedAt: now,
      status: 'dead',
    };
    if (deps.flowId !== undefined) letter.flowId = deps.flowId;
    if (event.headers.correlationId) letter.correlationId = event.headers.correlationId;
    if (kind !== undefined) letter.errorKind = kind;
    try {
      await deps.store.addDeadLetter(letter);
    } catch (err) {
      // Not parked, so not acked either: the group gets it again after the backoff.
      this.fail(err, message);
      await hand.delivery.nack(nextDelay(hand.deliveryCount, deps.backoff, deps.random)).catch(() => undefined);
      this.release(hand, true);
      return { outcome: 'retry', delayMs: 0, deliveryCount: hand.deliveryCount + 1 };
    }
    try {
      await hand.delivery.ack();
    } catch (err) {
      this.fail(err, message);
    }
    this.dead += 1;
    this.release(hand);
    return { outcome: 'dead_lettered', letterId: letter.id };
  }

  /** For the dead-letter registry: re-delivers a parked event to this group only. */
  enqueueReplay(letter: DeadLetter, store: MiddlewareStore): boolean {
    return this.replays.push(letter.id, { letter, store });
  }

  private async replay(letter: DeadLetter, store: MiddlewareStore): Promise<void> {
    if (this.closed) return;
    const message = letter.message;
    const info = (message.event ?? {}) as Record<string, unknown>;
    try {
      // Published before it is marked: a crash in between replays it twice rather than never.
      await this.deps.bus.publish({
        topic: this.deps.topic,
        group: this.deps.group,
        id: typeof info.id === 'string' ? info.id : undefined,
        key: typeof info.key === 'string' ? info.key : undefined,
        payload: message.payload,
        headers: {
          ...(typeof message.correlationId === 'string' ? { correlationId: message.correlationId } : {}),
          ...(typeof message.traceparent === 'string' ? { traceparent: message.traceparent } : {}),
        },
      });
      await store.setDeadLetterStatus(letter.id, 'replayed', this.deps.now());
    } catch (err) {
      this.fail(err);
    }
  }

  private async refreshStatus(): Promise<void> {
    if (this.closed || this.lastError !== undefined) return;
    try {
      const stats = await this.deps.bus.stats(this.deps.topic, this.deps.group);
      if (this.closed) return;
      let lag = stats.oldestAgeMs;
      if (lag === undefined && this.inHand.size > 0) {
        lag = this.deps.now() - Math.min(...[...this.inHand.values()].map((h) => h.delivery.event.publishedAt));
      }
      const parts = [`depth ${stats.depth}`];
      if (lag !== undefined || stats.depth === 0) parts.push(`lag ${formatAge(lag ?? 0)}`);
      if (this.dead > 0) parts.push(`dead ${this.dead}`);
      const text = this.inHand.size > 0 ? `${this.inHand.size} in flight, ${parts.join(', ')}` : parts.join(', ');
      this.deps.status(this.inHand.size > 0 ? busy(text) : ok(text));
    } catch (err) {
      this.fail(err);
    }
  }

  /** Stops pulling; what is still in hand goes back to the group at once. */
  async close(): Promise<void> {
    this.closed = true;
    this.replays.close();
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.slotFreed?.();
    const hands = [...this.inHand.values()];
    this.inHand.clear();
    this.keyQueues.clear();
    for (const hand of hands) this.forgetReceipt(hand);
    await Promise.all(hands.map((hand) => hand.delivery.abandon().catch(() => undefined)));
    await this.consumer?.close();
    await this.running;
  }
}
