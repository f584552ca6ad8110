/**
 * MiddlewareStore on one SQLite file (better-sqlite3). Every method is a single statement or one IMMEDIATE
 * transaction, so two processes sharing the file (WAL) never both claim a key or both take a retry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { MiddlewareError } from '../errors';
import { openDatabase, preparedOnce } from '../sqlite-database';
import { parseJson, storeFailure, storeUnavailable, toJson } from './store-errors';
import type {
  ClaimOutcome,
  ClaimRequest,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterStatus,
  IdempotencyRecord,
  MiddlewareStore,
  ScheduledRetry,
  SlaRecord,
} from './types';

export interface SqliteStoreOptions {
  /** File path; created with its directory when missing. `:memory:` works for tests. */
  path: string;
  /** How long a writer waits for another process's lock before failing with `store_unavailable`. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  lease_token TEXT NOT NULL,
  lease_expires_at INTEGER NOT NULL,
  first_seen_at INTEGER NOT NULL,
  completed_at INTEGER,
  result TEXT,
  expires_at INTEGER,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires_at) WHERE status = 'completed';

CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY,
  message TEXT NOT NULL,
  dropped_paths TEXT NOT NULL,
  error TEXT NOT NULL,
  history TEXT NOT NULL,
  flow_id TEXT,
  node_id TEXT NOT NULL,
  correlation_id TEXT,
  error_kind TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_status ON dead_letters (status);
CREATE INDEX IF NOT EXISTS dead_letters_created ON dead_letters (created_at);
CREATE INDEX IF NOT EXISTS dead_letters_node ON dead_letters (node_id);
CREATE INDEX IF NOT EXISTS dead_letters_flow ON dead_letters (flow_id);
CREATE INDEX IF NOT EXISTS dead_letters_correlation ON dead_letters (correlation_id);
CREATE INDEX IF NOT EXISTS dead_letters_kind ON dead_letters (error_kind);

CREATE TABLE IF NOT EXISTS retries (
  id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS retries_node_due ON retries (node_id, due_at);

CREATE TABLE IF NOT EXISTS watermarks (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS slas (
  sla TEXT NOT NULL,
  key TEXT NOT NULL,
  deadline_at INTEGER NOT NULL,
  breached_at INTEGER,
  record TEXT NOT NULL,
  PRIMARY KEY (sla, key)
) WITHOUT ROWID;
`;

interface IdempotencyRow {
  namespace: string;
  key: string;
  status: 'in_progress' | 'completed';
  fingerprint: string;
  lease_token: string;
  lease_expires_at: number;
  first_seen_at: number;
  completed_at: number | null;
  result: string | null;
  expires_at: number | null;
}

interface DeadLetterRow {
  id: string;
  message: string;
  dropped_paths: string;
  error: string;
  history: string;
  flow_id: string | null;
  node_id: string;
  correlation_id: string | null;
  error_kind: string | null;
  created_at: number;
  updated_at: number;
  status: DeadLetterStatus;
}

interface RetryRow {
  id: string;
  node_id: string;
  due_at: number;
  message: string;
  created_at: number;
}

function toRecord(row: IdempotencyRow): IdempotencyRecord {
  const record: IdempotencyRecord = {
    namespace: row.namespace,
    key: row.key,
    status: row.status,
    fingerprint: row.fingerprint,
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at,
    firstSeenAt: row.first_seen_at,
  };
  if (row.completed_at !== null) record.completedAt = row.completed_at;
  if (row.result !== null) record.result = parseJson(row.result);
  if (row.expires_at !== null) record.expiresAt = row.expires_at;
  return record;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  const letter: DeadLetter = {
    id: row.id,
    message: parseJson<Record<string, unknown>>(row.message) ?? {},
    droppedPaths: parseJson<string[]>(row.dropped_paths) ?? [],
    error: parseJson<Record<string, unknown>>(row.error) ?? {},
    history: parseJson<Array<Record<string, unknown>>>(row.history) ?? [],
    nodeId: row.node_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
  };
  if (row.flow_id !== null) letter.flowId = row.flow_id;
  if (row.correlation_id !== null) letter.correlationId = row.correlation_id;
  if (row.error_kind !== null) letter.errorKind = row.error_kind;
  return letter;
}

function toRetry(row: RetryRow): ScheduledRetry {
  return {
    id: row.id,
    nodeId: row.node_id,
    dueAt: row.due_at,
    message: parseJson<Record<string, unknown>>(row.message) ?? {},
    createdAt: row.created_at,
  };
}

/** Builds the WHERE clause of a dead-letter filter; values are bound, never interpolated. */
function deadLetterWhere(filter: DeadLetterFilter): { sql: string; params: Array<string | number> } {
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  const equal = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  equal('flow_id', filter.flowId);
  equal('node_id', filter.nodeId);
  equal('error_kind', filter.errorKind);
  equal('correlation_id', filter.correlationId);
  equal('status', filter.status);
  if (filter.since !== undefined) {
    clauses.push('created_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    clauses.push('created_at <= ?');
    params.push(filter.until);
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/** SQLITE_BUSY/LOCKED means another process holds the lock: retryable. Anything else is a real failure. */
function asStoreError(err: unknown, file: string): MiddlewareError {
  if (err instanceof MiddlewareError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL') {
    return storeUnavailable(`SQLite store ${file} unavailable: ${message}`, { backend: 'sqlite', sqliteCode: code });
  }
  return storeFailure(`SQLite store ${file} failed: ${message}`, { backend: 'sqlite', sqliteCode: typeof code === 'string' ? code : undefined });
}

export function createSqliteStore(options: SqliteStoreOptions): MiddlewareStore {
  const file = options.path;
  let db: Database.Database;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = openDatabase(file, { timeout: options.busyTimeoutMs ?? 5000 }, [
      'journal_mode = WAL',
      'synchronous = NORMAL',
      `busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`,
    ]);
    db.exec(SCHEMA);
  } catch (err) {
    const wrapped = asStoreError(err, file);
    throw storeUnavailable(`SQLite store ${file} could not be opened: ${wrapped.message}`, { backend: 'sqlite', path: file });
  }

  const getIdem = db.prepare<[string, string], IdempotencyRow>('SELECT * FROM idempotency WHERE namespace = ? AND key = ?');
  const upsertIdem = db.prepare(
    `INSERT INTO idempotency (namespace, key, status, fingerprint, lease_token, lease_expires_at, first_seen_at)
     VALUES (@namespace, @key, 'in_progress', @fingerprint, @leaseToken, @leaseExpiresAt, @firstSeenAt)
     ON CONFLICT (namespace, key) DO UPDATE SET status = 'in_progress', fingerprint = excluded.fingerprint,
       lease_token = excluded.lease_token, lease_expires_at = excluded.lease_expires_at,
       first_seen_at = excluded.first_seen_at, completed_at = NULL, result = NULL, expires_at = NULL`,
  );
  // First sight is the common case: one autocommit INSERT, no transaction round, no read.
  const insertNewIdem = db.prepare(
    `INSERT INTO idempotency (namespace, key, status, fingerprint, lease_token, lease_expires_at, first_seen_at)
     VALUES (@namespace, @key, 'in_progress', @fingerprint, @leaseToken, @leaseExpiresAt, @firstSeenAt)
     ON CONFLICT (namespace, key) DO NOTHING`,
  );
  const completeIdem = db.prepare(
    `UPDATE idempotency SET status = 'completed', completed_at = ?, result = ?, expires_at = ?
     WHERE namespace = ? AND key = ? AND lease_token = ? AND status = 'in_progress'`,
  );
  const releaseIdem = db.prepare(
    `DELETE FROM idempotency WHERE namespace = ? AND key = ? AND lease_token = ? AND status = 'in_progress'`,
  );
  const sweepIdem = db.prepare(`DELETE FROM idempotency WHERE status = 'completed' AND expires_at <= ?`);

  const insertLetter = db.prepare(
    `INSERT OR REPLACE INTO dead_letters (id, message, dropped_paths, error, history, flow_id, node_id, correlation_id,
       error_kind, created_at, updated_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const getLetter = db.prepare<[string], DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?');
  const setLetterStatus = db.prepare('UPDATE dead_letters SET status = ?, updated_at = ? WHERE id = ?');
  const purgeLetters = db.prepare('DELETE FROM dead_letters WHERE created_at < ?');

  const upsertRetry = db.prepare(
    'INSERT OR REPLACE INTO retries (id, node_id, due_at, message, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const deleteRetry = db.prepare('DELETE FROM retries WHERE id = ?');
  const listRetriesByNode = db.prepare<[string], RetryRow>('SELECT * FROM retries WHERE node_id = ? ORDER BY due_at, id');

  const getMark = db.prepare<[string], { value: string }>('SELECT value FROM watermarks WHERE key = ?');
  const setMark = db.prepare(
    'INSERT INTO watermarks (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  const insertSla = db.prepare('INSERT INTO slas (sla, key, deadline_at, record) VALUES (?, ?, ?, ?) ON CONFLICT (sla, key) DO NOTHING');
  const getSla = db.prepare<[string, string], { record: string; breached_at: number | null }>('SELECT record, breached_at FROM slas WHERE sla = ? AND key = ?');
  const deleteSla = db.prepare<[string, string], { record: string; breached_at: number | null }>('DELETE FROM slas WHERE sla = ? AND key = ? RETURNING record, breached_at');
  const breachSla = db.prepare('UPDATE slas SET breached_at = ? WHERE sla = ? AND key = ? AND breached_at IS NULL');
  const listSlasOf = db.prepare<[string], { record: string; breached_at: number | null }>('SELECT record, breached_at FROM slas WHERE sla = ? ORDER BY deadline_at, key');
  const toSla = (row: { record: string; breached_at: number | null }): SlaRecord => {
    const record = parseJson<SlaRecord>(row.record) as SlaRecord;
    return row.breached_at === null ? record : { ...record, breachedAt: row.breached_at };
  };

  const prepared = preparedOnce(db);

  const claimTransaction = db.transaction((req: ClaimRequest): ClaimOutcome => {
    const row = getIdem.get(req.namespace, req.key);
    let firstSeenAt = req.now;
    let takeover = false;
    if (row) {
      const live = row.status === 'completed' ? (row.expires_at ?? Infinity) > req.now : row.lease_expires_at > req.now;
      if (live) {
        const record = toRecord(row);
        if (row.fingerprint !== req.fingerprint) return { outcome: 'fingerprint_mismatch', record };
        return { outcome: row.status === 'completed' ? 'completed' : 'in_progress', record };
      }
      if (row.status === 'in_progress') {
        takeover = true;
        firstSeenAt = row.first_seen_at;
      }
    }
    const record = claimedRecord(req, firstSeenAt);
    upsertIdem.run(record);
    return takeover ? { outcome: 'claimed', record, takeover } : { outcome: 'claimed', record };
  });

  const listTransaction = db.transaction((filter: DeadLetterFilter) => {
    const where = deadLetterWhere(filter);
    const total = (prepared(`SELECT COUNT(*) AS n FROM dead_letters${where.sql}`).get(...where.params) as { n: number }).n;
    const limit = filter.limit ?? -1;
    const offset = filter.offset ?? 0;
    const rows = prepared(`SELECT * FROM dead_letters${where.sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(
      ...where.params,
      limit,
      offset,
    ) as DeadLetterRow[];
    return { total, items: rows.map(toDeadLetter) };
  });

  // Group commit: a commit costs file locks and WAL writes (most of a guard cycle), so the calls made in one turn
  // of the event loop are committed together in one IMMEDIATE transaction. Each call still runs alone and in
  // order, in its own savepoint (a failing call is rolled back by itself), and its promise settles only after the
  // batch is committed.
  interface Queued {
    work: () => unknown;
    resolve: (value: unknown) => void;
    reject: (err: unknown) => void;
  }
  type Outcome = { ok: true; value: unknown } | { ok: false; error: MiddlewareError };
  let queue: Queued[] = [];
  let flushScheduled = false;
  const alone = db.transaction((work: () => unknown) => work());
  const commitBatch = db.transaction((batch: Queued[]): Outcome[] =>
    batch.map((call): Outcome => {
      try {
        return { ok: true, value: alone(call.work) };
      } catch (err) {
        // Some failures (disk full, I/O) make SQLite roll the whole transaction back: then none of the batch holds.
        if (!db.inTransaction) throw err;
        return { ok: false, error: asStoreError(err, file) };
      }
    }),
  );
  const flush = (): void => {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 1) {
      // Alone in its turn: the statement's own autocommit, no savepoint round.
      const [call] = batch;
      try {
        call.resolve(call.work());
      } catch (err) {
        call.reject(asStoreError(err, file));
      }
      return;
    }
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = commitBatch.immediate(batch);
    } catch (err) {
      // Not committed: none of the batch holds.
      const error = asStoreError(err, file);
      for (const call of batch) call.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.value) : batch[i].reject(outcome.error)));
  };

  let closed = false;
  const run = <T>(work: () => T): Promise<T> => {
    if (closed) return Promise.reject(storeUnavailable(`SQLite store ${file} is closed`, { backend: 'sqlite' }));
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  };

  return {
    backend: 'sqlite',

    claim: (req) =>
      run(() => {
        const record = claimedRecord(req, req.now);
        if (insertNewIdem.run(record).changes === 1) return { outcome: 'claimed', record } as ClaimOutcome;
        return claimTransaction.immediate(req);
      }),

    complete: (namespace, key, leaseToken, result, ttlMs, now) =>
      run(() => completeIdem.run(now, toJson(result), now + ttlMs, namespace, key, leaseToken).changes === 1),

    release: (namespace, key, leaseToken) => run(() => releaseIdem.run(namespace, key, leaseToken).changes === 1),

    getIdempotency: (namespace, key, now) =>
      run(() => {
        const row = getIdem.get(namespace, key);
        if (!row) return undefined;
        if (row.status === 'completed' && row.expires_at !== null && row.expires_at <= now) return undefined;
        return toRecord(row);
      }),

    addDeadLetter: (letter) =>
      run(() => {
        insertLetter.run(
          letter.id,
          JSON.stringify(letter.message),
          JSON.stringify(letter.droppedPaths),
          JSON.stringify(letter.error),
          JSON.stringify(letter.history),
          letter.flowId ?? null,
          letter.nodeId,
          letter.correlationId ?? null,
          letter.errorKind ?? null,
          letter.createdAt,
          letter.updatedAt,
          letter.status,
        );
      }),

    getDeadLetter: (id) =>
      run(() => {
        const row = getLetter.get(id);
        return row ? toDeadLetter(row) : undefined;
      }),

    listDeadLetters: (filter) => run(() => listTransaction(filter)),

    countDeadLetters: (filter) =>
      run(() => {
        const where = deadLetterWhere(filter);
        return (prepared(`SELECT COUNT(*) AS n FROM dead_letters${where.sql}`).get(...where.params) as { n: number }).n;
      }),

    setDeadLetterStatus: (id, status, now) => run(() => setLetterStatus.run(status, now, id).changes === 1),

    purgeDeadLetters: (olderThan) => run(() => purgeLetters.run(olderThan).changes),

    scheduleRetry: (entry) =>
      run(() => {
        upsertRetry.run(entry.id, entry.nodeId, entry.dueAt, JSON.stringify(entry.message), entry.createdAt);
      }),

    removeRetry: (id) => run(() => deleteRetry.run(id).changes === 1),

    listRetries: (nodeId) => run(() => listRetriesByNode.all(nodeId).map(toRetry)),

    getWatermark: (key) => run(() => getMark.get(key)?.value),

    setWatermark: (key, value) =>
      run(() => {
        setMark.run(key, value);
      }),

    openSla: (record) =>
      run(() => {
        if (insertSla.run(record.sla, record.key, record.deadlineAt, JSON.stringify(record)).changes === 1) return { opened: true, record };
        const row = getSla.get(record.sla, record.key);
        return row ? { opened: false, record: toSla(row) } : { opened: false, record };
      }),

    closeSla: (sla, key) =>
      run(() => {
        const row = deleteSla.get(sla, key);
        return row ? toSla(row) : undefined;
      }),

    markSlaBreached: (sla, key, now) => run(() => breachSla.run(now, sla, key).changes === 1),

    listSlas: (sla) => run(() => listSlasOf.all(sla).map(toSla)),

    sweepExpired: (now) => run(() => sweepIdem.run(now).changes),

    close: () => {
      if (closed) return Promise.resolve();
      // Calls accepted before close still run.
      flush();
      closed = true;
      try {
        db.close();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(asStoreError(err, file));
      }
    },
  };
}

/** The record a successful claim writes: in progress under the claimant's lease. */
function claimedRecord(req: ClaimRequest, firstSeenAt: number): IdempotencyRecord {
  return {
    namespace: req.namespace,
    key: req.key,
    status: 'in_progress',
    fingerprint: req.fingerprint,
    leaseToken: req.leaseToken,
    leaseExpiresAt: req.now + req.leaseMs,
    firstSeenAt,
  };
}
