/**
 * Redis for tests: REDIS_URL (default redis://127.0.0.1:6379). Without Redis a suite is skipped locally and
 * fails on CI (`process.env.CI` set), so a CI run never passes by silently skipping.
 */
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let probe: Promise<boolean> | undefined;

/** True when something answers PING at REDIS_URL within a second (probed once per process). */
export function redisAvailable(): Promise<boolean> {
  probe ??= new Promise<boolean>((resolve) => {
    let url: URL;
    try {
      url = new URL(REDIS_URL);
    } catch {
      resolve(false);
      return;
    }
    const client = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    client.on('error', () => undefined);
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(1000);
    const fail = (): void => {
      socket.destroy();
      resolve(false);
    };
    socket.once('error', fail);
    socket.once('timeout', fail);
    socket.once('connect', () => {
      socket.destroy();
      client
        .connect()
        .then(() => client.ping())
        .then((pong) => resolve(pong === 'PONG'), () => resolve(false))
        .finally(() => client.disconnect());
    });
  });
  return probe;
}

/** Call in a `before(async function () {...})`: skips the suite locally, throws on CI, when Redis is absent. */
export async function requireRedis(ctx: Mocha.Context): Promise<void> {
  if (await redisAvailable()) return;
  if (process.env.CI) throw new Error(`Redis is required on CI but none answers at ${REDIS_URL} (set REDIS_URL)`);
  console.log(`Redis tests skipped: no Redis at ${REDIS_URL}`);
  ctx.skip();
}

/** A key prefix no other run uses, so parallel runs and leftovers never collide. */
export function uniqueKeyPrefix(label: string): string {
  return `test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under a prefix (SCAN, not KEYS, so a shared Redis is not blocked); nothing to do without Redis. */
export async function deleteKeys(prefix: string): Promise<void> {
  if (!(await redisAvailable())) return;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
