/**
 * The SQLite bus's publishing connection, in a worker thread: each batch of publishes is one transaction with
 * synchronous = FULL, so its fsync (and the WAL checkpoints) never block the Node-RED event loop.
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

export type WriterReply = { batch: number; error?: undefined } | { batch: number; error: string };

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
const insertAll = db.transaction((rows: WriterRow[]) => {
  for (const row of rows) (row.group === null ? fanOut : toOneGroup).run(row);
});

parentPort?.on('message', (message: { batch: number; rows: WriterRow[] } | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: WriterReply;
  try {
    insertAll(message.rows);
    reply = { batch: message.batch };
  } catch (err) {
    reply = { batch: message.batch, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
