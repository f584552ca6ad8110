/**
 * The SQLite bus's writing connection, in a worker thread. Everything that changes the file goes through it in
 * rounds: the publishes, acks, nacks and takes that arrived while the previous round was being written are one
 * transaction with synchronous = FULL, so a round's fsync (and the WAL checkpoints) never block the Node-RED event
 * loop, and one fsync covers a whole round. Its page cache stays warm: no other connection of this process writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../sqlite-database';

export interface WriterRow {
  topic: string;
  id: string;
  key: string | null;
  payload: string;
  headers: string;
  publishedAt: number;
  /** Only this group (a replay); every group of the topic when null. */
  group: string | null;
}

/** Ends a delivery's lease: removes the row (ack) or makes it due again at `dueAt` (nack, abandon). */
export interface WriterSettle {
  seq: number;
  token: string;
  /** null: ack. */
  dueAt: number | null;
}

/** Leases up to `max` due rows of a group to `token` until `until`. */
export interface WriterTake {
  topic: string;
  grp: string;
  now: number;
  until: number;
  token: string;
  max: number;
  ordered: boolean;
}

export interface DeliveryRow {
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

export interface WriterRound {
  batch: number;
  rows: WriterRow[];
  settles: WriterSettle[];
  takes: WriterTake[];
}

export type WriterReply =
  | { batch: number; error?: undefined; settled: boolean[]; taken: DeliveryRow[][] }
  | { batch: number; error: string };

const { file } = workerData as { file: string };
const db = openDatabase(file, { timeout: 5000 }, ['synchronous = FULL']);
const fanOut = db.prepare(
  `INSERT INTO bus_deliveries (topic, grp, event_id, key, payload, headers, published_at, due_at)
   SELECT topic, grp, @id, @key, @payload, @headers, @publishedAt, @publishedAt FROM bus_groups WHERE topic = @topic`,
);
const toOneGroup = db.prepare(
  `INSERT INTO bus_deliveries (topic, grp, event_id, key, payload, headers, published_at, due_at)
   VALUES (@topic, @group, @id, @key, @payload, @headers, @publishedAt, @publishedAt)`,
);
const ackRow = db.prepare('DELETE FROM bus_deliveries WHERE seq = ? AND lease_token = ?');
const nackRow = db.prepare('UPDATE bus_deliveries SET due_at = ?, lease_token = NULL WHERE seq = ? AND lease_token = ?');
// Oldest due first, in the order of the due index, so a take reads `max` rows of it and stops; ordered by seq
// alone, every take sorted the whole backlog of due rows and slowed down as it grew.
const takeAny = db.prepare<Omit<WriterTake, 'ordered'>, DeliveryRow>(
  `UPDATE bus_deliveries SET due_at = @until, lease_token = @token, delivery_count = delivery_count + 1
   WHERE seq IN (SELECT seq FROM bus_deliveries WHERE topic = @topic AND grp = @grp AND due_at <= @now ORDER BY due_at, seq LIMIT @max)
   RETURNING seq, topic, grp, event_id, key, payload, headers, published_at, delivery_count`,
);
// Only the first row of each key left in the group may go out; later ones wait until it is acked.
const takeOrdered = db.prepare<Omit<WriterTake, 'ordered'>, DeliveryRow>(
  `UPDATE bus_deliveries SET due_at = @until, lease_token = @token, delivery_count = delivery_count + 1
   WHERE seq IN (
     SELECT d.seq FROM bus_deliveries d WHERE d.topic = @topic AND d.grp = @grp AND d.due_at <= @now
       AND (d.key IS NULL OR NOT EXISTS (
         SELECT 1 FROM bus_deliveries e WHERE e.topic = d.topic AND e.grp = d.grp AND e.key = d.key AND e.seq < d.seq))
     ORDER BY d.due_at, d.seq LIMIT @max)
   RETURNING seq, topic, grp, event_id, key, payload, headers, published_at, delivery_count`,
);

// Publishes first, then settles, then takes: a take sees the events and the freed keys of its own round.
const writeRound = db.transaction((round: WriterRound) => {
  for (const row of round.rows) (row.group === null ? fanOut : toOneGroup).run(row);
  const settled = round.settles.map((s) => (s.dueAt === null ? ackRow.run(s.seq, s.token) : nackRow.run(s.dueAt, s.seq, s.token)).changes === 1);
  const taken = round.takes.map(({ ordered, ...take }) => {
    const rows = (ordered ? takeOrdered : takeAny).all(take);
    return rows.sort((a, b) => a.seq - b.seq);
  });
  return { settled, taken };
});

parentPort?.on('message', (message: WriterRound | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: WriterReply;
  try {
    // IMMEDIATE: the write lock is taken up front, so another process's commit can never void this round's reads.
    reply = { batch: message.batch, ...writeRound.immediate(message) };
  } catch (err) {
    reply = { batch: message.batch, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
