/**
 * The audit log in the store's SQLite file (its own connection, WAL): one row per entry and one state row with the
 * retention anchor and the head. An append is one IMMEDIATE transaction, so two processes on the file never fork
 * the chain.
 */
import type Database from 'better-sqlite3';
import { openDatabase, preparedOnce } from '../../sqlite-database';
import { storeFailure, storeUnavailable } from '../../store/store-errors';
import { chained, GENESIS } from './chain';
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord, ChainPoint } from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  flow_id TEXT,
  node_id TEXT,
  node_name TEXT,
  connection TEXT NOT NULL,
  login TEXT,
  model TEXT NOT NULL,
  method TEXT NOT NULL,
  operation TEXT,
  ids TEXT NOT NULL,
  record_count INTEGER NOT NULL,
  correlation_id TEXT,
  business_key TEXT,
  outcome TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_correlation ON audit_log (correlation_id);
CREATE INDEX IF NOT EXISTS audit_log_business_key ON audit_log (business_key);
CREATE TABLE IF NOT EXISTS audit_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  anchor_seq INTEGER NOT NULL,
  anchor_hash TEXT NOT NULL,
  head_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL
);
`;

interface AuditRow {
  seq: number;
  at: number;
  flow_id: string | null;
  node_id: string | null;
  node_name: string | null;
  connection: string;
  login: string | null;
  model: string;
  method: string;
  operation: string | null;
  ids: string;
  record_count: number;
  correlation_id: string | null;
  business_key: string | null;
  outcome: string;
  duration_ms: number;
  prev_hash: string;
  hash: string;
}

interface StateRow {
  anchor_seq: number;
  anchor_hash: string;
  head_seq: number;
  head_hash: string;
}

function toEntry(row: AuditRow): AuditEntry {
  let ids: number[];
  try {
    ids = JSON.parse(row.ids) as number[];
  } catch {
    // A hand-edited row: verification reports the hash mismatch.
    ids = [];
  }
  const entry: AuditEntry = {
    seq: row.seq,
    at: row.at,
    connection: row.connection,
    model: row.model,
    method: row.method,
    ids,
    recordCount: row.record_count,
    outcome: row.outcome,
    durationMs: row.duration_ms,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.flow_id !== null) entry.flowId = row.flow_id;
  if (row.node_id !== null) entry.nodeId = row.node_id;
  if (row.node_name !== null) entry.nodeName = row.node_name;
  if (row.login !== null) entry.login = row.login;
  if (row.operation !== null) entry.operation = row.operation;
  if (row.correlation_id !== null) entry.correlationId = row.correlation_id;
  if (row.business_key !== null) entry.businessKey = row.business_key;
  return entry;
}

const FILTER_COLUMNS: Array<[keyof AuditFilter, string]> = [
  ['connection', 'connection'],
  ['model', 'model'],
  ['method', 'method'],
  ['flowId', 'flow_id'],
  ['nodeId', 'node_id'],
  ['correlationId', 'correlation_id'],
  ['businessKey', 'business_key'],
  ['outcome', 'outcome'],
];

export function createSqliteAuditLog(file: string, busyTimeoutMs = 5000): AuditLog {
  let db: Database.Database;
  try {
    db = openDatabase(file, { timeout: busyTimeoutMs }, ['journal_mode = WAL', `busy_timeout = ${Math.floor(busyTimeoutMs)}`]);
    db.exec(SCHEMA);
  } catch (err) {
    throw storeUnavailable(`SQLite audit log ${file} could not be opened: ${err instanceof Error ? err.message : String(err)}`, { backend: 'sqlite', path: file });
  }
  const getState = db.prepare<[], StateRow>('SELECT * FROM audit_state WHERE id = 1');
  const initState = db.prepare(`INSERT OR IGNORE INTO audit_state (id, anchor_seq, anchor_hash, head_seq, head_hash) VALUES (1, 0, ?, 0, ?)`);
  const setHead = db.prepare('UPDATE audit_state SET head_seq = ?, head_hash = ? WHERE id = 1');
  const setAnchor = db.prepare('UPDATE audit_state SET anchor_seq = ?, anchor_hash = ? WHERE id = 1');
  const insert = db.prepare(
    `INSERT INTO audit_log (seq, at, flow_id, node_id, node_name, connection, login, model, method, operation, ids, record_count,
       correlation_id, business_key, outcome, duration_ms, prev_hash, hash)
     VALUES (@seq, @at, @flowId, @nodeId, @nodeName, @connection, @login, @model, @method, @operation, @ids, @recordCount,
       @correlationId, @businessKey, @outcome, @durationMs, @prevHash, @hash)`,
  );
  const rangeStatement = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  const prepared = preparedOnce(db);
  const lastOlder = db.prepare<[number], AuditRow>('SELECT * FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1');
  const deleteUpTo = db.prepare('DELETE FROM audit_log WHERE seq <= ?');
  initState.run(GENESIS.hash, GENESIS.hash);

  const appendTransaction = db.transaction((record: AuditRecord): AuditEntry => {
    const state = getState.get() as StateRow;
    const entry = chained(record, { seq: state.head_seq, hash: state.head_hash });
    insert.run({
      flowId: null, nodeId: null, nodeName: null, login: null, operation: null, correlationId: null, businessKey: null,
      ...entry,
      ids: JSON.stringify(entry.ids),
    });
    setHead.run(entry.seq, entry.hash);
    return entry;
  });

  const purgeTransaction = db.transaction((olderThan: number): number => {
    const last = lastOlder.get(olderThan);
    if (!last) return 0;
    setAnchor.run(last.seq, last.hash);
    return deleteUpTo.run(last.seq).changes;
  });

  let closed = false;
  const run = <T>(work: () => T): Promise<T> => {
    if (closed) return Promise.reject(storeUnavailable(`SQLite audit log ${file} is closed`, { backend: 'sqlite' }));
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(storeFailure(`SQLite audit log ${file} failed: ${err instanceof Error ? err.message : String(err)}`, { backend: 'sqlite' }));
    }
  };

  return {
    backend: 'sqlite',
    append: (record) => run(() => appendTransaction.immediate(record)),
    query: (filter) =>
      run(() => {
        const clauses: string[] = [];
        const params: Array<string | number> = [];
        for (const [field, column] of FILTER_COLUMNS) {
          const value = filter[field];
          if (value === undefined) continue;
          clauses.push(`${column} = ?`);
          params.push(value as string);
        }
        if (filter.since !== undefined) {
          clauses.push('at >= ?');
          params.push(filter.since);
        }
        if (filter.until !== undefined) {
          clauses.push('at <= ?');
          params.push(filter.until);
        }
        if (filter.beforeSeq !== undefined) {
          clauses.push('seq < ?');
          params.push(filter.beforeSeq);
        }
        const where = clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '';
        const rows = prepared(`SELECT * FROM audit_log${where} ORDER BY seq DESC LIMIT ?`).all(...params, filter.limit ?? -1) as AuditRow[];
        return rows.map(toEntry);
      }),
    range: (afterSeq, limit) => run(() => rangeStatement.all(afterSeq, limit).map(toEntry)),
    bounds: () =>
      run(() => {
        const state = getState.get() as StateRow;
        const anchor: ChainPoint = { seq: state.anchor_seq, hash: state.anchor_hash };
        return { anchor, head: { seq: state.head_seq, hash: state.head_hash } };
      }),
    purge: (olderThan) => run(() => purgeTransaction.immediate(olderThan)),
    close: () => {
      if (!closed) {
        closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
}
