/**
 * MiddlewareStore on Redis (ioredis). State changes that read before they write are Lua scripts (atomic on the
 * server, sent by EVALSHA), so any number of Node-RED instances sharing the database agree on who holds a key
 * and who re-sends a retry. Keys are built here with the prefix (scripts touch derived keys, so ioredis'
 * own keyPrefix is not used); a standalone Redis or one shard is assumed, not Redis Cluster.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { MiddlewareError } from '../errors';
import { parseJson, storeFailure, storeUnavailable } from './store-errors';
import type {
  ClaimOutcome,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterStatus,
  IdempotencyRecord,
  MiddlewareStore,
  ScheduledRetry,
  SlaRecord,
} from './types';

export interface RedisStoreOptions {
  url: string;
  db?: number;
  keyPrefix?: string;
  tls?: boolean;
  username?: string;
  password?: string;
  /** How long the first command waits for the initial connection before failing `store_unavailable`. */
  connectTimeoutMs?: number;
  /** How long a command waits for Redis' answer before failing `store_unavailable` (default 2000). */
  commandTimeoutMs?: number;
  /** Told about connection errors (the node logs them); the store keeps reconnecting in the background. */
  onError?: (err: Error) => void;
}

export const DEFAULT_KEY_PREFIX = 'odoo-mw:';
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** The message of ioredis' error for a command that outlived `commandTimeout`. */
const COMMAND_TIMED_OUT = 'Command timed out';

/** Completed records are checked against the caller's clock; Redis deletes them a little after that. */
const EXPIRY_MARGIN_MS = 60_000;
/** An abandoned in-progress claim is forgotten a day after its lease, so keys never leak. */
const ABANDONED_CLAIM_MS = 86_400_000;

const CLAIM = `
local k = KEYS[1]
local fp, token, now, leaseExp, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local status = redis.call('HGET', k, 'status')
local first = ARGV[3]
local takeover = 0
if status then
  local live
  if status == 'completed' then
    local exp = redis.call('HGET', k, 'expires')
    live = (not exp) or tonumber(exp) > now
  else
    live = tonumber(redis.call('HGET', k, 'lease')) > now
  end
  if live then
    local outcome = status
    if redis.call('HGET', k, 'fp') ~= fp then outcome = 'fingerprint_mismatch' end
    return {outcome, 0, redis.call('HGETALL', k)}
  end
  if status == 'in_progress' then
    takeover = 1
    first = redis.call('HGET', k, 'first')
  end
  redis.call('DEL', k)
end
redis.call('HSET', k, 'status', 'in_progress', 'fp', fp, 'token', token, 'lease', leaseExp, 'first', first)
redis.call('PEXPIRE', k, ttl)
return {'claimed', takeover, redis.call('HGETALL', k)}
`;

const COMPLETE = `
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'in_progress' or redis.call('HGET', k, 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', k, 'status', 'completed', 'completed', ARGV[2], 'expires', ARGV[3])
if ARGV[4] == '1' then redis.call('HSET', k, 'result', ARGV[5]) end
redis.call('PEXPIRE', k, ARGV[6])
return 1
`;

const RELEASE = `
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'in_progress' or redis.call('HGET', k, 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', k)
return 1
`;

// KEYS: index zset. ARGV: letter key prefix, min, max, flow, node, kind, correlation, status, offset, limit.
// Newest first; returns {total, json, status, updated, ...} for the page asked for.
const LIST_LETTERS = `
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[3], ARGV[2])
local want = {ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]}
local offset, limit = tonumber(ARGV[9]), tonumber(ARGV[10])
local total = 0
local out = {0}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', ARGV[1] .. id, 'flow', 'node', 'kind', 'corr', 'status')
  local match = true
  for i = 1, 5 do
    if want[i] ~= '' and f[i] ~= want[i] then match = false break end
  end
  if match then
    if total >= offset and (limit < 0 or total < offset + limit) then
      local row = redis.call('HMGET', ARGV[1] .. id, 'json', 'status', 'updated')
      table.insert(out, row[1]); table.insert(out, row[2]); table.insert(out, row[3])
    end
    total = total + 1
  end
end
out[1] = total
return out
`;

const SET_LETTER_STATUS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated', ARGV[2])
return 1
`;

// KEYS: index zset. ARGV: letter key prefix, exclusive upper bound of created_at.
const PURGE_LETTERS = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
return #ids
`;

// KEYS: data hash. ARGV: due-set prefix, id, node, dueAt, json. Moving an id to another node drops the old entry.
const SCHEDULE_RETRY = `
local old = redis.call('HGET', KEYS[1], ARGV[2])
if old then
  local oldNode = cjson.decode(old).nodeId
  if oldNode ~= ARGV[3] then redis.call('ZREM', ARGV[1] .. oldNode, ARGV[2]) end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[5])
redis.call('ZADD', ARGV[1] .. ARGV[3], ARGV[4], ARGV[2])
return 1
`;

// KEYS: data hash. ARGV: due-set prefix, id. Exactly one caller ever gets 1 for an id.
const REMOVE_RETRY = `
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if not raw then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
return redis.call('ZREM', ARGV[1] .. cjson.decode(raw).nodeId, ARGV[2])
`;

// KEYS: records hash, deadline zset. ARGV: key, deadline, json. Returns the open record's json and 1 when opened now.
const OPEN_SLA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {existing, 0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {ARGV[3], 1}
`;

// KEYS: records hash, deadline zset. ARGV: key.
const CLOSE_SLA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if not existing then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return existing
`;

// KEYS: records hash. ARGV: key, now. The breach time is written into the record once.
const BREACH_SLA = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if not existing then return 0 end
local record = cjson.decode(existing)
if record.breachedAt then return 0 end
record.breachedAt = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1
`;

type Reply = string | number | null | Reply[];

/** The Lua commands registered with defineCommand; ioredis adds them as methods at runtime. */
interface ScriptCommands {
  mwClaim(key: string, fp: string, token: string, now: string, leaseExp: string, ttl: string): Promise<Reply[]>;
  mwComplete(key: string, token: string, completedAt: string, expires: string, hasResult: string, result: string, ttl: string): Promise<number>;
  mwRelease(key: string, token: string): Promise<number>;
  mwListLetters(index: string, ...args: string[]): Promise<Reply[]>;
  mwSetLetterStatus(key: string, status: string, updated: string): Promise<number>;
  mwPurgeLetters(index: string, prefix: string, olderThan: string): Promise<number>;
  mwScheduleRetry(data: string, duePrefix: string, id: string, node: string, dueAt: string, json: string): Promise<number>;
  mwRemoveRetry(data: string, duePrefix: string, id: string): Promise<number>;
  mwOpenSla(records: string, deadlines: string, key: string, deadline: string, json: string): Promise<[string, number]>;
  mwCloseSla(records: string, deadlines: string, key: string): Promise<string | null>;
  mwBreachSla(records: string, key: string, now: string): Promise<number>;
}

function pairs(flat: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function toRecord(namespace: string, key: string, h: Record<string, string>): IdempotencyRecord {
  const record: IdempotencyRecord = {
    namespace,
    key,
    status: h.status === 'completed' ? 'completed' : 'in_progress',
    fingerprint: h.fp ?? '',
    leaseToken: h.token ?? '',
    leaseExpiresAt: Number(h.lease),
    firstSeenAt: Number(h.first),
  };
  if (h.completed !== undefined) record.completedAt = Number(h.completed);
  if (h.result !== undefined) record.result = parseJson(h.result);
  if (h.expires !== undefined) record.expiresAt = Number(h.expires);
  return record;
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid Redis URL)';
  }
}

export function createRedisStore(options: RedisStoreOptions): MiddlewareStore {
  const where = redactRedisUrl(options.url);
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const redisOptions: RedisOptions = {
    db: options.db ?? 0,
    // Fail commands at once while disconnected instead of queueing them without bound.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout,
    // A Redis that is connected but stops answering (paused, overloaded, a dead link the kernel has not noticed)
    // fails each command in bounded time instead of stalling the message until TCP gives up.
    commandTimeout,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
    // Commands of one event-loop turn (the claims and completions of concurrent requests) share one write.
    enableAutoPipelining: true,
  };
  if (options.tls) redisOptions.tls = {};
  if (options.username) redisOptions.username = options.username;
  if (options.password) redisOptions.password = options.password;

  let lastError: Error | undefined;
  let closed = false;
  const redis = new Redis(options.url, redisOptions);
  redis.on('error', (err: Error) => {
    lastError = err;
    options.onError?.(err);
  });
  redis.defineCommand('mwClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('mwComplete', { numberOfKeys: 1, lua: COMPLETE });
  redis.defineCommand('mwRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('mwListLetters', { numberOfKeys: 1, lua: LIST_LETTERS });
  redis.defineCommand('mwSetLetterStatus', { numberOfKeys: 1, lua: SET_LETTER_STATUS });
  redis.defineCommand('mwPurgeLetters', { numberOfKeys: 1, lua: PURGE_LETTERS });
  redis.defineCommand('mwScheduleRetry', { numberOfKeys: 1, lua: SCHEDULE_RETRY });
  redis.defineCommand('mwRemoveRetry', { numberOfKeys: 1, lua: REMOVE_RETRY });
  redis.defineCommand('mwOpenSla', { numberOfKeys: 2, lua: OPEN_SLA });
  redis.defineCommand('mwCloseSla', { numberOfKeys: 2, lua: CLOSE_SLA });
  redis.defineCommand('mwBreachSla', { numberOfKeys: 1, lua: BREACH_SLA });
  const scripts = redis as unknown as ScriptCommands;

  const unavailable = (reason: string): MiddlewareError =>
    storeUnavailable(`Redis store unavailable at ${where}: ${reason}`, { backend: 'redis', url: where });

  /** Waits (bounded) for the first connection; once connected, a lost connection fails commands at once. */
  let connecting: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    if (closed) return Promise.reject(unavailable('the store is closed'));
    if (redis.status === 'ready') return Promise.resolve();
    if (redis.status !== 'connecting' && redis.status !== 'connect' && redis.status !== 'wait') {
      return Promise.reject(unavailable(lastError?.message ?? `connection is ${redis.status}`));
    }
    // Every caller waiting for the same connection shares one wait (and one pair of listeners).
    connecting ??= new Promise<void>((resolve, reject) => {
      const finish = (err?: MiddlewareError): void => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('error', onError);
        connecting = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => finish();
      const onError = (err: Error): void => finish(unavailable(err.message));
      const timer = setTimeout(() => finish(unavailable(`no connection within ${connectTimeout} ms`)), connectTimeout);
      redis.once('ready', onReady);
      redis.once('error', onError);
    });
    return connecting;
  };

  const asStoreError = (err: unknown): MiddlewareError => {
    if (err instanceof MiddlewareError) return err;
    const message = err instanceof Error ? err.message : String(err);
    if (message === COMMAND_TIMED_OUT) return unavailable(`no answer within ${commandTimeout} ms`);
    if (err instanceof Error && err.name === 'ReplyError') {
      return storeFailure(`Redis store at ${where} refused a command: ${message}`, { backend: 'redis', url: where });
    }
    return unavailable(message);
  };

  // The hot path skips the ready() promise when already connected.
  const run = <T>(work: () => Promise<T>): Promise<T> => {
    if (redis.status === 'ready' && !closed) return work().catch((err: unknown) => Promise.reject(asStoreError(err)));
    return ready()
      .then(work)
      .catch((err: unknown) => Promise.reject(asStoreError(err)));
  };

  const idemKey = (namespace: string, key: string): string => `${prefix}idem:${namespace.length}:${namespace}:${key}`;
  const letterPrefix = `${prefix}dl:`;
  const letterIndex = `${prefix}dl-index`;
  const retryData = `${prefix}retry-data`;
  const retryDuePrefix = `${prefix}retry-due:`;
  const markKey = (key: string): string => `${prefix}wm:${key}`;
  const slaRecords = (sla: string): string => `${prefix}sla:${sla}`;
  const slaDeadlines = (sla: string): string => `${prefix}sla-due:${sla}`;

  const listArgs = (filter: DeadLetterFilter, limit: number): string[] => [
    letterPrefix,
    filter.since === undefined ? '-inf' : String(filter.since),
    filter.until === undefined ? '+inf' : String(filter.until),
    filter.flowId ?? '',
    filter.nodeId ?? '',
    filter.errorKind ?? '',
    filter.correlationId ?? '',
    filter.status ?? '',
    String(filter.offset ?? 0),
    String(limit),
  ];

  return {
    backend: 'redis',

    claim: (req) =>
      run(async (): Promise<ClaimOutcome> => {
        const [outcome, takeover, flat] = await scripts.mwClaim(
          idemKey(req.namespace, req.key),
          req.fingerprint,
          req.leaseToken,
          String(req.now),
          String(req.now + req.leaseMs),
          String(req.leaseMs + ABANDONED_CLAIM_MS),
        );
        const record = toRecord(req.namespace, req.key, pairs(flat));
        if (outcome === 'claimed') return takeover === 1 ? { outcome, record, takeover: true } : { outcome, record };
        if (outcome === 'completed' || outcome === 'in_progress' || outcome === 'fingerprint_mismatch') return { outcome, record };
        throw storeFailure(`Redis store at ${where} answered an unknown claim outcome ${String(outcome)}`);
      }),

    complete: (namespace, key, leaseToken, result, ttlMs, now) =>
      run(async () => {
        const changed = await scripts.mwComplete(
          idemKey(namespace, key),
          leaseToken,
          String(now),
          String(now + ttlMs),
          result === undefined ? '0' : '1',
          result === undefined ? '' : JSON.stringify(result),
          String(Math.max(1, ttlMs) + EXPIRY_MARGIN_MS),
        );
        return changed === 1;
      }),

    release: (namespace, key, leaseToken) =>
      run(async () => (await scripts.mwRelease(idemKey(namespace, key), leaseToken)) === 1),

    getIdempotency: (namespace, key, now) =>
      run(async () => {
        const h = await redis.hgetall(idemKey(namespace, key));
        if (!h.status) return undefined;
        const record = toRecord(namespace, key, h);
        if (record.status === 'completed' && record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
        return record;
      }),

    addDeadLetter: (letter) =>
      run(async () => {
        const fields: Record<string, string> = {
          json: JSON.stringify(letter),
          status: letter.status,
          updated: String(letter.updatedAt),
          created: String(letter.createdAt),
          node: letter.nodeId,
        };
        if (letter.flowId !== undefined) fields.flow = letter.flowId;
        if (letter.errorKind !== undefined) fields.kind = letter.errorKind;
        if (letter.correlationId !== undefined) fields.corr = letter.correlationId;
        await redis
          .multi()
          .del(letterPrefix + letter.id)
          .hset(letterPrefix + letter.id, fields)
          .zadd(letterIndex, letter.createdAt, letter.id)
          .exec();
      }),

    getDeadLetter: (id) =>
      run(async () => {
        const [json, status, updated] = await redis.hmget(letterPrefix + id, 'json', 'status', 'updated');
        if (!json) return undefined;
        return { ...(JSON.parse(json) as DeadLetter), status: status as DeadLetterStatus, updatedAt: Number(updated) };
      }),

    listDeadLetters: (filter) =>
      run(async () => {
        const reply = await scripts.mwListLetters(letterIndex, ...listArgs(filter, filter.limit ?? -1));
        const items: DeadLetter[] = [];
        for (let i = 1; i + 2 < reply.length; i += 3) {
          const letter = JSON.parse(String(reply[i])) as DeadLetter;
          items.push({ ...letter, status: String(reply[i + 1]) as DeadLetterStatus, updatedAt: Number(reply[i + 2]) });
        }
        return { total: Number(reply[0]), items };
      }),

    countDeadLetters: (filter) =>
      run(async () => Number((await scripts.mwListLetters(letterIndex, ...listArgs({ ...filter, offset: 0 }, 0)))[0])),

    setDeadLetterStatus: (id, status, now) =>
      run(async () => (await scripts.mwSetLetterStatus(letterPrefix + id, status, String(now))) === 1),

    purgeDeadLetters: (olderThan) =>
      run(async () => Number(await scripts.mwPurgeLetters(letterIndex, letterPrefix, String(olderThan)))),

    scheduleRetry: (entry) =>
      run(async () => {
        await scripts.mwScheduleRetry(retryData, retryDuePrefix, entry.id, entry.nodeId, String(entry.dueAt), JSON.stringify(entry));
      }),

    removeRetry: (id) => run(async () => (await scripts.mwRemoveRetry(retryData, retryDuePrefix, id)) === 1),

    listRetries: (nodeId) =>
      run(async () => {
        const ids = await redis.zrange(retryDuePrefix + nodeId, '0', '-1');
        if (ids.length === 0) return [];
        const rows = await redis.hmget(retryData, ...ids);
        return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as ScheduledRetry);
      }),

    getWatermark: (key) => run(async () => (await redis.get(markKey(key))) ?? undefined),

    setWatermark: (key, value) =>
      run(async () => {
        await redis.set(markKey(key), value);
      }),

    openSla: (record) =>
      run(async () => {
        const [json, opened] = await scripts.mwOpenSla(slaRecords(record.sla), slaDeadlines(record.sla), record.key, String(record.deadlineAt), JSON.stringify(record));
        return { opened: opened === 1, record: JSON.parse(json) as SlaRecord };
      }),

    closeSla: (sla, key) =>
      run(async () => {
        const json = await scripts.mwCloseSla(slaRecords(sla), slaDeadlines(sla), key);
        return json ? (JSON.parse(json) as SlaRecord) : undefined;
      }),

    markSlaBreached: (sla, key, now) => run(async () => (await scripts.mwBreachSla(slaRecords(sla), key, String(now))) === 1),

    listSlas: (sla) =>
      run(async () => {
        const keys = await redis.zrange(slaDeadlines(sla), '0', '-1');
        if (keys.length === 0) return [];
        const rows = await redis.hmget(slaRecords(sla), ...keys);
        return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as SlaRecord);
      }),

    sweepExpired: () => Promise.resolve(0),

    close: async () => {
      if (closed) return;
      closed = true;
      if (redis.status === 'ready') {
        await redis.quit().catch(() => redis.disconnect());
      } else {
        redis.disconnect();
      }
    },
  };
}
