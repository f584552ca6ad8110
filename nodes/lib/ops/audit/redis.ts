/**
 * The audit log in the store's Redis (its own connection, the store's key prefix): entries in a sorted set scored
 * by seq, the head and the retention anchor in hashes. An append is a compare-and-set script on the head, so
 * several Node-RED instances on one Redis extend one chain; a lost race computes the next entry again.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_KEY_PREFIX, redactRedisUrl, type RedisStoreOptions } from '../../store/redis';
import { storeFailure, storeUnavailable } from '../../store/store-errors';
import { chained, GENESIS } from './chain';
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord, ChainPoint } from './types';

// KEYS: head hash, entries zset. ARGV: expected head seq, new seq, new hash, entry json.
const APPEND = `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq ~= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'hash', ARGV[3])
return 1
`;

// KEYS: anchor hash, entries zset. ARGV: last seq removed, its hash.
const PURGE = `
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[2]) end
return removed
`;

interface AuditScripts {
  mwAuditAppend(head: string, entries: string, expected: string, seq: string, hash: string, json: string): Promise<number>;
  mwAuditPurge(anchor: string, entries: string, seq: string, hash: string): Promise<number>;
}

const MAX_APPEND_ATTEMPTS = 50;
const SCAN_BATCH = 500;

function matches(entry: AuditEntry, filter: AuditFilter): boolean {
  const equal: Array<[unknown, unknown]> = [
    [filter.connection, entry.connection],
    [filter.model, entry.model],
    [filter.method, entry.method],
    [filter.flowId, entry.flowId],
    [filter.nodeId, entry.nodeId],
    [filter.correlationId, entry.correlationId],
    [filter.businessKey, entry.businessKey],
    [filter.outcome, entry.outcome],
  ];
  if (equal.some(([want, got]) => want !== undefined && want !== got)) return false;
  if (filter.since !== undefined && entry.at < filter.since) return false;
  if (filter.until !== undefined && entry.at > filter.until) return false;
  return true;
}

function parseEntry(json: string): AuditEntry {
  return JSON.parse(json) as AuditEntry;
}

export function createRedisAuditLog(options: RedisStoreOptions): AuditLog {
  const where = redactRedisUrl(options.url);
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const redisOptions: RedisOptions = {
    db: options.db ?? 0,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // A Redis that accepts the connection but never answers fails the append instead of holding it.
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
  };
  if (options.tls) redisOptions.tls = {};
  if (options.username) redisOptions.username = options.username;
  if (options.password) redisOptions.password = options.password;
  const redis = new Redis(options.url, redisOptions);
  redis.on('error', (err: Error) => options.onError?.(err));
  redis.defineCommand('mwAuditAppend', { numberOfKeys: 2, lua: APPEND });
  redis.defineCommand('mwAuditPurge', { numberOfKeys: 2, lua: PURGE });
  const scripts = redis as unknown as AuditScripts;
  const headKey = `${prefix}audit:head`;
  const anchorKey = `${prefix}audit:anchor`;
  const entriesKey = `${prefix}audit:entries`;
  let closed = false;
  // Appends of this process go one at a time: the compare-and-set only races other instances.
  let queue: Promise<unknown> = Promise.resolve();

  const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw storeUnavailable(`Redis audit log at ${where} is closed`, { backend: 'redis' });
    try {
      return await work();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof Error && err.name === 'ReplyError') throw storeFailure(`Redis audit log at ${where} refused a command: ${message}`, { backend: 'redis' });
      throw storeUnavailable(`Redis audit log unavailable at ${where}: ${message}`, { backend: 'redis' });
    }
  };

  const point = async (key: string): Promise<ChainPoint> => {
    const [seq, hash] = await redis.hmget(key, 'seq', 'hash');
    return seq ? { seq: Number(seq), hash: hash ?? GENESIS.hash } : GENESIS;
  };

  async function appendNow(record: AuditRecord): Promise<AuditEntry> {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const entry = chained(record, await point(headKey));
      if ((await scripts.mwAuditAppend(headKey, entriesKey, String(entry.seq - 1), String(entry.seq), entry.hash, JSON.stringify(entry))) === 1) return entry;
    }
    throw storeUnavailable(`Redis audit log at ${where}: the head kept moving, ${MAX_APPEND_ATTEMPTS} appends lost the race`, { backend: 'redis' });
  }

  return {
    backend: 'redis',
    append: (record) => {
      const next = queue.then(() => wrap(() => appendNow(record)));
      queue = next.catch(() => undefined);
      return next;
    },
    query: (filter) =>
      wrap(async () => {
        const out: AuditEntry[] = [];
        const limit = filter.limit ?? Infinity;
        let max = filter.beforeSeq !== undefined ? `(${filter.beforeSeq}` : '+inf';
        for (;;) {
          const batch = await redis.zrevrangebyscore(entriesKey, max, '-inf', 'LIMIT', 0, SCAN_BATCH);
          if (batch.length === 0) break;
          for (const json of batch) {
            const entry = parseEntry(json);
            if (matches(entry, filter)) out.push(entry);
            if (out.length >= limit) return out;
          }
          max = `(${parseEntry(batch[batch.length - 1]).seq}`;
        }
        return out;
      }),
    range: (afterSeq, limit) => wrap(async () => (await redis.zrangebyscore(entriesKey, `(${afterSeq}`, '+inf', 'LIMIT', 0, limit)).map(parseEntry)),
    bounds: () => wrap(async () => ({ anchor: await point(anchorKey), head: await point(headKey) })),
    purge: (olderThan) =>
      wrap(async () => {
        let last: AuditEntry | undefined;
        let after = (await point(anchorKey)).seq;
        for (;;) {
          const batch = (await redis.zrangebyscore(entriesKey, `(${after}`, '+inf', 'LIMIT', 0, SCAN_BATCH)).map(parseEntry);
          const older = batch.filter((e) => e.at < olderThan);
          if (older.length > 0) last = older[older.length - 1];
          if (batch.length < SCAN_BATCH || older.length < batch.length) break;
          after = batch[batch.length - 1].seq;
        }
        if (!last) return 0;
        return Number(await scripts.mwAuditPurge(anchorKey, entriesKey, String(last.seq), last.hash));
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
