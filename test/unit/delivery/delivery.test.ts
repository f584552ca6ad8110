import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Delivery, isKeyCollision, KEY_COLLISION_CODE, parseDeliverySettings, type DeliveryDeps, type DeliverySettings } from '../../../nodes/lib/delivery';
import { realTimers } from '../../../nodes/lib/dlq/replay-queue';
import { MiddlewareError, ValidationError } from '../../../nodes/lib/errors';
import { createKeyExtractor } from '../../../nodes/lib/idempotency';
import { OdooError } from '../../../nodes/lib/odoo/errors';
import { createSqliteStore } from '../../../nodes/lib/store/sqlite';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';

type Msg = Record<string, unknown>;

const unavailable = () => new OdooError({ kind: 'unavailable', message: 'Odoo answered 503', status: 503 });
const collision = () =>
  new OdooError({
    kind: 'validation',
    message: 'The operation cannot be completed: duplicate key value violates unique constraint "sale_order_client_order_ref_uniq"\nDETAIL:  Key (client_order_ref)=(A-1) already exists.\n',
  });

describe('delivery settings', () => {
  it('all off parses to nothing; defaults follow the standalone nodes', () => {
    const settings = parseDeliverySettings({ once: true, retry: true, deadLetter: true }, 'odoo-write');
    assert.deepEqual(settings.once, { source: { type: 'msg', path: 'payload.id' }, namespace: 'default', leaseMs: 300_000, compareFingerprint: true, ttlMs: 86_400_000 });
    assert.deepEqual(settings.retry, { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, maxTotalMs: 900_000 });
    assert.equal(settings.deadLetter, true);
    assert.deepEqual(parseDeliverySettings({}, 'odoo-write'), { deadLetter: false, replayRatePerSecond: 10 });
  });

  it('names the tab property that is wrong', () => {
    assert.throws(() => parseDeliverySettings({ retry: true, retryMaxAttempts: 'x' }, 'odoo-write'), /odoo-write: property retryMaxAttempts must be an integer >= 1/);
    assert.throws(() => parseDeliverySettings({ retry: true, retryBaseDelayMs: 500, retryMaxDelayMs: 100 }, 'odoo-write'), (err: ValidationError) => err.cause.property === 'retryMaxDelayMs');
    assert.throws(() => parseDeliverySettings({ once: true, onceNamespace: ' ' }, 'odoo-write'), /property onceNamespace is empty/);
    assert.throws(() => parseDeliverySettings({ once: true, onceKey: '' }, 'odoo-write'), /property onceKey is empty/);
  });

  it('recognises a unique violation on the key field only', () => {
    assert.equal(isKeyCollision(collision(), 'client_order_ref'), true);
    assert.equal(isKeyCollision(collision(), 'email'), false);
    assert.equal(isKeyCollision(unavailable(), 'client_order_ref'), false);
  });
});

describe('Delivery (SQLite store)', function () {
  let dir: string;
  let store: MiddlewareStore;
  const reinjected: Msg[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-delivery-unit-'));
    store = createSqliteStore({ path: path.join(dir, 'store.sqlite') });
    reinjected.length = 0;
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function delivery(settings: Partial<DeliverySettings>, over: Partial<DeliveryDeps> = {}): Delivery {
    const full: DeliverySettings = { deadLetter: false, replayRatePerSecond: 10, ...settings };
    return new Delivery({
      nodeId: 'w1',
      source: { id: 'w1', type: 'odoo-write' },
      store,
      settings: full,
      extractKey: full.once ? createKeyExtractor(full.once.source) : undefined,
      now: Date.now,
      random: () => 1,
      newId: (() => {
        let n = 0;
        return () => `id-${++n}`;
      })(),
      timers: realTimers,
      flowIdOf: () => undefined,
      reinject: (msg) => reinjected.push(msg),
      changed: () => undefined,
      reportError: (err) => {
        throw err;
      },
      ...over,
    });
  }
  const once = { source: { type: 'msg' as const, path: 'payload.ref' }, namespace: 'n', leaseMs: 60_000, compareFingerprint: true, ttlMs: 60_000 };
  const fastRetry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, multiplier: 1, maxTotalMs: 60_000 };

  it('writes once, then answers the key from the store without running the attempt', async () => {
    const d = delivery({ once });
    let runs = 0;
    const attempt = async () => ({ written: true, result: { payload: 7 }, runs: ++runs });
    const first: Msg = { payload: { ref: 'A' } };
    assert.equal((await d.deliver(first, attempt)).route, 'written');
    assert.equal((first.idempotency as Msg).status, 'completed');
    const again: Msg = { payload: { ref: 'A' } };
    assert.equal((await d.deliver(again, attempt)).route, 'stored');
    assert.deepEqual((again.idempotency as Msg).result, { payload: 7 });
    assert.equal(runs, 1);
    assert.deepEqual(d.counts, { written: 1, stored: 1, conflicts: 0, deadLettered: 0 });
  });

  it('releases the key when nothing was written, and on a failure it throws when retry and dead letter are off', async () => {
    const d = delivery({ once });
    const nothing: Msg = { payload: { ref: 'B' } };
    await d.deliver(nothing, async () => ({ written: false, result: null }));
    assert.equal((nothing.idempotency as Msg).status, 'released');
    await assert.rejects(d.deliver({ payload: { ref: 'B' } }, () => Promise.reject(unavailable())), /Odoo answered 503/);
    assert.equal(await store.getIdempotency('n', 'B', Date.now()), undefined);
  });

  it('schedules a retry in the store and hands the message back with its attempt count', async () => {
    const d = delivery({ once, retry: fastRetry });
    const msg: Msg = { payload: { ref: 'C' } };
    assert.equal((await d.deliver(msg, () => Promise.reject(unavailable()))).route, 'retrying');
    assert.equal((await store.listRetries('w1')).length, 1);
    while (reinjected.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(reinjected[0], msg);
    assert.equal((msg.retry as { attempt: number }).attempt, 2);
    assert.equal(((msg.retry as { history: Array<{ error: Msg }> }).history[0].error.source as Msg).id, 'w1');
    assert.equal((await d.deliver(msg, async () => ({ written: true, result: 1 }))).route, 'written');
    await d.close(false);
  });

  it('gives the error back once the policy gives up with dead letters off, and parks it with them on', async () => {
    const off = delivery({ retry: { ...fastRetry, maxAttempts: 1 } });
    await assert.rejects(off.deliver({ payload: {} }, () => Promise.reject(unavailable())), /Odoo answered 503/);
    const on = delivery({ deadLetter: true });
    const msg: Msg = { payload: {}, correlationId: 'c-1' };
    assert.equal((await on.deliver(msg, () => Promise.reject(unavailable()))).route, 'dead_lettered');
    const letter = await store.getDeadLetter((msg.deadLetter as { id: string }).id);
    assert.equal(letter?.nodeId, 'w1');
    assert.equal(letter?.correlationId, 'c-1');
    assert.equal((msg.deadLetter as { reason: string }).reason, 'max_attempts');
  });

  it('retries a key collision as an unknown outcome, though it is a validation error', async () => {
    const d = delivery({ retry: fastRetry }, { isKeyCollision: (err: MiddlewareError) => isKeyCollision(err, 'client_order_ref') });
    const msg: Msg = { payload: {} };
    assert.equal((await d.deliver(msg, () => Promise.reject(collision()))).route, 'retrying');
    const retry = msg.retry as { outcomeUnknown: boolean; history: Array<{ error: { code: string } }> };
    assert.equal(retry.outcomeUnknown, true);
    assert.equal(retry.history[0].error.code, KEY_COLLISION_CODE);
    await d.close(false);
  });

  it("restarts another node's retry count, keeping its unknown outcome", async () => {
    const d = delivery({ retry: fastRetry });
    const foreign = { attempt: 4, nextDelayMs: 0, history: [{ attempt: 3, at: 1, error: { source: { id: 'other' } } }], outcomeUnknown: true };
    const msg: Msg = { payload: {}, retry: foreign };
    await d.deliver(msg, async () => ({ written: true, result: 1 }));
    assert.deepEqual(msg.retry, { attempt: 1, nextDelayMs: 0, history: [], outcomeUnknown: true });
  });
});
