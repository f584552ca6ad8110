/**
 * The event bus on Redis Streams (ioredis): one stream per topic, one consumer group per subscriber group, so every
 * group sees every event and the members of a group share them. The pending-entries list is the lease: an entry
 * idle longer than the lease is claimed by another member (XAUTOCLAIM). A nack sets the entry's idle time so it
 * becomes claimable once the delay has passed. Replays to one group go to a side stream only that group reads.
 * Ordered by key, one member of the group holds a lock and is the only one reading; the others stand by.
 */
import { randomUUID } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { redactRedisUrl } from '../store/redis';
import { busUnavailable } from './errors';
import type { BusConsumer, BusEvent, ConsumeOptions, EventBus, EventHeaders, GroupStats, PublishRequest, RawDelivery } from './types';

export interface RedisBusOptions {
  url: string;
  db?: number;
  keyPrefix?: string;
  tls?: boolean;
  username?: string;
  password?: string;
  /** Told about connection errors; the bus keeps reconnecting in the background. */
  onError?: (err: Error) => void;
  now?: () => number;
}

export const DEFAULT_BUS_KEY_PREFIX = 'odoo-mw:bus:';
/** How often a member trims entries every group of the topic is done with. */
const TRIM_INTERVAL_MS = 5000;

/** XAUTOCLAIM, then each claimed entry's delivery count from the pending list. */
const CLAIM = `
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {}
for _, e in ipairs(r[2]) do
  if e[2] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local n = 1
    if p[1] then n = p[1][4] end
    out[#out + 1] = {e[1], e[2], n}
  end
end
return {r[1], out}
`;

/** 2: newly taken, 1: renewed, 0: another member holds it. */
const LOCK = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if v then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 2
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Drops entries older than what every group still needs (its oldest pending entry, or where it has read up to). */
const TRIM = `
local function before(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local floor = nil
for _, g in ipairs(groups) do
  local h = {}
  for i = 1, #g, 2 do h[g[i]] = g[i + 1] end
  local keep = h['last-delivered-id']
  if h['pending'] > 0 then keep = redis.call('XPENDING', KEYS[1], h['name'])[2] end
  if floor == nil or before(keep, floor) then floor = keep end
end
if floor == nil then return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0) end
return redis.call('XTRIM', KEYS[1], 'MINID', floor)
`;

interface BusScripts {
  busClaim(key: string, group: string, consumer: string, minIdle: number, start: string, count: number): Promise<[string, Array<[string, string[], number]>]>;
  busLock(key: string, holder: string, ttlMs: number): Promise<number>;
  busUnlock(key: string, holder: string): Promise<number>;
  busTrim(key: string): Promise<number>;
}

type StreamEntries = Array<[string, string[] | null]>;

/** XREADGROUP's reply is a map of stream to entries: nested pairs over RESP2, a flat key/value list over RESP3. */
function streamsOf(reply: unknown): Array<[string, StreamEntries]> {
  if (!Array.isArray(reply)) return [];
  if (typeof reply[0] === 'string') {
    const out: Array<[string, StreamEntries]> = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([reply[i] as string, reply[i + 1] as StreamEntries]);
    return out;
  }
  return reply as Array<[string, StreamEntries]>;
}

function fieldMap(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]] = fields[i + 1];
  return out;
}

function toEvent(topic: string, fields: string[]): BusEvent {
  const f = fieldMap(fields);
  const event: BusEvent = {
    id: f.id,
    topic,
    payload: JSON.parse(f.payload ?? 'null') as unknown,
    headers: JSON.parse(f.headers ?? '{}') as EventHeaders,
    publishedAt: Number(f.at),
  };
  if (f.key !== undefined) event.key = f.key;
  return event;
}

function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

export function createRedisBus(options: RedisBusOptions): EventBus {
  const where = redactRedisUrl(options.url);
  const prefix = options.keyPrefix ?? DEFAULT_BUS_KEY_PREFIX;
  const now = options.now ?? Date.now;
  const redisOptions: RedisOptions = {
    db: options.db ?? 0,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
    // The acks, claims and publishes of one event-loop turn go out in one write: under a burst that is one
    // round trip for many deliveries instead of one each, and fewer wake-ups of Redis and of this process.
    enableAutoPipelining: true,
  };
  if (options.tls) redisOptions.tls = {};
  if (options.username) redisOptions.username = options.username;
  if (options.password) redisOptions.password = options.password;

  const redis = new Redis(options.url, redisOptions);
  redis.on('error', (err: Error) => options.onError?.(err));
  redis.defineCommand('busClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('busLock', { numberOfKeys: 1, lua: LOCK });
  redis.defineCommand('busUnlock', { numberOfKeys: 1, lua: UNLOCK });
  redis.defineCommand('busTrim', { numberOfKeys: 1, lua: TRIM });
  const scripts = redis as unknown as BusScripts;
  const consumers = new Set<RedisConsumer>();
  let closed = false;

  const streamOf = (topic: string): string => `${prefix}${topic}`;
  const sideOf = (topic: string, group: string): string => `${prefix}${topic}:group:${group}`;
  const lockOf = (topic: string, group: string): string => `${prefix}${topic}:active:${group}`;

  const fail = (err: unknown): never => {
    const message = err instanceof Error ? err.message : String(err);
    throw busUnavailable(`Redis event bus at ${where}: ${message}`, { backend: 'redis', url: where });
  };

  async function createGroup(stream: string, group: string, from: string): Promise<void> {
    try {
      await redis.call('XGROUP', 'CREATE', stream, group, from, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) fail(err);
    }
  }

  class RedisConsumer implements BusConsumer {
    private readonly reader: Redis;
    private readonly stream: string;
    private readonly side: string;
    private readonly lock: string;
    private stopped = false;
    private holder = false;
    /** Where the next XAUTOCLAIM pass over each stream starts; '0-0' starts a new pass. */
    private readonly cursors = new Map<string, string>();
    /** When the next pass over the pending entries is due: a quarter lease on, or sooner for an own nack. */
    private claimDueAt = 0;
    private lastTrimAt = 0;
    private takeover = false;
    private renewal: NodeJS.Timeout | undefined;

    constructor(private readonly opts: ConsumeOptions) {
      // A blocking read holds its connection: never in a pipeline with anything else.
      this.reader = redis.duplicate({ enableAutoPipelining: false });
      this.reader.on('error', (err: Error) => options.onError?.(err));
      this.stream = streamOf(opts.topic);
      this.side = sideOf(opts.topic, opts.group);
      this.lock = lockOf(opts.topic, opts.group);
      if (opts.ordered) {
        this.renewal = setInterval(() => void this.holdLock().catch(() => undefined), Math.max(50, Math.floor(opts.leaseMs / 3)));
        this.renewal.unref();
      }
    }

    /**
     * Ordered: true while this member is the group's active one. Taking over, it claims every pending entry of the
     * previous holder; while it holds the lock it never claims its own (the subscriber retries those itself).
     */
    private async holdLock(): Promise<boolean> {
      if (this.stopped) return false;
      const state = await scripts.busLock(this.lock, this.opts.consumer, this.opts.leaseMs);
      if (state === 2) this.takeover = true;
      this.holder = state !== 0;
      return this.holder;
    }

    async receive(max: number, waitMs: number): Promise<RawDelivery[]> {
      if (this.stopped || closed || max <= 0) return [];
      try {
        if (this.opts.ordered && !(await this.holdLock())) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, Math.max(50, this.opts.leaseMs / 3))));
          return [];
        }
        await this.trim();
        const claimed = await this.claim(max);
        if (claimed.length > 0) return claimed;
        if (this.stopped) return [];
        const block = Math.max(1, Math.min(waitMs, this.claimDueAt - now()));
        const reply = await this.reader.call(
          'XREADGROUP', 'GROUP', this.opts.group, this.opts.consumer, 'COUNT', max, 'BLOCK', block,
          'STREAMS', this.stream, this.side, '>', '>',
        );
        const out: RawDelivery[] = [];
        for (const [stream, entries] of streamsOf(reply)) {
          for (const [id, fields] of entries) if (fields) out.push(this.delivery(stream, id, fields, 1));
        }
        return out;
      } catch (err) {
        if (this.stopped) return [];
        return fail(err);
      }
    }

    /** A pass over the pending entries of both streams: a quarter lease apart, at once for an own nack or a take-over. */
    private async claim(max: number): Promise<RawDelivery[]> {
      const at = now();
      let minIdle = this.opts.leaseMs;
      if (this.opts.ordered) {
        if (this.takeover) {
          this.takeover = false;
          this.cursors.set(this.stream, '0-0').set(this.side, '0-0');
        }
        minIdle = 0;
      } else if (this.cursors.size === 0) {
        if (at < this.claimDueAt) return [];
        this.claimDueAt = at + Math.max(10, this.opts.leaseMs / 4);
        this.cursors.set(this.stream, '0-0').set(this.side, '0-0');
      }
      const out: RawDelivery[] = [];
      for (const [stream, start] of [...this.cursors]) {
        if (out.length >= max) break;
        const [next, entries] = await scripts.busClaim(stream, this.opts.group, this.opts.consumer, minIdle, start, max - out.length);
        for (const [id, fields, count] of entries) out.push(this.delivery(stream, id, fields, Number(count)));
        if (next === '0-0') this.cursors.delete(stream);
        else this.cursors.set(stream, next);
      }
      return out;
    }

    private async trim(): Promise<void> {
      const at = now();
      if (at - this.lastTrimAt < TRIM_INTERVAL_MS) return;
      this.lastTrimAt = at;
      await scripts.busTrim(this.stream);
    }

    private delivery(stream: string, id: string, fields: string[], deliveryCount: number): RawDelivery {
      const { group, consumer, leaseMs } = this.opts;
      const isSide = stream === this.side;
      // XCLAIM ... TIME sets when the entry was last delivered: it is claimable again once idle for a lease.
      const idleFrom = (readyAt: number): Promise<unknown> =>
        redis.call('XCLAIM', stream, group, consumer, 0, id, 'TIME', Math.min(now(), readyAt - leaseMs), 'JUSTID').catch(fail);
      return {
        event: toEvent(this.opts.topic, fields),
        group,
        deliveryCount,
        ack: async () => {
          try {
            const acked = Number(await redis.call('XACK', stream, group, id)) === 1;
            if (isSide) await redis.call('XDEL', stream, id);
            return acked;
          } catch (err) {
            return fail(err);
          }
        },
        nack: async (delayMs) => {
          const readyAt = now() + Math.min(Math.max(0, delayMs), leaseMs);
          await idleFrom(readyAt);
          this.claimDueAt = Math.min(this.claimDueAt, readyAt);
        },
        abandon: async () => {
          await idleFrom(now());
          this.claimDueAt = now();
        },
      };
    }

    async close(): Promise<void> {
      this.stopped = true;
      consumers.delete(this);
      if (this.renewal) clearInterval(this.renewal);
      this.reader.disconnect();
      if (this.opts.ordered && this.holder) await scripts.busUnlock(this.lock, this.opts.consumer).catch(() => undefined);
    }
  }

  return {
    backend: 'redis',
    keyOrderNative: false,

    async publish(req: PublishRequest): Promise<BusEvent> {
      if (closed) throw busUnavailable('Redis event bus is closed', { backend: 'redis' });
      const event: BusEvent = {
        id: req.id ?? randomUUID(),
        topic: req.topic,
        payload: req.payload === undefined ? null : req.payload,
        headers: req.headers ?? {},
        publishedAt: now(),
      };
      if (req.key !== undefined) event.key = req.key;
      const fields = ['id', event.id, 'payload', JSON.stringify(event.payload), 'headers', JSON.stringify(event.headers), 'at', String(event.publishedAt)];
      if (event.key !== undefined) fields.push('key', event.key);
      try {
        // A replay goes to the group's side stream; if the group is gone, the entry waits there for it to return.
        const stream = req.group === undefined ? streamOf(req.topic) : sideOf(req.topic, req.group);
        await redis.call('XADD', stream, '*', ...fields);
      } catch (err) {
        fail(err);
      }
      return event;
    },

    async consume(opts: ConsumeOptions): Promise<BusConsumer> {
      if (closed) throw busUnavailable('Redis event bus is closed', { backend: 'redis' });
      await createGroup(streamOf(opts.topic), opts.group, '$');
      await createGroup(sideOf(opts.topic, opts.group), opts.group, '0');
      const consumer = new RedisConsumer(opts);
      consumers.add(consumer);
      return consumer;
    },

    async stats(topic: string, group: string): Promise<GroupStats> {
      let depth = 0;
      let oldest: number | undefined;
      try {
        for (const stream of [streamOf(topic), sideOf(topic, group)]) {
          const groups = (await redis.call('XINFO', 'GROUPS', stream).catch(() => [])) as Array<Array<string | number | null>>;
          const info = groups.map((g) => {
            const h: Record<string, string | number | null> = {};
            for (let i = 0; i + 1 < g.length; i += 2) h[String(g[i])] = g[i + 1];
            return h;
          }).find((h) => h.name === group);
          if (!info) continue;
          const pending = Number(info.pending ?? 0);
          const lag = Number(info.lag ?? 0);
          depth += pending + lag;
          let first: string | undefined;
          // The summary's smallest id is null when the last pending entry was acked since XINFO.
          if (pending > 0) first = ((await redis.call('XPENDING', stream, group)) as [number, string | null])[1] ?? undefined;
          else if (lag > 0) {
            const next = (await redis.call('XRANGE', stream, `(${String(info['last-delivered-id'])}`, '+', 'COUNT', 1)) as Array<[string, string[]]>;
            first = next[0]?.[0];
          }
          if (first !== undefined) oldest = Math.min(oldest ?? Infinity, idTime(first));
        }
      } catch (err) {
        fail(err);
      }
      const stats: GroupStats = { depth };
      if (oldest !== undefined) stats.oldestAgeMs = Math.max(0, now() - oldest);
      return stats;
    },

    async durabilityWarnings(): Promise<string[]> {
      try {
        const reply = (await redis.call('CONFIG', 'GET', 'appendonly')) as string[];
        if (reply[1] === 'no') {
          return [`Redis at ${where} runs without appendonly: events published since the last snapshot are lost if Redis crashes (set appendonly yes)`];
        }
        return [];
      } catch (err) {
        return [`could not read appendonly from Redis at ${where} (${err instanceof Error ? err.message : String(err)}): make sure AOF is on, or events may be lost if Redis crashes`];
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((c) => c.close()));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
