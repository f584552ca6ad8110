/**
 * A real Redis behind a loopback proxy that stops forwarding: the connection stays up and nothing answers.
 * Every command must fail with MW_STORE_UNAVAILABLE within the command timeout, and the store must work again,
 * with each answer matched to its own command, once Redis answers again.
 */
import { strict as assert } from 'node:assert';
import { createRedisStore } from '../../../nodes/lib/store/redis';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';
import { startFreezableProxy, type FreezableProxy } from '../../helpers/tcp-proxy';

const T0 = Date.UTC(2026, 0, 1);

async function failsWithin(work: Promise<unknown>, maxMs: number): Promise<{ elapsed: number; message: string }> {
  const started = Date.now();
  let message = '';
  await assert.rejects(work, (err: { code?: string; retryable?: boolean; message: string }) => {
    assert.equal(err.code, 'MW_STORE_UNAVAILABLE');
    assert.equal(err.retryable, true);
    message = err.message;
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < maxMs, `failed after ${elapsed} ms, expected under ${maxMs} ms`);
  return { elapsed, message };
}

describe('redis store with a Redis that stops answering', function () {
  this.timeout(20_000);
  const prefix = uniqueKeyPrefix('frozen');
  let proxy: FreezableProxy;
  let store: MiddlewareStore | undefined;

  before(async function () {
    await requireRedis(this);
    const target = new URL(REDIS_URL);
    proxy = await startFreezableProxy(target.hostname, Number(target.port || 6379));
  });
  afterEach(async () => {
    proxy?.thaw();
    await store?.close();
    store = undefined;
  });
  after(async () => {
    await proxy?.close();
    await deleteKeys(prefix);
  });

  const viaProxy = (commandTimeoutMs?: number): MiddlewareStore => {
    const url = new URL(REDIS_URL);
    url.port = String(proxy.port);
    return createRedisStore({ url: url.toString(), keyPrefix: prefix, commandTimeoutMs });
  };

  it('fails each kind of command within the timeout, then recovers with answers in order', async () => {
    store = viaProxy(500);
    await store.setWatermark('before', 'ok');
    proxy.freeze();
    const read = await failsWithin(store.getWatermark('before'), 1500);
    assert.ok(read.elapsed >= 450, `failed after ${read.elapsed} ms, before the timeout`);
    assert.match(read.message, /no answer within 500 ms/);
    await failsWithin(store.claim({ namespace: 'n', key: 'k', fingerprint: 'f', leaseToken: 't', leaseMs: 1000, now: T0 }), 1500);
    await failsWithin(store.addDeadLetter({ id: 'dl', nodeId: 'n', status: 'pending', createdAt: T0, updatedAt: T0, attempts: 1, message: {} } as never), 1500);
    proxy.thaw();
    await store.setWatermark('after', 'two');
    assert.equal(await store.getWatermark('after'), 'two');
    assert.equal(await store.getWatermark('before'), 'ok');
  });

  it('a connection lost and re-made to a Redis that does not answer fails within the timeout too', async () => {
    store = viaProxy(500);
    await store.setWatermark('x', '1');
    proxy.freeze();
    proxy.drop();
    // Let the client notice and start reconnecting to a server that accepts but stays silent.
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (let i = 0; i < 3; i++) await failsWithin(store.getWatermark('x'), 1500);
    proxy.thaw();
    // Reconnecting in the background, the store serves again once Redis answers.
    let value: string | undefined;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await store.getWatermark('x').catch(() => undefined);
      if (value === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(value, '1');
  });

  it('defaults to 2 s', async () => {
    store = viaProxy();
    await store.setWatermark('x', '1');
    proxy.freeze();
    const { elapsed, message } = await failsWithin(store.getWatermark('x'), 3500);
    assert.ok(elapsed >= 1900, `failed after ${elapsed} ms, before the 2 s default`);
    assert.match(message, /no answer within 2000 ms/);
  });
});
