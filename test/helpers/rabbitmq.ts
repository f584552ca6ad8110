/**
 * RabbitMQ for tests: RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672). Without a broker a suite is skipped
 * locally and fails on CI (`process.env.CI` set), like the Redis suites.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';

export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let probe: Promise<boolean> | undefined;

/** True when a broker accepts an AMQP connection at RABBITMQ_URL (probed once per process). */
export function rabbitAvailable(): Promise<boolean> {
  probe ??= amqp.connect(RABBITMQ_URL, { timeout: 2000 }).then(
    async (conn) => {
      await conn.close().catch(() => undefined);
      return true;
    },
    () => false,
  );
  return probe;
}

/** Call in a `before(async function () {...})`: skips the suite locally, throws on CI, when RabbitMQ is absent. */
export async function requireRabbit(ctx: Mocha.Context): Promise<void> {
  if (await rabbitAvailable()) return;
  if (process.env.CI) throw new Error(`RabbitMQ is required on CI but none answers at ${RABBITMQ_URL} (set RABBITMQ_URL)`);
  console.log(`RabbitMQ tests skipped: no broker at ${RABBITMQ_URL}`);
  ctx.skip();
}

/** A name prefix no other run uses. */
export function uniqueRabbitPrefix(label: string): string {
  return `test.${label}.${process.pid}.${randomBytes(4).toString('hex')}.`;
}

/** Deletes the exchange and every queue a test created under `prefix` (names are passed in: AMQP cannot list). */
export async function deleteRabbitObjects(prefix: string, queues: string[]): Promise<void> {
  if (!(await rabbitAvailable())) return;
  const conn = await amqp.connect(RABBITMQ_URL);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    await ch.deleteExchange(`${prefix}events`).catch(() => undefined);
    await ch.close().catch(() => undefined);
  } finally {
    await conn.close().catch(() => undefined);
  }
}
