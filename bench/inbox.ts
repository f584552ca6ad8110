/**
 * webhook-in's durable inbox: signed webhooks accepted durably per second (202 sent only once the event is on the
 * bus), 20,000 requests from 64 concurrent keep-alive senders, through a full embedded Node-RED with its HTTP
 * server on loopback. The flow behind it (inbox -> event ack) runs meanwhile, in the same process, as users run
 * it. The senders run in a child process (webhook-senders.ts): real senders are other machines, and their HMAC and
 * HTTP client work does not belong on the event loop being measured. Per bus backend: SQLite, Redis, RabbitMQ;
 * and SQLite once more with replay protection on (`_replay`: each delivery id claimed in the SQLite middleware
 * store before the publish and marked done after it).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { makeUserDir, nodeRed, SINK_TYPE, startRed, waitForNode, type EmbeddedRed } from '../test/helpers/embedded-red';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';
import { RABBITMQ_URL, deleteRabbitObjects, rabbitAvailable, uniqueRabbitPrefix } from '../test/helpers/rabbitmq';
import { sendWebhooks, type SendFigures } from './webhook-senders';

const REQUESTS = 20_000;
const WARM_UP = 1_000;
const SENDERS = 64;
const SECRET = 'bench-webhook-secret';

/** `replay`: replay protection on, the delivery id claimed in the SQLite store before the publish, done after it. */
async function inbox(RED: EmbeddedRed, port: number, bus: Record<string, unknown>, storePath: string, run: number, replay = false): Promise<SendFigures> {
  await RED.runtime.flows.setFlows({
    flows: {
      flows: [
        { id: 'bench-tab', type: 'tab', label: 'bench' },
        { id: 'bench-bus', type: 'event-bus', ...bus },
        { id: 'bench-store', type: 'middleware-store', backend: 'sqlite', path: storePath },
        {
          id: 'bench-hook', type: 'webhook-in', z: 'bench-tab', path: '/bench/orders', method: 'post', scheme: 'hmac', hmacAlgorithm: 'sha256', hmacEncoding: 'hex',
          hmacHeader: 'X-Signature', hmacPrefix: 'sha256=', secretEnv: 'BENCH_WEBHOOK_SECRET', responseMode: 'ack', contentTypes: 'application/json',
          replay, deliveryIdHeader: replay ? 'X-Delivery' : '', store: 'bench-store', inbox: 'bench-bus', inboxConcurrency: 16, inboxLease: 60, inboxMaxDeliveries: 5, wires: [['bench-ack']],
        },
        { id: 'bench-ack', type: 'event-ack', z: 'bench-tab', action: 'ack', wires: [['bench-out']] },
        { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
      ],
    },
    deploymentType: 'full',
  });
  await waitForNode(RED, 'bench-hook');
  (globalThis as Record<string, unknown>).__odooMiddlewareBenchSink = () => undefined;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const round = { port, path: '/bench/orders', secret: SECRET, senders: SENDERS };
  const [, measured] = await sendWebhooks([
    { ...round, count: WARM_UP, offset: run * 1_000_000 },
    { ...round, count: REQUESTS, offset: run * 1_000_000 + WARM_UP },
  ]);
  return measured;
}

export async function benchInbox(): Promise<Record<string, number>> {
  process.env.BENCH_WEBHOOK_SECRET = SECRET;
  const dir = makeUserDir('mw-bench-inbox-', ['webhook-in', 'event-bus', 'event-ack', 'middleware-store'], { sink: true });
  // Embedded as Node-RED's docs describe: the runtime's httpNode app mounted on an express app of our own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- express ships with node-red, without types here
  const express = require('express') as () => http.RequestListener & { use(path: string, handler: unknown): void };
  const app = express();
  const server = http.createServer(app);
  const RED = nodeRed();
  await startRed(RED, { userDir: dir.work, nodesDir: [dir.nodesDir], disableEditor: true, httpNodeRoot: '/' }, server);
  app.use('/', (RED as unknown as { httpNode: unknown }).httpNode);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const redisPrefix = uniqueKeyPrefix('bench-inbox');
  const rabbitPrefix = uniqueRabbitPrefix('bench-inbox');
  const withRedis = await redisAvailable();
  const withRabbit = await rabbitAvailable();
  const storePath = path.join(dir.work, 'store.sqlite');
  try {
    const sqlite = await inbox(RED, port, { backend: 'sqlite', path: path.join(dir.work, 'events.sqlite') }, storePath, 1);
    const figures: Record<string, number> = { inbox_ack_per_s: Math.round(sqlite.perSecond), inbox_ack_p99_ms: sqlite.p99Ms };
    const claimed = await inbox(RED, port, { backend: 'sqlite', path: path.join(dir.work, 'events-replay.sqlite') }, storePath, 4, true);
    figures.inbox_ack_per_s_replay = Math.round(claimed.perSecond);
    figures.inbox_ack_p99_ms_replay = claimed.p99Ms;
    if (withRedis) {
      const redis = await inbox(RED, port, { backend: 'redis', url: REDIS_URL, keyPrefix: redisPrefix }, storePath, 2);
      figures.inbox_ack_per_s_redis = Math.round(redis.perSecond);
      figures.inbox_ack_p99_ms_redis = redis.p99Ms;
    } else console.error(`inbox_ack_per_s_redis not measured: no Redis at ${REDIS_URL}`);
    if (withRabbit) {
      const rabbit = await inbox(RED, port, { backend: 'rabbitmq', amqpUrl: RABBITMQ_URL.replace(/\/\/[^@]*@/, '//'), amqpPrefix: rabbitPrefix }, storePath, 3);
      figures.inbox_ack_per_s_rabbitmq = Math.round(rabbit.perSecond);
      figures.inbox_ack_p99_ms_rabbitmq = rabbit.p99Ms;
    } else console.error(`inbox_ack_per_s_rabbitmq not measured: no RabbitMQ at ${RABBITMQ_URL}`);
    return figures;
  } finally {
    await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
    await RED.stop();
    server.close();
    dir.remove();
    if (withRedis) await deleteKeys(redisPrefix);
    if (withRabbit) await deleteRabbitObjects(rabbitPrefix, [`${rabbitPrefix}webhook.bench.orders.webhook-in`]);
  }
}
