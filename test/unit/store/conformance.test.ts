/**
 * One behaviour contract, run against every backend: a flow must not care whether its store is SQLite or Redis.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRedisStore, createSqliteStore } from '../../../nodes/lib/store';
import type { ClaimRequest, DeadLetter, MiddlewareStore } from '../../../nodes/lib/store/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';

interface Backend {
  name: string;
  before(ctx: Mocha.Context): Promise<void>;
  open(): MiddlewareStore;
  after(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);

function letter(id: string, fields: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id,
    message: { payload: { id }, topic: 't' },
    droppedPaths: ['req'],
    error: { message: 'boom', code: 'ODOO_TIMEOUT' },
    history: [{ attempt: 1, at: T0 }],
    nodeId: 'retry-1',
    flowId: 'flow-1',
    errorKind: 'timeout',
    correlationId: `corr-${id}`,
    createdAt: T0,
    updatedAt: T0,
    status: 'dead',
    ...fields,
  };
}

function conformance(backend: Backend): void {
  describe(`store conformance: ${backend.name}`, function () {
    let store: MiddlewareStore;
    let namespace = 'orders';
    let counter = 0;
    const claim = (key: string, fields: Partial<ClaimRequest> = {}) =>
      store.claim({ namespace, key, fingerprint: 'fp-a', leaseToken: `tok-${++counter}`, leaseMs: 1000, now: T0, ...fields });

    before(async function () {
      await backend.before(this);
      store = backend.open();
    });
    after(async () => {
      await store?.close();
      await backend.after();
    });
    beforeEach(() => {
      // Every test gets its own namespace so tests stay independent on a shared backend.
      namespace = `ns-${++counter}`;
    });

    it('claims an unseen key, then reports it in progress to others', async () => {
      const first = await claim('k1', { leaseToken: 'holder' });
      assert.equal(first.outcome, 'claimed');
      assert.equal(first.record.status, 'in_progress');
      assert.equal(first.record.leaseToken, 'holder');
      assert.equal(first.record.leaseExpiresAt, T0 + 1000);
      assert.equal(first.record.firstSeenAt, T0);
      const second = await claim('k1', { now: T0 + 10 });
      assert.equal(second.outcome, 'in_progress');
      assert.equal(second.record.leaseToken, 'holder');
    });

    it('keeps namespaces apart', async () => {
      assert.equal((await claim('same')).outcome, 'claimed');
      assert.equal((await store.claim({ namespace: `${namespace}-other`, key: 'same', fingerprint: 'fp-a', leaseToken: 'x', leaseMs: 1000, now: T0 })).outcome, 'claimed');
    });

    it('completes with a result that later claims get back', async () => {
      await claim('k', { leaseToken: 'holder' });
      assert.equal(await store.complete(namespace, 'k', 'holder', { invoiceId: 42, lines: [1, 2] }, 60_000, T0 + 100), true);
      const again = await claim('k', { now: T0 + 200 });
      assert.equal(again.outcome, 'completed');
      assert.deepEqual(again.record.result, { invoiceId: 42, lines: [1, 2] });
      assert.equal(again.record.completedAt, T0 + 100);
      assert.equal(again.record.expiresAt, T0 + 100 + 60_000);
      assert.equal(again.record.firstSeenAt, T0);
      const stored = await store.getIdempotency(namespace, 'k', T0 + 200);
      assert.equal(stored?.status, 'completed');
    });

    it('completes without a result', async () => {
      await claim('k', { leaseToken: 'holder' });
      assert.equal(await store.complete(namespace, 'k', 'holder', undefined, 60_000, T0), true);
      const again = await claim('k');
      assert.equal(again.outcome, 'completed');
      assert.equal(again.record.result, undefined);
    });

    it('release lets the next claim proceed; a wrong token is refused', async () => {
      await claim('k', { leaseToken: 'holder' });
      assert.equal(await store.release(namespace, 'k', 'someone-else'), false);
      assert.equal((await claim('k')).outcome, 'in_progress');
      assert.equal(await store.release(namespace, 'k', 'holder'), true);
      assert.equal(await store.getIdempotency(namespace, 'k', T0), undefined);
      assert.equal((await claim('k')).outcome, 'claimed');
    });

    it('refuses complete of an unknown key and a second complete', async () => {
      assert.equal(await store.complete(namespace, 'nobody', 'tok', 1, 1000, T0), false);
      await claim('k', { leaseToken: 'holder' });
      assert.equal(await store.complete(namespace, 'k', 'holder', 1, 1000, T0), true);
      assert.equal(await store.complete(namespace, 'k', 'holder', 2, 1000, T0), false);
      assert.equal(await store.release(namespace, 'k', 'holder'), false);
      assert.equal((await store.getIdempotency(namespace, 'k', T0))?.result, 1);
    });

    it('reports a fingerprint mismatch for the same key with another payload', async () => {
      await claim('k', { leaseToken: 'holder', fingerprint: 'fp-a' });
      const inFlight = await claim('k', { fingerprint: 'fp-b' });
      assert.equal(inFlight.outcome, 'fingerprint_mismatch');
      assert.equal(inFlight.record.fingerprint, 'fp-a');
      await store.complete(namespace, 'k', 'holder', 'r', 60_000, T0);
      assert.equal((await claim('k', { fingerprint: 'fp-b' })).outcome, 'fingerprint_mismatch');
      assert.equal((await claim('k', { fingerprint: 'fp-a' })).outcome, 'completed');
    });

    it('takes over an expired lease; the stale holder can then neither complete nor release', async () => {
      await claim('k', { leaseToken: 'stale', leaseMs: 1000, now: T0 });
      assert.equal((await claim('k', { now: T0 + 999 })).outcome, 'in_progress');
      const takeover = await claim('k', { leaseToken: 'fresh', now: T0 + 1000 });
      assert.equal(takeover.outcome, 'claimed');
      assert.equal(takeover.outcome === 'claimed' && takeover.takeover, true);
      assert.equal(takeover.record.leaseToken, 'fresh');
      assert.equal(takeover.record.firstSeenAt, T0, 'first sight survives a takeover');
      assert.equal(await store.complete(namespace, 'k', 'stale', 'late', 60_000, T0 + 1001), false);
      assert.equal(await store.release(namespace, 'k', 'stale'), false);
      assert.equal(await store.complete(namespace, 'k', 'fresh', 'ok', 60_000, T0 + 1002), true);
      assert.equal((await store.getIdempotency(namespace, 'k', T0 + 1003))?.result, 'ok');
    });

    it('forgets a completed record after its TTL', async () => {
      await claim('k', { leaseToken: 'holder' });
      await store.complete(namespace, 'k', 'holder', 'r', 5000, T0);
      assert.equal((await claim('k', { now: T0 + 4999 })).outcome, 'completed');
      assert.equal(await store.getIdempotency(namespace, 'k', T0 + 5000), undefined);
      const fresh = await claim('k', { now: T0 + 5000, leaseToken: 'new' });
      assert.equal(fresh.outcome, 'claimed');
      assert.equal(fresh.outcome === 'claimed' && fresh.takeover, undefined);
      assert.equal(fresh.record.firstSeenAt, T0 + 5000);
      assert.equal(fresh.record.result, undefined);
    });

    it('sweeps expired completed records (where the backend needs it)', async () => {
      await claim('old', { leaseToken: 'a' });
      await store.complete(namespace, 'old', 'a', 1, 10, T0);
      await claim('live', { leaseToken: 'b' });
      await store.complete(namespace, 'live', 'b', 1, 1_000_000, T0);
      await store.sweepExpired?.(T0 + 100);
      assert.equal(await store.getIdempotency(namespace, 'old', T0 + 100), undefined);
      assert.equal((await store.getIdempotency(namespace, 'live', T0 + 100))?.status, 'completed');
    });

    it('gives exactly one of 100 concurrent claims of one key', async () => {
      const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => claim('hot', { leaseToken: `t${i}` })));
      const claimed = outcomes.filter((o) => o.outcome === 'claimed');
      assert.equal(claimed.length, 1);
      assert.equal(outcomes.filter((o) => o.outcome === 'in_progress').length, 99);
      const holder = claimed[0]!.record.leaseToken;
      for (const o of outcomes) assert.equal(o.record.leaseToken, holder);
    });

    describe('dead letters', () => {
      let node: string;
      beforeEach(async () => {
        node = `retry-${++counter}`;
        await store.addDeadLetter(letter(`${node}-a`, { nodeId: node, createdAt: T0 + 1, errorKind: 'timeout', flowId: 'f1' }));
        await store.addDeadLetter(letter(`${node}-b`, { nodeId: node, createdAt: T0 + 2, errorKind: 'validation', flowId: 'f1' }));
        await store.addDeadLetter(letter(`${node}-c`, { nodeId: node, createdAt: T0 + 3, errorKind: 'timeout', flowId: 'f2', correlationId: 'shared' }));
      });

      it('stores and reads a letter back intact', async () => {
        const got = await store.getDeadLetter(`${node}-a`);
        assert.deepEqual(got, letter(`${node}-a`, { nodeId: node, createdAt: T0 + 1, errorKind: 'timeout', flowId: 'f1' }));
        assert.equal(await store.getDeadLetter('missing'), undefined);
      });

      it('lists newest first with filters, paging and totals', async () => {
        const all = await store.listDeadLetters({ nodeId: node });
        assert.equal(all.total, 3);
        assert.deepEqual(all.items.map((l) => l.id), [`${node}-c`, `${node}-b`, `${node}-a`]);
        const timeouts = await store.listDeadLetters({ nodeId: node, errorKind: 'timeout' });
        assert.deepEqual(timeouts.items.map((l) => l.id), [`${node}-c`, `${node}-a`]);
        assert.equal((await store.listDeadLetters({ nodeId: node, flowId: 'f2' })).items[0]?.id, `${node}-c`);
        assert.equal((await store.listDeadLetters({ nodeId: node, correlationId: 'shared' })).total, 1);
        const window = await store.listDeadLetters({ nodeId: node, since: T0 + 2, until: T0 + 2 });
        assert.deepEqual(window.items.map((l) => l.id), [`${node}-b`]);
        const page = await store.listDeadLetters({ nodeId: node, limit: 1, offset: 1 });
        assert.equal(page.total, 3);
        assert.deepEqual(page.items.map((l) => l.id), [`${node}-b`]);
        assert.equal(await store.countDeadLetters({ nodeId: node, errorKind: 'timeout' }), 2);
        assert.equal(await store.countDeadLetters({ nodeId: node, limit: 1 }), 3);
      });

      it('changes status and filters by it', async () => {
        assert.equal(await store.setDeadLetterStatus(`${node}-b`, 'replayed', T0 + 50), true);
        assert.equal(await store.setDeadLetterStatus('missing', 'replayed', T0 + 50), false);
        const got = await store.getDeadLetter(`${node}-b`);
        assert.equal(got?.status, 'replayed');
        assert.equal(got?.updatedAt, T0 + 50);
        assert.equal(await store.countDeadLetters({ nodeId: node, status: 'dead' }), 2);
        const replayed = await store.listDeadLetters({ nodeId: node, status: 'replayed' });
        assert.deepEqual(replayed.items.map((l) => [l.id, l.status]), [[`${node}-b`, 'replayed']]);
      });

      it('purges letters created before a time', async () => {
        const before = await store.countDeadLetters({});
        const purged = await store.purgeDeadLetters(T0 + 3);
        assert.ok(purged >= 2, `purged ${purged}`);
        assert.equal(await store.getDeadLetter(`${node}-a`), undefined);
        assert.equal(await store.getDeadLetter(`${node}-b`), undefined);
        assert.equal((await store.getDeadLetter(`${node}-c`))?.id, `${node}-c`);
        assert.equal(await store.countDeadLetters({}), before - purged);
      });
    });

    it('schedules retries per node, lists them by due time, removes each exactly once', async () => {
      const node = `retry-${++counter}`;
      await store.scheduleRetry({ id: `${node}-2`, nodeId: node, dueAt: T0 + 20, message: { payload: 2 }, createdAt: T0 });
      await store.scheduleRetry({ id: `${node}-1`, nodeId: node, dueAt: T0 + 10, message: { payload: 1 }, createdAt: T0 });
      await store.scheduleRetry({ id: `${node}-x`, nodeId: `${node}-other`, dueAt: T0, message: {}, createdAt: T0 });
      const listed = await store.listRetries(node);
      assert.deepEqual(listed.map((r) => r.id), [`${node}-1`, `${node}-2`]);
      assert.deepEqual(listed[0], { id: `${node}-1`, nodeId: node, dueAt: T0 + 10, message: { payload: 1 }, createdAt: T0 });
      const removals = await Promise.all(Array.from({ length: 20 }, () => store.removeRetry(`${node}-1`)));
      assert.equal(removals.filter(Boolean).length, 1);
      assert.deepEqual((await store.listRetries(node)).map((r) => r.id), [`${node}-2`]);
      assert.equal(await store.removeRetry('never-scheduled'), false);
    });

    it('re-scheduling an id replaces it', async () => {
      const node = `retry-${++counter}`;
      await store.scheduleRetry({ id: `${node}-r`, nodeId: node, dueAt: T0 + 10, message: { n: 1 }, createdAt: T0 });
      await store.scheduleRetry({ id: `${node}-r`, nodeId: node, dueAt: T0 + 99, message: { n: 2 }, createdAt: T0 });
      const listed = await store.listRetries(node);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.dueAt, T0 + 99);
      assert.deepEqual(listed[0]?.message, { n: 2 });
    });

    it('opens an SLA once, lists open SLAs by deadline, reports each breach once, closes each once', async () => {
      const sla = `sla-${++counter}`;
      const first = await store.openSla({ sla, key: 'S2', openedAt: T0, deadlineAt: T0 + 900_000, correlationId: 'c-2', nodeId: 'open-1' });
      assert.equal(first.opened, true);
      await store.openSla({ sla, key: 'S1', openedAt: T0, deadlineAt: T0 + 60_000 });
      const again = await store.openSla({ sla, key: 'S2', openedAt: T0 + 5, deadlineAt: T0 + 900_005 });
      assert.equal(again.opened, false);
      assert.equal(again.record.openedAt, T0, 'the SLA that was open first is kept');
      assert.deepEqual((await store.listSlas(sla)).map((r) => r.key), ['S1', 'S2']);
      assert.deepEqual(await store.listSlas(`other-${counter}`), []);

      const claims = await Promise.all([1, 2, 3].map(() => store.markSlaBreached(sla, 'S1', T0 + 60_001)));
      assert.deepEqual(claims.filter(Boolean).length, 1, 'exactly one caller reports the breach');
      assert.equal(await store.markSlaBreached(sla, 'nope', T0), false);
      assert.equal((await store.listSlas(sla))[0]?.breachedAt, T0 + 60_001);

      const closed = await store.closeSla(sla, 'S2');
      assert.equal(closed?.correlationId, 'c-2');
      assert.equal(closed?.nodeId, 'open-1');
      assert.equal(await store.closeSla(sla, 'S2'), undefined);
      assert.equal((await store.closeSla(sla, 'S1'))?.breachedAt, T0 + 60_001);
      assert.deepEqual(await store.listSlas(sla), []);
    });

    it('keeps watermarks', async () => {
      const key = `wm-${++counter}`;
      assert.equal(await store.getWatermark(key), undefined);
      await store.setWatermark(key, '2026-01-01 00:00:00');
      await store.setWatermark(key, '2026-01-02 00:00:00');
      assert.equal(await store.getWatermark(key), '2026-01-02 00:00:00');
    });
  });
}

const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-store-'));
const sqliteFile = path.join(sqliteDir, 'conformance.sqlite');

conformance({
  name: 'sqlite',
  before: async () => undefined,
  open: () => createSqliteStore({ path: sqliteFile }),
  after: async () => fs.rmSync(sqliteDir, { recursive: true, force: true }),
});

const redisPrefix = uniqueKeyPrefix('conformance');
conformance({
  name: 'redis',
  before: (ctx) => requireRedis(ctx),
  open: () => createRedisStore({ url: REDIS_URL, keyPrefix: redisPrefix }),
  after: () => deleteKeys(redisPrefix),
});

describe('sqlite store durability', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-reopen-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps everything when the same file is reopened', async () => {
    const file = path.join(dir, 'nested', 'store.sqlite');
    const first = createSqliteStore({ path: file });
    await first.claim({ namespace: 'n', key: 'done', fingerprint: 'f', leaseToken: 't', leaseMs: 1000, now: T0 });
    await first.complete('n', 'done', 't', { ok: true }, 60_000, T0);
    await first.claim({ namespace: 'n', key: 'busy', fingerprint: 'f', leaseToken: 'b', leaseMs: 1000, now: T0 });
    await first.addDeadLetter(letter('dl-1'));
    await first.scheduleRetry({ id: 'r-1', nodeId: 'retry', dueAt: T0 + 5, message: { payload: 'p' }, createdAt: T0 });
    await first.setWatermark('orders', '42');
    await first.close();

    const second = createSqliteStore({ path: file });
    try {
      const done = await second.claim({ namespace: 'n', key: 'done', fingerprint: 'f', leaseToken: 'x', leaseMs: 1000, now: T0 + 1 });
      assert.equal(done.outcome, 'completed');
      assert.deepEqual(done.record.result, { ok: true });
      assert.equal((await second.claim({ namespace: 'n', key: 'busy', fingerprint: 'f', leaseToken: 'x', leaseMs: 1000, now: T0 + 1 })).outcome, 'in_progress');
      assert.equal(await second.release('n', 'busy', 'b'), true);
      assert.deepEqual(await second.getDeadLetter('dl-1'), letter('dl-1'));
      assert.deepEqual((await second.listRetries('retry')).map((r) => r.id), ['r-1']);
      assert.equal(await second.getWatermark('orders'), '42');
    } finally {
      await second.close();
    }
  });

  it('rejects calls after close with a retryable store_unavailable error', async () => {
    const store = createSqliteStore({ path: path.join(dir, 's.sqlite') });
    await store.close();
    await assert.rejects(store.getWatermark('x'), (err: { code?: string; retryable?: boolean }) => err.code === 'MW_STORE_UNAVAILABLE' && err.retryable === true);
  });

  it('fails to open an unusable path with store_unavailable', () => {
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'x');
    assert.throws(() => createSqliteStore({ path: path.join(blocker, 'sub', 'store.sqlite') }), (err: { code?: string }) => err.code === 'MW_STORE_UNAVAILABLE');
  });
});

describe('redis store availability', () => {
  it('fails fast with a retryable store_unavailable error naming the URL when Redis is unreachable', async () => {
    const store = createRedisStore({ url: 'redis://:secret@127.0.0.1:1', keyPrefix: 'never:', connectTimeoutMs: 2000 });
    try {
      const started = Date.now();
      await assert.rejects(
        store.claim({ namespace: 'n', key: 'k', fingerprint: 'f', leaseToken: 't', leaseMs: 1000, now: T0 }),
        (err: { code?: string; retryable?: boolean; message: string }) => {
          assert.equal(err.code, 'MW_STORE_UNAVAILABLE');
          assert.equal(err.retryable, true);
          assert.match(err.message, /127\.0\.0\.1:1/);
          assert.doesNotMatch(err.message, /secret/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000);
      await assert.rejects(store.getWatermark('x'), (err: { code?: string }) => err.code === 'MW_STORE_UNAVAILABLE');
    } finally {
      await store.close();
    }
  });
});
