/**
 * The event bus: topics, subscriber groups, at-least-once delivery with a lease. One interface, three backends
 * (SQLite, Redis Streams, RabbitMQ); the subscriber logic above it (concurrency, ordering, retry, dead letters)
 * is shared and lives in subscriber.ts.
 */

/** What travels with an event besides its payload. */
export interface EventHeaders {
  correlationId?: string;
  traceparent?: string;
}

export interface PublishRequest {
  topic: string;
  /** Events with the same key are handled in publish order by a group that subscribes ordered by key. */
  key?: string;
  payload: unknown;
  headers?: EventHeaders;
  /** Kept when given (a replay re-delivers the same event); a new UUID otherwise. */
  id?: string;
  /** Deliver to this group only (a dead-letter replay); every group of the topic otherwise. */
  group?: string;
}

export interface BusEvent {
  id: string;
  topic: string;
  key?: string;
  payload: unknown;
  headers: EventHeaders;
  /** Epoch milliseconds. */
  publishedAt: number;
}

/** One delivery of an event to one member of a group, as the backend hands it out. */
export interface RawDelivery {
  event: BusEvent;
  group: string;
  /** 1 on the first delivery to the group, counting redeliveries after a nack or an ended lease. */
  deliveryCount: number;
  /** Removes the event from the group; false when its lease had ended and another member may hold it. */
  ack(): Promise<boolean>;
  /** Hands the event back to the group, to be delivered again no sooner than `delayMs` from now. */
  nack(delayMs: number): Promise<void>;
  /** The member stopped waiting for the flow (lease ended locally): let the group have it again now. */
  abandon(): Promise<void>;
}

export interface ConsumeOptions {
  topic: string;
  group: string;
  /** Names this member within the group (unique per node and process). */
  consumer: string;
  /** At most this many deliveries are out at this member at once (RabbitMQ prefetch). */
  concurrency: number;
  leaseMs: number;
  ordered: boolean;
}

/** A member of a group, pulling deliveries. */
export interface BusConsumer {
  /**
   * Up to `max` deliveries, waiting at most `waitMs` for the first; fewer (or none) is normal.
   * Never more than the concurrency given at consume, counting deliveries not yet settled.
   */
  receive(max: number, waitMs: number): Promise<RawDelivery[]>;
  close(): Promise<void>;
}

export interface GroupStats {
  /** Events of the topic the group has not acknowledged yet (RabbitMQ: waiting ones only). */
  depth: number;
  /** Age in ms of the oldest event the group has not acknowledged; undefined when the backend cannot tell. */
  oldestAgeMs?: number;
}

export type BusBackendName = 'sqlite' | 'redis' | 'rabbitmq';

export interface EventBus {
  readonly backend: BusBackendName;
  /** Resolves once the event is durable: SQLite commit, Redis reply, RabbitMQ publisher confirm. */
  publish(req: PublishRequest): Promise<BusEvent>;
  /**
   * Creates the group if it does not exist yet (it receives events published from then on) and joins it.
   * `keyOrderNative`: the backend itself never hands out an event while an earlier one of the same key is
   * unacknowledged in the group (SQLite); otherwise the group has one active member at a time (Redis lock,
   * RabbitMQ single active consumer) and the subscriber serialises keys itself.
   */
  consume(opts: ConsumeOptions): Promise<BusConsumer>;
  readonly keyOrderNative: boolean;
  stats(topic: string, group: string): Promise<GroupStats>;
  /** Why this deployment may lose events (Redis without appendonly); empty when none. */
  durabilityWarnings(): Promise<string[]>;
  close(): Promise<void>;
}
