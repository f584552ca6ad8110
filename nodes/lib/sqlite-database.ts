/**
 * Opens a better-sqlite3 database that is safe on Node >= 23.
 *
 * better-sqlite3 12 wraps its objects in Node's `ObjectWrap`, whose destructor since Node 23 needs a current
 * Node environment. V8 also collects garbage from its own idle-time tasks, outside any context, so a statement
 * (or database) collected there aborts the whole process (`Assertion failed: (env) != nullptr` in
 * `RemoveEnvironmentCleanupHook`). better-sqlite3 13 fixes it but needs Node 22, while Node-RED 4 runs on 20.
 * On those Node versions every handle opened here stays reachable until the process exits, where Node's own
 * cleanup frees it; a closed database keeps only its small wrappers (its SQLite handles are released by close).
 * Pragmas go through `exec`, which creates no statement object.
 */
import Database from 'better-sqlite3';

const nodeMajor = Number(process.versions.node.split('.')[0]);
const collectedOutsideContext = nodeMajor >= 23;
const retained: object[] = [];

export function openDatabase(file: string, options?: Database.Options, pragmas: readonly string[] = []): Database.Database {
  const db = new Database(file, options);
  for (const pragma of pragmas) db.exec(`PRAGMA ${pragma}`);
  if (!collectedOutsideContext) return db;
  // The database object also keeps its transaction statements (better-sqlite3 caches them per database).
  retained.push(db);
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    retained.push(statement);
    return statement;
  }) as Database.Database['prepare'];
  return db;
}

/** A prepare that compiles each distinct SQL text once, for queries whose shape varies with their filters. */
export function preparedOnce(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
