/**
 * The event bus on RabbitMQ (AMQP 0-9-1 through amqplib). One direct exchange; each subscriber group is a durable
 * quorum queue bound to it by topic, so every group gets every event and the members of a group compete for them.
 * Publishing waits for the publisher confirm; members ack manually with a prefetch of their concurrency. A group
 * ordered by key is a single-active-consumer queue: one member takes the events in queue order, the others stand
 * by and take over when its connection ends. A nack holds the message for the delay, then requeues it.
 */
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { busUnavailable } from './errors';
import type { BusConsumer, BusEvent, ConsumeOptions, EventBus, EventHeaders, GroupStats, PublishRequest, RawDelivery } from './types';

export interface RabbitBusOptions {
  url: string;
  /** Prefix of the exchange and queue names. */
  prefix?: string;
  onError?: (err: Error) => void;
  now?: () => number;
}

export const DEFAULT_RABBIT_PREFIX = 'odoo-mw.';

interface WireEvent {
  id: string;
  key?: string;
  payload: unknown;
  headers: EventHeaders;
  at: number;
}

/** The URL without its password, for messages and logs. */
export function redactAmqpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid AMQP URL)';
  }
}

export function createRabbitBus(options: RabbitBusOptions): EventBus {
  const where = redactAmqpUrl(options.url);
  const prefix = options.prefix ?? DEFAULT_RABBIT_PREFIX;
  const exchange = `${prefix}events`;
  const now = options.now ?? Date.now;
  let closed = false;
  let connection: Promise<amqp.ChannelModel> | undefined;
  let confirm: Promise<amqp.ConfirmChannel> | undefined;
  const consumers = new Set<RabbitConsumer>();

  const unavailable = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    return busUnavailable(`RabbitMQ event bus at ${where}: ${message}`, { backend: 'rabbitmq', url: where });
  };

  /** The live connection, opened again on the next use after it was lost. */
  function connect(): Promise<amqp.ChannelModel> {
    if (closed) return Promise.reject(unavailable('the bus is closed'));
    connection ??= amqp.connect(options.url).then(
      (conn) => {
        conn.on('error', (err: Error) => options.onError?.(err));
        conn.on('close', () => {
          connection = undefined;
          confirm = undefined;
        });
        return conn;
      },
      (err: unknown) => {
        connection = undefined;
        throw unavailable(err);
      },
    );
    return connection;
  }

  /** A channel that forgets itself when the broker closes it (a refused declare closes the channel). */
  async function channel<T extends amqp.Channel>(open: (conn: amqp.ChannelModel) => Promise<T>, forget: () => void): Promise<T> {
    const ch = await open(await connect());
    ch.on('error', (err: Error) => options.onError?.(err));
    ch.on('close', forget);
    return ch;
  }

  function confirmChannel(): Promise<amqp.ConfirmChannel> {
    confirm ??= channel(
      async (conn) => {
        const ch = await conn.createConfirmChannel();
        await ch.assertExchange(exchange, 'direct', { durable: true });
        return ch;
      },
      () => (confirm = undefined),
    ).catch((err: unknown) => {
      confirm = undefined;
      throw unavailable(err);
    });
    return confirm;
  }

  /** Runs one passive or declaring operation on a channel of its own, so a refusal closes only that channel. */
  async function onScratchChannel<T>(work: (ch: amqp.Channel) => Promise<T>): Promise<T> {
    const ch = await (await connect()).createChannel();
    ch.on('error', () => undefined);
    try {
      return await work(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  const queueOf = (topic: string, group: string): string => `${prefix}${topic}.${group}`;

  async function declareGroup(topic: string, group: string, ordered: boolean): Promise<void> {
    const args: Record<string, unknown> = { 'x-queue-type': 'quorum' };
    if (ordered) args['x-single-active-consumer'] = true;
    await onScratchChannel(async (ch) => {
      await ch.assertExchange(exchange, 'direct', { durable: true });
      await ch.assertQueue(queueOf(topic, group), { durable: true, arguments: args });
      await ch.bindQueue(queueOf(topic, group), exchange, topic);
    }).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const hint = message.includes('PRECONDITION_FAILED')
        ? ` (the group's queue exists with other settings: a group is either ordered by key or not, on every member)`
        : '';
      throw unavailable(`group ${group} of topic ${topic}: ${message}${hint}`);
    });
  }

  class RabbitConsumer implements BusConsumer {
    private ch: amqp.Channel | undefined;
    private opening: Promise<amqp.Channel> | undefined;
    private readonly buffer: amqp.ConsumeMessage[] = [];
    private waiter: (() => void) | undefined;
    private stopped = false;
    /** Nacked messages waiting out their delay; requeued at once on close. */
    private readonly held = new Map<amqp.ConsumeMessage, { timer: NodeJS.Timeout; ch: amqp.Channel }>();

    constructor(private readonly opts: ConsumeOptions) {}

    private open(): Promise<amqp.Channel> {
      if (this.ch) return Promise.resolve(this.ch);
      this.opening ??= channel(
        async (conn) => {
          const ch = await conn.createChannel();
          await ch.prefetch(this.opts.concurrency);
          await ch.consume(queueOf(this.opts.topic, this.opts.group), (msg) => {
            if (msg === null) return;
            this.buffer.push(msg);
            this.waiter?.();
          }, { noAck: false, consumerTag: `${this.opts.consumer}.${randomUUID()}` });
          return ch;
        },
        () => {
          // Unacked messages of a closed channel go back to the queue: drop their local copies.
          this.ch = undefined;
          this.buffer.length = 0;
        },
      ).then(
        (ch) => {
          this.ch = ch;
          this.opening = undefined;
          return ch;
        },
        (err: unknown) => {
          this.opening = undefined;
          throw unavailable(err);
        },
      );
      return this.opening;
    }

    async receive(max: number, waitMs: number): Promise<RawDelivery[]> {
      if (this.stopped || closed || max <= 0) return [];
      const ch = await this.open();
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, waitMs);
          const self = this;
          function done(): void {
            clearTimeout(timer);
            self.waiter = undefined;
            resolve();
          }
          this.waiter = done;
        });
      }
      if (this.ch !== ch) return [];
      return this.buffer.splice(0, max).map((msg) => this.delivery(ch, msg));
    }

    private delivery(ch: amqp.Channel, msg: amqp.ConsumeMessage): RawDelivery {
      const wire = JSON.parse(msg.content.toString('utf8')) as WireEvent;
      const event: BusEvent = { id: wire.id, topic: this.opts.topic, payload: wire.payload, headers: wire.headers ?? {}, publishedAt: wire.at };
      if (wire.key !== undefined) event.key = wire.key;
      const previous = Number((msg.properties.headers ?? {})['x-delivery-count'] ?? 0);
      let settled = false;
      // Settling on a channel that has closed since is a protocol error; the broker requeued the message already.
      const settle = (action: (c: amqp.Channel) => void): boolean => {
        if (settled || this.ch !== ch) return false;
        settled = true;
        action(ch);
        return true;
      };
      return {
        event,
        group: this.opts.group,
        deliveryCount: (Number.isFinite(previous) ? previous : 0) + 1,
        ack: () => Promise.resolve(settle((c) => c.ack(msg))),
        nack: (delayMs) => {
          if (settled || this.ch !== ch) return Promise.resolve();
          settled = true;
          const timer = setTimeout(() => {
            this.held.delete(msg);
            if (this.ch === ch) ch.nack(msg, false, true);
          }, Math.max(0, delayMs));
          this.held.set(msg, { timer, ch });
          return Promise.resolve();
        },
        abandon: () => {
          settle((c) => c.nack(msg, false, true));
          return Promise.resolve();
        },
      };
    }

    async close(): Promise<void> {
      this.stopped = true;
      consumers.delete(this);
      this.waiter?.();
      for (const [msg, { timer, ch }] of this.held) {
        clearTimeout(timer);
        if (this.ch === ch) ch.nack(msg, false, true);
      }
      this.held.clear();
      const ch = this.ch ?? (await this.opening?.catch(() => undefined));
      this.ch = undefined;
      // Closing the channel requeues whatever it still holds unacked.
      if (ch) await ch.close().catch(() => undefined);
    }
  }

  return {
    backend: 'rabbitmq',
    keyOrderNative: false,

    async publish(req: PublishRequest): Promise<BusEvent> {
      const event: BusEvent = {
        id: req.id ?? randomUUID(),
        topic: req.topic,
        payload: req.payload === undefined ? null : req.payload,
        headers: req.headers ?? {},
        publishedAt: now(),
      };
      if (req.key !== undefined) event.key = req.key;
      const wire: WireEvent = { id: event.id, payload: event.payload, headers: event.headers, at: event.publishedAt };
      if (event.key !== undefined) wire.key = event.key;
      const content = Buffer.from(JSON.stringify(wire));
      if (req.group !== undefined) {
        const queue = queueOf(req.topic, req.group);
        await onScratchChannel((ch) => ch.checkQueue(queue)).catch((err: unknown) => {
          throw unavailable(`group ${req.group} of topic ${req.topic} has no queue (${err instanceof Error ? err.message : String(err)})`);
        });
      }
      const ch = await confirmChannel();
      await new Promise<void>((resolve, reject) => {
        const confirmed = (err: unknown): void => (err ? reject(unavailable(`the broker did not confirm event ${event.id}: ${String(err)}`)) : resolve());
        const props: amqp.Options.Publish = { persistent: true, messageId: event.id, contentType: 'application/json', timestamp: Math.floor(event.publishedAt / 1000) };
        try {
          if (req.group === undefined) ch.publish(exchange, req.topic, content, props, confirmed);
          else ch.sendToQueue(queueOf(req.topic, req.group), content, props, confirmed);
        } catch (err) {
          reject(unavailable(err));
        }
      });
      return event;
    },

    async consume(opts: ConsumeOptions): Promise<BusConsumer> {
      await declareGroup(opts.topic, opts.group, opts.ordered);
      const consumer = new RabbitConsumer(opts);
      consumers.add(consumer);
      return consumer;
    },

    async stats(topic: string, group: string): Promise<GroupStats> {
      const reply = await onScratchChannel((ch) => ch.checkQueue(queueOf(topic, group))).catch((err: unknown) => {
        throw unavailable(err);
      });
      return { depth: reply.messageCount };
    },

    durabilityWarnings: () => Promise.resolve([]),

    async close(): Promise<void> {
      if (closed) return;
      await Promise.all([...consumers].map((c) => c.close()));
      closed = true;
      const conn = await connection?.catch(() => undefined);
      connection = undefined;
      if (conn) await conn.close().catch(() => undefined);
    },
  };
}
