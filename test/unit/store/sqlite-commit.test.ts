/**
 * The SQLite store commits the calls of one event-loop turn together: each call must still stand alone (its own
 * failure, its own result) and be on disk when its promise resolves.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../../nodes/lib/sqlite-database';
import { createSqliteStore } from '../../../nodes/lib/store';
import type { ClaimRequest, MiddlewareStore } from '../../../nodes/lib/store/types';

const T0 = Date.UTC(2026, 0, 1);
const request = (key: string, leaseToken = `tok-${key}`): ClaimRequest => ({ namespace: 'n', key, fingerprint: 'f', leaseToken, leaseMs: 60_000, now: T0 });

describe('sqlite store: calls committed together per event-loop turn', () => {
  let dir: string;
  let file: string;
  let store: MiddlewareStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-commit-'));
    file = path.join(dir, 'store.sqlite');
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rowsOnDisk = (): number => {
    const other = openDatabase(file, { readonly: true });
    try {
      return (other.prepare('SELECT COUNT(*) AS n FROM idempotency').get() as { n: number }).n;
    } finally {
      other.close();
    }
  };

  it('every call of a busy turn is on disk, for another connection, once its promise resolves', async () => {
    store = createSqliteStore({ path: file });
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claim(request(`k${i}`))));
    assert.ok(outcomes.every((o) => o.outcome === 'claimed'));
    assert.equal(rowsOnDisk(), 50);
  });

  it('keeps the order of the calls: claim, complete and a later claim of one key in the same turn', async () => {
    store = createSqliteStore({ path: file });
    const [first, completed, again] = await Promise.all([
      store.claim(request('k', 'a')),
      store.complete('n', 'k', 'a', { id: 7 }, 60_000, T0),
      store.claim(request('k', 'b')),
    ]);
    assert.equal(first.outcome, 'claimed');
    assert.equal(completed, true);
    assert.equal(again.outcome, 'completed');
    assert.deepEqual(again.record.result, { id: 7 });
  });

  it('a call that fails in a busy turn fails alone; the others of the turn are committed', async () => {
    store = createSqliteStore({ path: file });
    await store.claim(request('held', 'h'));
    const [before, broken, after] = await Promise.allSettled([
      store.claim(request('a')),
      store.complete('n', 'held', 'h', { big: BigInt(1) }, 60_000, T0),
      store.claim(request('b')),
    ]);
    assert.equal(before.status, 'fulfilled');
    assert.equal(after.status, 'fulfilled');
    assert.equal(broken.status, 'rejected');
    assert.equal((broken as PromiseRejectedResult).reason.code, 'MW_STORE_ERROR');
    assert.equal((await store.getIdempotency('n', 'held', T0))?.status, 'in_progress');
    assert.equal(rowsOnDisk(), 3);
  });

  it('a turn that cannot commit (another process holds the lock) fails every call in it, and writes none', async () => {
    store = createSqliteStore({ path: file, busyTimeoutMs: 50 });
    await store.claim(request('warm-up'));
    const locker = openDatabase(file);
    locker.exec('BEGIN IMMEDIATE');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled([store.claim(request('a')), store.claim(request('b'))]);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    for (const r of results) assert.equal((r as PromiseRejectedResult).reason.code, 'MW_STORE_UNAVAILABLE');
    assert.equal(await store.getIdempotency('n', 'a', T0), undefined);
    assert.equal(rowsOnDisk(), 1);
  });

  it('calls made before close still run and are kept', async () => {
    store = createSqliteStore({ path: file });
    const pending = store.claim(request('last'));
    await store.close();
    assert.equal((await pending).outcome, 'claimed');
    assert.equal(rowsOnDisk(), 1);
  });
});
