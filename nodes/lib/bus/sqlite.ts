/**
 * The event bus on one SQLite file (better-sqlite3), the embedded default. Every change to the file (publishes,
 * takes, acks, nacks) goes to one connection with synchronous = FULL in a worker thread (sqlite-writer.ts), in
 * rounds: what arrives while a round is being written shares the next transaction and its one fsync, so a
 * resolved publish or ack is on disk and no SQLite write ever runs on the event loop. Publishing inserts one row
 * per group of the topic. A member takes rows by setting their lease in one UPDATE, so two processes sharing the
 * file never take the same row. A row stays until acked; ordered by key, a row is only taken while no earlier row
 * of the same key is left in the group. The connection here only reads (depth) and creates groups.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { DeliveryRow, WriterReply, WriterRound, WriterRow, WriterSettle, WriterTake } from './sqlite-writer';
import { MiddlewareError } from '../errors';
import { openDatabase } from '../sqlite-database';
import { busUnavailable } from './errors';
import type { BusConsumer, BusEvent, ConsumeOptions, EventBus, GroupStats, PublishRequest, RawDelivery } from './types';

export interface SqliteBusOptions {
  /** File path; created with its directory when missing. */
  path: string;
  /** How often a waiting member looks for events published by another process. */
  pollMs?: number;
  now?: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bus_groups (
  topic TEXT NOT NULL,
  grp TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (topic, grp)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bus_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  grp TEXT NOT NULL,
  event_id TEXT NOT NULL,
  key TEXT,
  payload TEXT NOT NULL,
  headers TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  lease_token TEXT
);
CREATE INDEX IF NOT EXISTS bus_deliveries_due ON bus_deliveries (topic, grp, due_at, seq);
CREATE INDEX IF NOT EXISTS bus_deliveries_key ON bus_deliveries (topic, grp, key, seq);
`;

const DEFAULT_POLL_MS = 50;

function asBusError(err: unknown, file: string): MiddlewareError {
  if (err instanceof MiddlewareError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return busUnavailable(`SQLite event bus ${file}: ${message}`, { backend: 'sqlite' });
}

function toEvent(row: DeliveryRow): BusEvent {
  const event: BusEvent = {
    id: row.event_id,
    topic: row.topic,
    payload: JSON.parse(row.payload) as unknown,
    headers: JSON.parse(row.headers) as BusEvent['headers'],
    publishedAt: row.published_at,
  };
  if (row.key !== null) event.key = row.key;
  return event;
}

export function createSqliteBus(options: SqliteBusOptions): EventBus {
  const file = options.path;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let db: Database.Database;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Checkpoints (which fsync the file) are left to the writer thread's commits.
    db = openDatabase(file, { timeout: 5000 }, ['journal_mode = WAL', 'synchronous = NORMAL', 'wal_autocheckpoint = 0']);
    db.exec(SCHEMA);
  } catch (err) {
    throw busUnavailable(`SQLite event bus ${file} could not be opened: ${asBusError(err, file).message}`, { backend: 'sqlite', path: file });
  }

  const addGroup = db.prepare('INSERT INTO bus_groups (topic, grp, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const groupStats = db.prepare<[string, string], { depth: number; oldest: number | null }>(
    'SELECT COUNT(*) AS depth, MIN(published_at) AS oldest FROM bus_deliveries WHERE topic = ? AND grp = ?',
  );

  let closed = false;
  const consumers = new Set<SqliteConsumer>();

  interface Pending<Op, Result> {
    op: Op;
    resolve(result: Result): void;
    reject(err: unknown): void;
  }
  interface Round {
    publishes: Array<Pending<WriterRow, BusEvent> & { event: BusEvent }>;
    settles: Array<Pending<WriterSettle, boolean>>;
    takes: Array<Pending<WriterTake, DeliveryRow[]>>;
  }
  const emptyRound = (): Round => ({ publishes: [], settles: [], takes: [] });
  let queued = emptyRound();
  let writing: { batch: number; round: Round } | undefined;
  let batches = 0;
  let writer: Worker | undefined;
  let drained: (() => void) | undefined;
  let flushSoon = false;

  function fail(round: Round, error: unknown): void {
    const e = asBusError(error, file);
    for (const item of [...round.publishes, ...round.settles, ...round.takes]) item.reject(e);
  }

  function settle(round: Round, reply: WriterReply): void {
    if (reply.error !== undefined) {
      fail(round, new Error(reply.error));
      return;
    }
    for (const item of round.publishes) item.resolve(item.event);
    round.settles.forEach((item, n) => item.resolve(reply.settled[n]));
    round.takes.forEach((item, n) => item.resolve(reply.taken[n]));
    const topics = new Set(round.publishes.map((i) => i.event.topic));
    for (const consumer of consumers) for (const topic of topics) consumer.notify(topic);
  }

  /** The writer thread, started on first use and again after it died. */
  function writerThread(): Worker {
    if (writer) return writer;
    const thread = new Worker(path.join(__dirname, 'sqlite-writer.js'), { workerData: { file } });
    thread.on('message', (reply: WriterReply) => {
      const done = writing;
      if (!done || done.batch !== reply.batch) return;
      writing = undefined;
      settle(done.round, reply);
      flush();
    });
    const lost = (err: unknown): void => {
      if (writer !== thread) return;
      writer = undefined;
      const done = writing;
      writing = undefined;
      if (done) fail(done.round, err instanceof Error ? err : new Error(`writer thread stopped (${String(err)})`));
      flush();
    };
    thread.on('error', lost);
    thread.on('exit', (code) => lost(new Error(`writer thread exited with code ${code}`)));
    writer = thread;
    return thread;
  }

  /** Sends what is queued as the next round, once the one being written has committed. */
  function flush(): void {
    if (writing) return;
    const round = queued;
    if (round.publishes.length + round.settles.length + round.takes.length === 0) {
      writer?.unref();
      drained?.();
      return;
    }
    queued = emptyRound();
    batches += 1;
    writing = { batch: batches, round };
    const message: WriterRound = {
      batch: batches,
      rows: round.publishes.map((i) => i.op),
      settles: round.settles.map((i) => i.op),
      takes: round.takes.map((i) => i.op),
    };
    try {
      const thread = writerThread();
      thread.ref();
      thread.postMessage(message);
    } catch (err) {
      writing = undefined;
      fail(round, err);
    }
  }

  /** Queues work for the next round; the round leaves once the one being written has committed. */
  function enqueue<K extends keyof Round>(kind: K, item: Round[K][number]): void {
    (queued[kind] as Array<Round[K][number]>).push(item);
    if (writing || flushSoon) return;
    flushSoon = true;
    setImmediate(() => {
      flushSoon = false;
      flush();
    });
  }

  const closedError = (): MiddlewareError => busUnavailable(`SQLite event bus ${file} is closed`, { backend: 'sqlite' });

  function settleDelivery(op: WriterSettle): Promise<boolean> {
    if (closed) return Promise.reject(closedError());
    return new Promise<boolean>((resolve, reject) => enqueue('settles', { op, resolve, reject }));
  }

  const guard = <T>(work: () => T): T => {
    if (closed) throw closedError();
    try {
      return work();
    } catch (err) {
      throw asBusError(err, file);
    }
  };

  class SqliteConsumer implements BusConsumer {
    private stopped = false;
    private wake: (() => void) | undefined;
    /** A publish committed while a take was out: look again before waiting. */
    private notified = false;

    constructor(private readonly opts: ConsumeOptions) {}

    notify(topic: string): void {
      if (topic !== this.opts.topic) return;
      this.notified = true;
      this.wake?.();
    }

    async receive(max: number, waitMs: number): Promise<RawDelivery[]> {
      const deadline = now() + waitMs;
      for (;;) {
        if (this.stopped || closed) return [];
        this.notified = false;
        const rows = await this.take(max);
        if (rows.length > 0 || now() >= deadline) return rows;
        if (this.notified) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(pollMs, Math.max(1, deadline - now())));
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          this.wake = done;
        });
        this.wake = undefined;
      }
    }

    private take(max: number): Promise<RawDelivery[]> {
      if (max <= 0) return Promise.resolve([]);
      if (closed) return Promise.reject(closedError());
      const token = randomUUID();
      const at = now();
      const op: WriterTake = { topic: this.opts.topic, grp: this.opts.group, now: at, until: at + this.opts.leaseMs, token, max, ordered: this.opts.ordered };
      return new Promise<RawDelivery[]>((resolve, reject) => {
        enqueue('takes', {
          op,
          reject,
          resolve: (rows: DeliveryRow[]) => {
            // Closed while the take was being written: the rows go back to the group at once, in the next round.
            if (this.stopped) {
              for (const row of rows) if (!closed) enqueue('settles', { op: { seq: row.seq, token, dueAt: now() }, resolve: () => undefined, reject: () => undefined });
              resolve([]);
              return;
            }
            resolve(rows.map((row) => this.delivery(row, token)));
          },
        });
      });
    }

    private delivery(row: DeliveryRow, token: string): RawDelivery {
      return {
        event: toEvent(row),
        group: row.grp,
        deliveryCount: row.delivery_count,
        ack: () => settleDelivery({ seq: row.seq, token, dueAt: null }),
        nack: async (delayMs) => {
          await settleDelivery({ seq: row.seq, token, dueAt: now() + Math.max(0, delayMs) });
        },
        abandon: async () => {
          await settleDelivery({ seq: row.seq, token, dueAt: now() });
        },
      };
    }

    close(): Promise<void> {
      this.stopped = true;
      this.wake?.();
      consumers.delete(this);
      return Promise.resolve();
    }
  }

  return {
    backend: 'sqlite',
    keyOrderNative: true,

    publish(req: PublishRequest): Promise<BusEvent> {
      if (closed) return Promise.reject(busUnavailable(`SQLite event bus ${file} is closed`, { backend: 'sqlite' }));
      const event: BusEvent = {
        id: req.id ?? randomUUID(),
        topic: req.topic,
        payload: req.payload === undefined ? null : req.payload,
        headers: req.headers ?? {},
        publishedAt: now(),
      };
      if (req.key !== undefined) event.key = req.key;
      let row: WriterRow;
      try {
        row = {
          topic: event.topic,
          id: event.id,
          key: event.key ?? null,
          payload: JSON.stringify(event.payload),
          headers: JSON.stringify(event.headers),
          publishedAt: event.publishedAt,
          group: req.group ?? null,
        };
      } catch (err) {
        return Promise.reject(asBusError(err, file));
      }
      return new Promise<BusEvent>((resolve, reject) => enqueue('publishes', { op: row, event, resolve, reject }));
    },

    consume(opts: ConsumeOptions): Promise<BusConsumer> {
      try {
        guard(() => addGroup.run(opts.topic, opts.group, now()));
      } catch (err) {
        return Promise.reject(err);
      }
      const consumer = new SqliteConsumer(opts);
      consumers.add(consumer);
      return Promise.resolve(consumer);
    },

    stats(topic: string, group: string): Promise<GroupStats> {
      try {
        const row = guard(() => groupStats.get(topic, group));
        const stats: GroupStats = { depth: row?.depth ?? 0 };
        if (row && row.oldest !== null) stats.oldestAgeMs = Math.max(0, now() - row.oldest);
        return Promise.resolve(stats);
      } catch (err) {
        return Promise.reject(err);
      }
    },

    durabilityWarnings: () => Promise.resolve([]),

    async close(): Promise<void> {
      if (closed) return;
      for (const consumer of [...consumers]) void consumer.close();
      // Publishes, acks and takes already accepted are written before the file is closed.
      if (writing || queued.publishes.length + queued.settles.length + queued.takes.length > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          flush();
        });
      }
      closed = true;
      db.close();
      const thread = writer;
      writer = undefined;
      if (thread) {
        await new Promise<void>((resolve) => {
          thread.once('exit', () => resolve());
          thread.postMessage('close');
        });
      }
    },
  };
}
