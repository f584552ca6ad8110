/**
 * One behaviour contract for the event bus, run against a SQLite file, a real Redis and a real RabbitMQ: fan-out
 * per group, competing members, leases, nack with backoff, dead letters and replay, concurrency, order by key,
 * durability across a restart, depth. The subscriber logic (nodes/lib/bus/subscriber.ts) is the same on all three.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRabbitBus, createRedisBus, createSqliteBus, type EventBus, type RawDelivery } from '../../../nodes/lib/bus';
import { EventSubscriber, subscriberOf, type SubscriberSettings } from '../../../nodes/lib/bus/subscriber';
import type { EventInfo } from '../../../nodes/lib/bus/message';
import { createSqliteStore } from '../../../nodes/lib/store';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';
import { RABBITMQ_URL, deleteRabbitObjects, requireRabbit, uniqueRabbitPrefix } from '../../helpers/rabbitmq';

interface Backend {
  name: 'sqlite' | 'redis' | 'rabbitmq';
  before(ctx: Mocha.Context): Promise<void>;
  /** A bus instance as one process would hold it; several may be open at once (several members). */
  open(): EventBus;
  after(): Promise<void>;
}

type Msg = Record<string, unknown> & { event: EventInfo; payload: unknown };

const TOPICS = ['orders', 'lease', 'dead', 'conc', 'ordered', 'ordfail', 'takeover', 'durable', 'depth', 'trace'];
const GROUPS = ['tax', 'warehouse', 'g'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const FAST_BACKOFF = { maxAttempts: 1, baseDelayMs: 50, maxDelayMs: 50, multiplier: 1, maxTotalMs: 60_000 };

function conformance(backend: Backend): void {
  describe(`event bus conformance: ${backend.name}`, function () {
    this.timeout(30_000);
    let buses: EventBus[] = [];
    let subscribers: EventSubscriber[] = [];
    let store: MiddlewareStore;

    before(async function () {
      await backend.before(this);
    });
    after(() => backend.after());

    beforeEach(() => {
      store = createSqliteStore({ path: ':memory:' });
    });

    afterEach(async () => {
      for (const s of subscribers) await s.close();
      for (const b of buses) await b.close();
      subscribers = [];
      buses = [];
      await store.close();
    });

    function bus(): EventBus {
      const b = backend.open();
      buses.push(b);
      return b;
    }

    async function subscribe(
      on: EventBus,
      settings: Partial<SubscriberSettings> & { topic: string; group: string },
      handle: (msg: Msg, sub: EventSubscriber) => void,
    ): Promise<EventSubscriber> {
      const errors: unknown[] = [];
      const sub: EventSubscriber = new EventSubscriber({
        concurrency: 10,
        leaseMs: 5000,
        maxDeliveries: 5,
        ordered: false,
        backoff: FAST_BACKOFF,
        ...settings,
        bus: on,
        store,
        nodeId: `node-${settings.group}`,
        consumer: `member-${randomUUID()}`,
        now: Date.now,
        random: () => 1,
        newId: randomUUID,
        deliver: (msg) => handle(msg as Msg, sub),
        status: () => undefined,
        reportError: (err) => errors.push(err),
        statusIntervalMs: 60_000,
      });
      subscribers.push(sub);
      await sub.start();
      return sub;
    }

    it('delivers every event to every group, once per group, shared among the members of a group', async () => {
      const publisher = bus();
      const seen: Record<string, string[]> = { tax1: [], tax2: [], warehouse: [] };
      // Handling takes a while, so one member cannot take everything before the other asks.
      const record = (name: string) => (msg: Msg, sub: EventSubscriber) => {
        seen[name].push(String((msg.payload as { n: number }).n));
        setTimeout(() => void sub.ack(msg.event.receipt), 5);
      };
      await subscribe(bus(), { topic: 'orders', group: 'tax', concurrency: 2 }, record('tax1'));
      await subscribe(bus(), { topic: 'orders', group: 'tax', concurrency: 2 }, record('tax2'));
      await subscribe(bus(), { topic: 'orders', group: 'warehouse' }, record('warehouse'));
      for (let n = 0; n < 40; n++) await publisher.publish({ topic: 'orders', payload: { n } });
      await until(() => seen.tax1.length + seen.tax2.length === 40 && seen.warehouse.length === 40, 'all deliveries');
      await sleep(200);
      const tax = [...seen.tax1, ...seen.tax2].sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(tax, Array.from({ length: 40 }, (_, n) => String(n)), 'each event once in the tax group');
      assert.equal(seen.warehouse.length, 40);
      assert.ok(seen.tax1.length > 0 && seen.tax2.length > 0, `both tax members took work (${seen.tax1.length}/${seen.tax2.length})`);
    });

    it('sets msg.event and carries the correlation id and traceparent', async () => {
      const got: Msg[] = [];
      await subscribe(bus(), { topic: 'trace', group: 'g' }, (msg, sub) => {
        got.push(msg);
        void sub.ack(msg.event.receipt);
      });
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const published = await bus().publish({ topic: 'trace', key: 'SO042', payload: { a: 1 }, headers: { correlationId: 'corr-1', traceparent } });
      await until(() => got.length === 1, 'the event');
      const msg = got[0];
      assert.deepEqual(msg.payload, { a: 1 });
      assert.equal(msg.event.id, published.id);
      assert.equal(msg.event.topic, 'trace');
      assert.equal(msg.event.key, 'SO042');
      assert.equal(msg.event.group, 'g');
      assert.equal(msg.event.deliveryCount, 1);
      assert.equal(msg.event.publishedAt, published.publishedAt);
      assert.equal(msg.correlationId, 'corr-1');
      assert.equal((msg.trace as { traceparent: string }).traceparent, traceparent);
      assert.equal((msg.trace as { traceId: string }).traceId, '0af7651916cd43dd8448eb211c80319c');
    });

    it('delivers an event another member took and never acked once the lease ends, counting the delivery', async () => {
      const crashed = bus();
      const leaseMs = 400;
      // A member that takes one event and then hangs: no ack, no lease timer of its own.
      const raw = await crashed.consume({ topic: 'lease', group: 'g', consumer: 'hung', concurrency: 1, leaseMs, ordered: false });
      await bus().publish({ topic: 'lease', payload: 'x' });
      let taken: RawDelivery[] = [];
      while (taken.length === 0) taken = await raw.receive(1, 200);
      assert.equal(taken[0].deliveryCount, 1);
      if (backend.name === 'rabbitmq') await crashed.close();
      const got: Msg[] = [];
      await subscribe(bus(), { topic: 'lease', group: 'g', leaseMs }, (msg, sub) => {
        got.push(msg);
        void sub.ack(msg.event.receipt);
      });
      await until(() => got.length === 1, 'the redelivery');
      assert.equal(got[0].payload, 'x');
      assert.equal(got[0].event.deliveryCount, 2);
    }).timeout(15_000);

    it('nacks with the backoff and parks the event in the dead-letter queue after max deliveries; replay re-delivers to the group only', async () => {
      const deliveries: number[] = [];
      const others: Msg[] = [];
      const sub = await subscribe(bus(), { topic: 'dead', group: 'tax', maxDeliveries: 3 }, (msg, s) => {
        deliveries.push(msg.event.deliveryCount);
        if (deliveries.length <= 3) void s.nack(msg.event.receipt, Object.assign(new Error('odoo down'), { code: 'ODOO_UNAVAILABLE' }));
        else void s.ack(msg.event.receipt);
      });
      await subscribe(bus(), { topic: 'dead', group: 'warehouse' }, (msg, s) => {
        others.push(msg);
        void s.ack(msg.event.receipt);
      });
      const published = await bus().publish({ topic: 'dead', key: 'k1', payload: { order: 7 }, headers: { correlationId: 'c-7' } });
      let letters = await store.listDeadLetters({});
      await until(() => deliveries.length === 3, 'three deliveries');
      for (let i = 0; i < 100 && letters.total === 0; i++) {
        await sleep(20);
        letters = await store.listDeadLetters({});
      }
      assert.deepEqual(deliveries, [1, 2, 3]);
      assert.equal(letters.total, 1);
      const letter = letters.items[0];
      assert.equal(letter.nodeId, 'node-tax');
      assert.equal(letter.correlationId, 'c-7');
      assert.equal(letter.error.reason, 'max_deliveries');
      assert.equal(letter.history.length, 3);
      assert.deepEqual(letter.message.payload, { order: 7 });
      assert.equal((letter.message.event as { id: string }).id, published.id);
      await until(() => others.length === 1, 'the other group');

      assert.ok(sub.enqueueReplay(letter, store));
      await until(() => deliveries.length === 4, 'the replay');
      await sleep(300);
      assert.equal(others.length, 1, 'a replay goes to the group that parked it only');
      assert.equal((await store.getDeadLetter(letter.id))?.status, 'replayed');
    });

    it('keeps at most `concurrency` events in flight at a member', async () => {
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      await subscribe(bus(), { topic: 'conc', group: 'g', concurrency: 3 }, (msg, sub) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        setTimeout(() => {
          inFlight -= 1;
          done += 1;
          void sub.ack(msg.event.receipt);
        }, 30);
      });
      const publisher = bus();
      await Promise.all(Array.from({ length: 20 }, (_, n) => publisher.publish({ topic: 'conc', payload: n })));
      await until(() => done === 20, 'all handled');
      assert.equal(peak, 3);
    });

    it('ordered by key: one event of a key at a time, in publish order, across members', async () => {
      const keys = ['A', 'B', 'C'];
      const handled: Record<string, number[]> = { A: [], B: [], C: [] };
      const busyKeys = new Set<string>();
      let overlap = 0;
      let total = 0;
      const handler = (msg: Msg, sub: EventSubscriber): void => {
        const key = msg.event.key as string;
        if (busyKeys.has(key)) overlap += 1;
        busyKeys.add(key);
        setTimeout(() => {
          busyKeys.delete(key);
          handled[key].push((msg.payload as { seq: number }).seq);
          total += 1;
          void sub.ack(msg.event.receipt);
        }, Math.floor(Math.random() * 15));
      };
      await subscribe(bus(), { topic: 'ordered', group: 'g', ordered: true, concurrency: 5 }, handler);
      await subscribe(bus(), { topic: 'ordered', group: 'g', ordered: true, concurrency: 5 }, handler);
      const publisher = bus();
      for (let seq = 0; seq < 45; seq++) await publisher.publish({ topic: 'ordered', key: keys[seq % 3], payload: { seq } });
      await until(() => total === 45, 'all handled', 20_000);
      assert.equal(overlap, 0, 'never two events of one key at once');
      for (const [i, key] of keys.entries()) {
        assert.deepEqual(handled[key], Array.from({ length: 15 }, (_, n) => n * 3 + i), `key ${key} in publish order`);
      }
    });

    it('ordered by key: a failed event is retried before any later event of its key', async () => {
      const order: string[] = [];
      let failedOnce = false;
      await subscribe(bus(), { topic: 'ordfail', group: 'g', ordered: true, concurrency: 4 }, (msg, sub) => {
        const label = `${msg.event.key}${(msg.payload as { seq: number }).seq}#${msg.event.deliveryCount}`;
        order.push(label);
        if (label === 'K0#1' && !failedOnce) {
          failedOnce = true;
          void sub.nack(msg.event.receipt, new Error('first try fails'));
        } else void sub.ack(msg.event.receipt);
      });
      const publisher = bus();
      for (let seq = 0; seq < 3; seq++) await publisher.publish({ topic: 'ordfail', key: 'K', payload: { seq } });
      await until(() => order.length === 4, 'four handlings');
      assert.deepEqual(order, ['K0#1', 'K0#2', 'K1#1', 'K2#1']);
    });

    it('ordered by key: when the member holding a key dies, the next one delivers that event first, then the later ones', async () => {
      const leaseMs = 400;
      const crashed = bus();
      const raw = await crashed.consume({ topic: 'takeover', group: 'g', consumer: 'dies', concurrency: 1, leaseMs, ordered: true });
      const publisher = bus();
      for (let seq = 0; seq < 3; seq++) await publisher.publish({ topic: 'takeover', key: 'K', payload: { seq } });
      let taken: RawDelivery[] = [];
      while (taken.length === 0) taken = await raw.receive(1, 200);
      assert.equal((taken[0].event.payload as { seq: number }).seq, 0);
      // SQLite: the member just hangs; Redis and RabbitMQ: its connection ends without an ack.
      if (backend.name !== 'sqlite') await crashed.close();
      const order: string[] = [];
      await subscribe(bus(), { topic: 'takeover', group: 'g', ordered: true, leaseMs, concurrency: 4 }, (msg, sub) => {
        order.push(`${(msg.payload as { seq: number }).seq}#${msg.event.deliveryCount}`);
        void sub.ack(msg.event.receipt);
      });
      await until(() => order.length === 3, 'three deliveries');
      assert.deepEqual(order, ['0#2', '1#1', '2#1']);
    }).timeout(15_000);

    it('keeps a published event across a restart of the bus', async () => {
      const first = bus();
      const sub = await subscribe(first, { topic: 'durable', group: 'g' }, () => undefined);
      await sub.close();
      await first.publish({ topic: 'durable', payload: 'kept' });
      await first.close();
      const got: Msg[] = [];
      await subscribe(bus(), { topic: 'durable', group: 'g' }, (msg, s) => {
        got.push(msg);
        void s.ack(msg.event.receipt);
      });
      await until(() => got.length === 1, 'the event after the restart');
      assert.equal(got[0].payload, 'kept');
    });

    it('reports the depth of a group and acks through the receipt', async () => {
      const held: Msg[] = [];
      await subscribe(bus(), { topic: 'depth', group: 'g', concurrency: 2 }, (msg) => held.push(msg));
      const publisher = bus();
      for (let n = 0; n < 5; n++) await publisher.publish({ topic: 'depth', payload: n });
      await until(() => held.length === 2, 'two in flight');
      const before = await publisher.stats('depth', 'g');
      assert.ok(before.depth >= 3 && before.depth <= 5, `depth ${before.depth}`);
      const sub = subscriberOf(held[0].event.receipt) as EventSubscriber;
      assert.deepEqual(await sub.ack(held[0].event.receipt), { outcome: 'acked' });
      assert.deepEqual(await sub.ack(held[0].event.receipt), { outcome: 'lease_lost' }, 'a second ack finds nothing in hand');
      await until(() => held.length === 5 || held.length === 3, 'more deliveries');
      for (const msg of held.slice(1)) await sub.ack(msg.event.receipt);
      await until(() => held.length === 5, 'all five');
      for (const msg of held.slice(3)) await sub.ack(msg.event.receipt);
      let after = await publisher.stats('depth', 'g');
      for (let i = 0; i < 50 && after.depth > 0; i++) {
        await sleep(20);
        after = await publisher.stats('depth', 'g');
      }
      assert.equal(after.depth, 0);
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-conformance-'));
let sqliteFile = '';
conformance({
  name: 'sqlite',
  before: () => Promise.resolve(),
  open: () => {
    sqliteFile ||= path.join(dir, `bus-${randomUUID()}.sqlite`);
    return createSqliteBus({ path: sqliteFile, pollMs: 20 });
  },
  after: () => {
    fs.rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  },
});

const redisPrefix = uniqueKeyPrefix('bus');
conformance({
  name: 'redis',
  before: (ctx) => requireRedis(ctx),
  open: () => createRedisBus({ url: REDIS_URL, keyPrefix: redisPrefix }),
  after: () => deleteKeys(redisPrefix),
});

const rabbitPrefix = uniqueRabbitPrefix('bus');
conformance({
  name: 'rabbitmq',
  before: (ctx) => requireRabbit(ctx),
  open: () => createRabbitBus({ url: RABBITMQ_URL, prefix: rabbitPrefix }),
  after: () => deleteRabbitObjects(rabbitPrefix, TOPICS.flatMap((t) => GROUPS.map((g) => `${rabbitPrefix}${t}.${g}`))),
});
