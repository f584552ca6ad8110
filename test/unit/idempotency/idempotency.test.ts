import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  canonicalJson,
  checkIdempotency,
  completeIdempotency,
  createKeyExtractor,
  fingerprint,
  readHeldLease,
  readPath,
  releaseIdempotency,
  type GuardOptions,
} from '../../../nodes/lib/idempotency';
import { createSqliteStore } from '../../../nodes/lib/store';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';

const isValidation = (property: string) => (err: { code?: string; cause?: unknown }) => {
  assert.equal(err.code, 'MW_VALIDATION');
  assert.equal((err.cause as { property?: string } | undefined)?.property, property);
  return true;
};

describe('canonical JSON and fingerprint', () => {
  it('sorts keys at every depth and drops undefined like JSON', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson([undefined, NaN, 'x', null]), '[null,null,"x",null]');
    assert.equal(canonicalJson(new Date(Date.UTC(2026, 0, 1))), '"2026-01-01T00:00:00.000Z"');
  });

  it('gives equal fingerprints for equal data in any key order, different ones otherwise', () => {
    assert.equal(fingerprint({ a: 1, b: [1, 2] }), fingerprint({ b: [1, 2], a: 1 }));
    assert.notEqual(fingerprint({ a: 1, b: [1, 2] }), fingerprint({ a: 1, b: [2, 1] }));
    assert.equal(fingerprint('x'), createHash('sha256').update('"x"').digest('hex'));
  });

  it('refuses circular data with a validation error', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    assert.throws(() => fingerprint(loop), (err: { code?: string }) => err.code === 'MW_VALIDATION');
  });
});

describe('property paths', () => {
  it('reads dots, indexes and quoted names, with or without msg.', () => {
    const msg = { payload: { lines: [{ 'sku.code': 'A' }] } };
    assert.equal(readPath(msg, 'msg.payload.lines[0]["sku.code"]'), 'A');
    assert.equal(readPath(msg, 'payload.lines[1]'), undefined);
    assert.equal(readPath(msg, 'payload.nothing.deeper'), undefined);
  });

  it('rejects malformed paths naming them', () => {
    assert.throws(() => readPath({}, 'payload..id'), /Invalid property path "payload..id"/);
    assert.throws(() => readPath({}, 'payload[x]'), /Invalid property path/);
  });
});

describe('key extraction', () => {
  it('reads a message property; numbers become text', async () => {
    const extract = createKeyExtractor({ type: 'msg', path: 'payload.orderId' });
    assert.equal(await extract({ payload: { orderId: 'SO-1' } }), 'SO-1');
    assert.equal(await extract({ payload: { orderId: 17 } }), '17');
  });

  it('names the property when the key is missing, empty or not a scalar', async () => {
    const extract = createKeyExtractor({ type: 'msg', path: 'payload.orderId' });
    await assert.rejects(extract({ payload: {} }), (err: Error & { code?: string }) => /msg\.payload\.orderId is missing/.test(err.message) && isValidation('msg.payload.orderId')(err));
    await assert.rejects(extract({ payload: { orderId: '  ' } }), /is an empty string|non-empty/);
    await assert.rejects(extract({ payload: { orderId: { a: 1 } } }), /is a object; expected a non-empty string or a number/);
  });

  it('evaluates a JSONata expression', async () => {
    const extract = createKeyExtractor({ type: 'jsonata', expression: 'payload.shop & "-" & payload.id' });
    assert.equal(await extract({ payload: { shop: 'eu', id: 5 } }), 'eu-5');
    await assert.rejects(createKeyExtractor({ type: 'jsonata', expression: 'payload.id' })({ payload: {} }), /JSONata expression payload\.id is missing/);
    assert.throws(() => createKeyExtractor({ type: 'jsonata', expression: 'payload.(' }), /Invalid JSONata/);
  });

  it('finds a header case-insensitively in msg.req.headers, then msg.headers', async () => {
    const extract = createKeyExtractor({ type: 'header', name: 'Idempotency-Key' });
    assert.equal(await extract({ req: { headers: { 'idempotency-key': 'from-req' } }, headers: { 'Idempotency-Key': 'other' } }), 'from-req');
    assert.equal(await extract({ headers: { 'IDEMPOTENCY-KEY': ['first', 'second'] } }), 'first');
    await assert.rejects(extract({ headers: {} }), /header "Idempotency-Key"/);
  });

  it('hashes chosen payload fields, independent of other fields and key order', async () => {
    const extract = createKeyExtractor({ type: 'hash', fields: ['order.id', ' email '] });
    const a = await extract({ payload: { email: 'a@x', order: { id: 1, note: 'n' }, ignored: 1 } });
    const b = await extract({ payload: { order: { id: 1, note: 'other' }, email: 'a@x' } });
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, await extract({ payload: { order: { id: 2 }, email: 'a@x' } }));
    await assert.rejects(extract({ payload: { order: { id: 1 } } }), isValidation('msg.payload.email'));
    assert.throws(() => createKeyExtractor({ type: 'hash', fields: [' '] }), /no fields/);
  });
});

describe('guard decisions', () => {
  let store: MiddlewareStore;
  let clock: number;
  let tokens: number;
  const options = (): GuardOptions => ({ namespace: 'orders', leaseMs: 1000, now: () => clock, newToken: () => `token-${++tokens}` });

  beforeEach(() => {
    store = createSqliteStore({ path: ':memory:' });
    clock = Date.UTC(2026, 0, 1);
    tokens = 0;
  });
  afterEach(() => store.close());

  it('routes first sight, then duplicates with the stored result', async () => {
    const first = await checkIdempotency(store, options(), 'SO-1', 'fp');
    assert.equal(first.route, 'first');
    assert.deepEqual(first.idempotency, {
      key: 'SO-1',
      namespace: 'orders',
      status: 'in_progress',
      leaseToken: 'token-1',
      firstSeenAt: clock,
      fingerprint: 'fp',
      leaseExpiresAt: clock + 1000,
    });
    const lease = readHeldLease({ idempotency: first.idempotency });
    clock += 10;
    assert.deepEqual(await completeIdempotency(store, lease, { invoice: 9 }, 5000, clock), { completedAt: clock, expiresAt: clock + 5000 });
    clock += 10;
    const dup = await checkIdempotency(store, options(), 'SO-1', 'fp');
    assert.equal(dup.route, 'duplicate');
    assert.equal(dup.idempotency.status, 'completed');
    assert.deepEqual(dup.idempotency.result, { invoice: 9 });
    assert.equal(dup.idempotency.firstSeenAt, clock - 20);
    assert.equal(dup.idempotency.leaseToken, undefined, 'a duplicate never carries the lease token');
  });

  it('routes a concurrent resend and a changed payload to conflict with a reason', async () => {
    await checkIdempotency(store, options(), 'SO-1', 'fp');
    const busy = await checkIdempotency(store, options(), 'SO-1', 'fp');
    assert.equal(busy.route, 'conflict');
    assert.equal(busy.idempotency.reason, 'in_progress');
    assert.match(busy.idempotency.message ?? '', /being processed/);
    const changed = await checkIdempotency(store, options(), 'SO-1', 'other');
    assert.equal(changed.route, 'conflict');
    assert.equal(changed.idempotency.reason, 'fingerprint_mismatch');
    assert.match(changed.idempotency.message ?? '', /different payload/);
  });

  it('takes over an expired lease and fences the stale holder with lease_lost', async () => {
    const stale = readHeldLease({ idempotency: (await checkIdempotency(store, options(), 'k', 'fp')).idempotency });
    clock += 1000;
    const fresh = await checkIdempotency(store, options(), 'k', 'fp');
    assert.equal(fresh.route, 'first');
    assert.equal(fresh.idempotency.takeover, true);
    await assert.rejects(completeIdempotency(store, stale, 1, 1000, clock), (err: { code?: string; cause?: { key?: string } }) => err.code === 'MW_LEASE_LOST' && err.cause?.key === 'k');
    await assert.rejects(releaseIdempotency(store, stale), (err: { code?: string }) => err.code === 'MW_LEASE_LOST');
  });

  it('release lets the next message through as first sight', async () => {
    const lease = readHeldLease({ idempotency: (await checkIdempotency(store, options(), 'k', 'fp')).idempotency });
    await releaseIdempotency(store, lease);
    assert.equal((await checkIdempotency(store, options(), 'k', 'fp')).route, 'first');
  });

  it('refuses a result that cannot be stored, naming msg.payload', async () => {
    const lease = readHeldLease({ idempotency: (await checkIdempotency(store, options(), 'k', 'fp')).idempotency });
    const loop: Record<string, unknown> = {};
    loop.loop = loop;
    await assert.rejects(completeIdempotency(store, lease, loop, 1000, clock), isValidation('msg.payload'));
  });

  it('names the missing msg.idempotency property', () => {
    assert.throws(() => readHeldLease({}), isValidation('msg.idempotency'));
    assert.throws(() => readHeldLease({ idempotency: { key: 'k', namespace: 'n' } }), isValidation('msg.idempotency.leaseToken'));
  });
});
