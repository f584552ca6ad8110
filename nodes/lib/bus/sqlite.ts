/**
 * The event bus on one SQLite file (better-sqlite3), the embedded default. Publishing inserts one row per group
 * of the topic, on a connection with synchronous = FULL in a worker thread (sqlite-writer.ts): a resolved publish
 * is on disk (fsynced), the publishes that arrive while a batch is being written share the next transaction, and
 * the fsync never blocks the event loop. Leases and acks go through a connection here without the fsync: losing
 * one to a power cut only delivers an event again. A member takes rows by setting
 * their lease in one UPDATE, so two processes sharing the file never take the same row. A row stays until acked;
 * ordered by key, a row is only taken while no earlier row of the same key is left in the group.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { WriterReply, WriterRow } from './sqlite-writer';
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

interface DeliveryRow {
  seq: number;
  topic: string;
  grp: string;
  event_id: string;
  key: string | null;
  payload: string;
  headers: string;
  published_at: number;
  delivery_count: number;
}

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
  // Oldest due first, in the order of the due index, so a take reads `max` rows of it and stops; ordered by seq
  // alone, every take sorted the whole backlog of due rows and slowed down as it grew.
  const takeAny = db.prepare<{ topic: string; grp: string; now: number; until: number; token: string; max: number }, DeliveryRow>(
    `UPDATE bus_deliveries SET due_at = @until, lease_token = @token, delivery_count = delivery_count + 1
     WHERE seq IN (SELECT seq FROM bus_deliveries WHERE topic = @topic AND grp = @grp AND due_at <= @now ORDER BY due_at, seq LIMIT @max)
     RETURNING seq, topic, grp, event_id, key, payload, headers, published_at, delivery_count`,
  );
  // Only the first row of each key left in the group may go out; later ones wait until it is acked.
  const takeOrdered = db.prepare<{ topic: string; grp: string; now: number; until: number; token: string; max: number }, DeliveryRow>(
    `UPDATE bus_deliveries SET due_at = @until, lease_token = @token, delivery_count = delivery_count + 1
     WHERE seq IN (
       SELECT d.seq FROM bus_deliveries d WHERE d.topic = @topic AND d.grp = @grp AND d.due_at <= @now
         AND (d.key IS NULL OR NOT EXISTS (
           SELECT 1 FROM bus_deliveries e WHERE e.topic = d.topic AND e.grp = d.grp AND e.key = d.key AND e.seq < d.seq))
       ORDER BY d.due_at, d.seq LIMIT @max)
     RETURNING seq, topic, grp, event_id, key, payload, headers, published_at, delivery_count`,
  );
  const ackRow = db.prepare('DELETE FROM bus_deliveries WHERE seq = ? AND lease_token = ?');
  const nackRow = db.prepare('UPDATE bus_deliveries SET due_at = ?, lease_token = NULL WHERE seq = ? AND lease_token = ?');
  const groupStats = db.prepare<[string, string], { depth: number; oldest: number | null }>(
    'SELECT COUNT(*) AS depth, MIN(published_at) AS oldest FROM bus_deliveries WHERE topic = ? AND grp = ?',
  );

  let closed = false;
  const consumers = new Set<SqliteConsumer>();

  interface PendingPublish {
    row: WriterRow;
    event: BusEvent;
    resolve(event: BusEvent): void;
    reject(err: unknown): void;
  }
  let queued: PendingPublish[] = [];
  let writing: { batch: number; items: PendingPublish[] } | undefined;
  let batches = 0;
  let writer: Worker | undefined;
  let drained: (() => void) | undefined;

  function settle(items: PendingPublish[], error: unknown): void {
    if (error !== undefined) {
      const e = asBusError(error, file);
      for (const item of items) item.reject(e);
      return;
    }
    for (const item of items) item.resolve(item.event);
    const topics = new Set(items.map((i) => i.event.topic));
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
      settle(done.items, reply.error === undefined ? undefined : new Error(reply.error));
      flush();
    });
    const lost = (err: unknown): void => {
      if (writer !== thread) return;
      writer = undefined;
      const done = writing;
      writing = undefined;
      if (done) settle(done.items, err instanceof Error ? err : new Error(`writer thread stopped (${String(err)})`));
      flush();
    };
    thread.on('error', lost);
    thread.on('exit', (code) => lost(new Error(`writer thread exited with code ${code}`)));
    writer = thread;
    return thread;
  }

  /** Sends what is queued as the next batch, once the one being written has committed. */
  function flush(): void {
    if (writing) return;
    if (queued.length === 0) {
      writer?.unref();
      drained?.();
      return;
    }
    const items = queued;
    queued = [];
    batches += 1;
    writing = { batch: batches, items };
    try {
      const thread = writerThread();
      thread.ref();
      thread.postMessage({ batch: batches, rows: items.map((i) => i.row) });
    } catch (err) {
      writing = undefined;
      settle(items, err);
    }
  }

  const guard = <T>(work: () => T): T => {
    if (closed) throw busUnavailable(`SQLite event bus ${file} is closed`, { backend: 'sqlite' });
    try {
      return work();
    } catch (err) {
      throw asBusError(err, file);
    }
  };

  interface PendingSettle {
    run(): boolean;
    resolve(changed: boolean): void;
    reject(err: unknown): void;
  }
  /** Acks, nacks and abandons of one turn of the event loop share one transaction: one WAL commit, not one each. */
  let settles: PendingSettle[] = [];
  const settleAll = db.transaction((items: PendingSettle[]) => items.map((item) => item.run()));

  function flushSettles(): void {
    const items = settles;
    settles = [];
    if (items.length === 0) return;
    let changed: boolean[];
    try {
      changed = guard(() => settleAll(items));
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    items.forEach((item, n) => item.resolve(changed[n]));
  }

  function settleSoon(run: () => boolean): Promise<boolean> {
    if (closed) return Promise.reject(busUnavailable(`SQLite event bus ${file} is closed`, { backend: 'sqlite' }));
    return new Promise<boolean>((resolve, reject) => {
      settles.push({ run, resolve, reject });
      if (settles.length === 1) setImmediate(flushSettles);
    });
  }

  class SqliteConsumer implements BusConsumer {
    private stopped = false;
    private wake: (() => void) | undefined;

    constructor(private readonly opts: ConsumeOptions) {}

    notify(topic: string): void {
      if (topic === this.opts.topic) this.wake?.();
    }

    async receive(max: number, waitMs: number): Promise<RawDelivery[]> {
      const deadline = now() + waitMs;
      for (;;) {
        if (this.stopped || closed) return [];
        const rows = this.take(max);
        if (rows.length > 0 || now() >= deadline) return rows;
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

    private take(max: number): RawDelivery[] {
      if (max <= 0) return [];
      const token = randomUUID();
      const at = now();
      const params = { topic: this.opts.topic, grp: this.opts.group, now: at, until: at + this.opts.leaseMs, token, max };
      const rows = guard(() => (this.opts.ordered ? takeOrdered : takeAny).all(params));
      rows.sort((a, b) => a.seq - b.seq);
      return rows.map((row) => this.delivery(row, token));
    }

    private delivery(row: DeliveryRow, token: string): RawDelivery {
      return {
        event: toEvent(row),
        group: row.grp,
        deliveryCount: row.delivery_count,
        ack: () => settleSoon(() => ackRow.run(row.seq, token).changes === 1),
        nack: async (delayMs) => {
          const due = now() + Math.max(0, delayMs);
          await settleSoon(() => nackRow.run(due, row.seq, token).changes === 1);
        },
        abandon: async () => {
          const due = now();
          await settleSoon(() => nackRow.run(due, row.seq, token).changes === 1);
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
      return new Promise<BusEvent>((resolve, reject) => {
        queued.push({ row, event, resolve, reject });
        if (!writing) setImmediate(flush);
      });
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
      // Publishes already accepted are written before the file is closed.
      if (writing || queued.length > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          flush();
        });
      }
      flushSettles();
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
