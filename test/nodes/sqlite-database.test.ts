/**
 * SQLite handles on the Node that runs the tests (test:nr5 runs this file on Node 24, where better-sqlite3 12
 * aborts the process when V8 collects one of its objects outside a Node context).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../nodes/lib/sqlite-database';

const helperModule = path.join(__dirname, '..', '..', 'nodes', 'lib', 'sqlite-database.js');

// Opens and closes many databases with statements and pragmas, makes garbage so V8 collects, then idles.
const churn = `
const { openDatabase } = require(${JSON.stringify(helperModule)});
const file = process.argv[1];
for (let round = 0; round < 200; round++) {
  const db = openDatabase(file, { timeout: 1000 }, ['journal_mode = WAL', 'synchronous = NORMAL']);
  for (let k = 0; k < 20; k++) db.prepare('SELECT ' + k).get();
  db.transaction(() => db.prepare('SELECT 1').get())();
  db.close();
}
let garbage = [];
for (let i = 0; i < 300000; i++) garbage.push({ i, text: 'x' + i });
garbage = null;
setTimeout(() => console.log('survived'), 1500);
`;

describe('SQLite databases opened by the middleware', function () {
  this.timeout(60_000);

  it(`survive garbage collection of closed databases and their statements (Node ${process.versions.node})`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sqlite-gc-'));
    try {
      const child = spawnSync(process.execPath, ['-e', churn, path.join(dir, 'churn.sqlite')], { encoding: 'utf8', timeout: 50_000 });
      assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr.slice(0, 400)}`);
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), 'survived');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('apply the pragmas they are opened with', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sqlite-pragma-'));
    const db = openDatabase(path.join(dir, 'p.sqlite'), {}, ['journal_mode = WAL', 'synchronous = FULL']);
    try {
      assert.deepEqual(db.prepare('PRAGMA journal_mode').get(), { journal_mode: 'wal' });
      assert.deepEqual(db.prepare('PRAGMA synchronous').get(), { synchronous: 2 });
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
