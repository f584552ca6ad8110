/**
 * Event bus throughput end to end through the real nodes in an embedded Node-RED runtime: event publish (resolved
 * once durable) -> bus -> event subscribe (concurrency 64) -> event ack -> sink, 100 events in flight, for the
 * SQLite, Redis and RabbitMQ backends. A figure is events acked per second.
 */
import * as path from 'node:path';
import { deploy, makeUserDir, SINK_TYPE, startRedIn, throughput, type EmbeddedRed } from '../test/helpers/embedded-red';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';
import { RABBITMQ_URL, deleteRabbitObjects, rabbitAvailable, uniqueRabbitPrefix } from '../test/helpers/rabbitmq';

const EVENTS = 5_000;
const WARM_UP = 500;

async function eventsPerSecond(RED: EmbeddedRed, bus: Record<string, unknown>, storePath: string, credentials: Record<string, string> = {}): Promise<number> {
  await deploy(
    RED,
    [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-bus', type: 'event-bus', ...bus, credentials },
      { id: 'bench-store', type: 'middleware-store', backend: 'sqlite', path: storePath },
      { id: 'bench-pub', type: 'event-publish', z: 'bench-tab', bus: 'bench-bus', topic: 'bench.order', key: 'payload.id', keyType: 'msg', wires: [[]] },
      {
        id: 'bench-sub', type: 'event-subscribe', z: 'bench-tab', bus: 'bench-bus', store: 'bench-store', topic: 'bench.order', group: 'bench',
        concurrency: 64, leaseSeconds: 60, maxDeliveries: 5, ordered: false, wires: [['bench-ack']],
      },
      { id: 'bench-ack', type: 'event-ack', z: 'bench-tab', action: 'ack', wires: [['bench-out']] },
      { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
    ],
    'bench-pub',
  );
  // The subscriber joins its group once the flows have started; give it a moment before the first event.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const order = (i: number) => ({ payload: { id: `SO${i}`, total: i, lines: [{ sku: 'A', qty: 1 }] } });
  await throughput(RED, 'bench-pub', WARM_UP, order);
  return throughput(RED, 'bench-pub', EVENTS, order);
}

export async function benchBus(): Promise<Record<string, number>> {
  const dir = makeUserDir('mw-bench-bus-', ['event-bus', 'event-publish', 'event-subscribe', 'event-ack', 'middleware-store'], { sink: true });
  const RED = await startRedIn(dir);
  const redisPrefix = uniqueKeyPrefix('bench-bus');
  const rabbitPrefix = uniqueRabbitPrefix('bench');
  const withRedis = await redisAvailable();
  const withRabbit = await rabbitAvailable();
  const storePath = path.join(dir.work, 'store.sqlite');
  try {
    const figures: Record<string, number> = {
      bus_events_per_s_sqlite: Math.round(await eventsPerSecond(RED, { backend: 'sqlite', path: path.join(dir.work, 'events.sqlite') }, storePath)),
    };
    if (withRedis) {
      figures.bus_events_per_s_redis = Math.round(await eventsPerSecond(RED, { backend: 'redis', url: REDIS_URL, keyPrefix: redisPrefix }, storePath));
    } else console.error(`bus_events_per_s_redis not measured: no Redis at ${REDIS_URL}`);
    if (withRabbit) {
      const url = new URL(RABBITMQ_URL);
      const login = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
      url.username = '';
      url.password = '';
      figures.bus_events_per_s_rabbitmq = Math.round(
        await eventsPerSecond(RED, { backend: 'rabbitmq', amqpUrl: url.toString(), amqpPrefix: rabbitPrefix }, storePath, login),
      );
    } else console.error(`bus_events_per_s_rabbitmq not measured: no RabbitMQ at ${RABBITMQ_URL}`);
    return figures;
  } finally {
    await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
    await RED.stop();
    dir.remove();
    if (withRedis) await deleteKeys(redisPrefix);
    if (withRabbit) await deleteRabbitObjects(rabbitPrefix, [`${rabbitPrefix}bench.order.bench`]);
  }
}
