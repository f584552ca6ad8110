import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, initRuntime } from '../helpers/runtime';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../helpers/redis';
import { startFreezableProxy } from '../helpers/tcp-proxy';
import storeNode = require('../../nodes/middleware-store');
import guardNode = require('../../nodes/idempotency-guard');
import type { MiddlewareStore, StoreProvider } from '../../nodes/lib/store/types';

initRuntime();

const NODES: Parameters<typeof helper.load>[0] = [storeNode, guardNode];
const T0 = Date.UTC(2026, 0, 1);
type Flow = Parameters<typeof helper.load>[1];
const flowOf = (...nodes: Array<Record<string, unknown>>): Flow => nodes as unknown as Flow;
const claimOnce = (store: MiddlewareStore, key: string) =>
  store.claim({ namespace: 'n', key, fingerprint: 'f', leaseToken: 't', leaseMs: 60_000, now: T0 });

function storeOf(id: string): MiddlewareStore {
  return (helper.getNode(id) as unknown as StoreProvider).getStore();
}

describe('middleware-store config node', function () {
  let dir: string;

  before(() => helper.startServer());
  after(() => {
    helper.settings({});
    return helper.stopServer();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-store-node-'));
    helper.settings({ userDir: dir });
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens <userDir>/odoo-middleware.sqlite by default and shares one instance', async () => {
    await helper.load(
      NODES,
      flowOf(
        { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: '' },
        { id: 'g1', type: 'idempotency-guard', store: 'store1', namespace: 'a', key: 'payload.id', keyType: 'msg', wires: [[], [], []] },
        { id: 'g2', type: 'idempotency-guard', store: 'store1', namespace: 'b', key: 'payload.id', keyType: 'msg', wires: [[], [], []] },
      ),
    );
    const store = storeOf('store1');
    assert.equal(store, storeOf('store1'));
    assert.equal(store.backend, 'sqlite');
    assert.ok(fs.existsSync(path.join(dir, 'odoo-middleware.sqlite')));
    assert.equal((await claimOnce(store, 'k')).outcome, 'claimed');
  });

  it('takes a relative path from the user dir and keeps data across a restart', async () => {
    const flow = flowOf({ id: 'store1', type: 'middleware-store', backend: 'sqlite', path: 'data/mw.sqlite' });
    await helper.load(NODES, flow);
    await storeOf('store1').setWatermark('orders', '7');
    assert.ok(fs.existsSync(path.join(dir, 'data', 'mw.sqlite')));
    await helper.unload();
    await helper.load(NODES, flow);
    assert.equal(await storeOf('store1').getWatermark('orders'), '7');
  });

  it('closes the store on close: later calls fail as store_unavailable', async () => {
    await helper.load(NODES, flowOf({ id: 'store1', type: 'middleware-store', backend: 'sqlite', path: 'x.sqlite' }));
    const store = storeOf('store1');
    await helper.unload();
    await assert.rejects(store.getWatermark('x'), (err: { code?: string }) => err.code === 'MW_STORE_UNAVAILABLE');
  });

  it('turns an unusable file into a per-call store_unavailable error instead of a crash', async () => {
    fs.writeFileSync(path.join(dir, 'blocker'), 'not a directory');
    await helper.load(NODES, flowOf({ id: 'store1', type: 'middleware-store', backend: 'sqlite', path: 'blocker/sub/x.sqlite' }));
    await assert.rejects(claimOnce(storeOf('store1'), 'k'), (err: { code?: string; message: string }) => {
      assert.equal(err.code, 'MW_STORE_UNAVAILABLE');
      assert.match(err.message, /could not be opened/);
      return true;
    });
  });

  describe('with Redis', function () {
    const prefix = uniqueKeyPrefix('store-node');
    before(async function () {
      await requireRedis(this);
    });
    after(() => deleteKeys(prefix));

    it('connects with url, db and key prefix', async () => {
      await helper.load(NODES, flowOf({ id: 'store1', type: 'middleware-store', backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix, tls: false }));
      const store = storeOf('store1');
      assert.equal(store.backend, 'redis');
      await store.setWatermark('w', 'v');
      assert.equal(await store.getWatermark('w'), 'v');
    });

    it('fails a command Redis does not answer within the command timeout setting', async () => {
      const target = new URL(REDIS_URL);
      const proxy = await startFreezableProxy(target.hostname, Number(target.port || 6379));
      try {
        target.port = String(proxy.port);
        await helper.load(NODES, flowOf({ id: 'store1', type: 'middleware-store', backend: 'redis', url: target.toString(), db: 0, keyPrefix: prefix, tls: false, commandTimeout: '0.3' }));
        const store = storeOf('store1');
        await store.setWatermark('w', 'v');
        proxy.freeze();
        const started = Date.now();
        await assert.rejects(store.getWatermark('w'), (err: { code?: string; message: string }) => {
          assert.equal(err.code, 'MW_STORE_UNAVAILABLE');
          assert.match(err.message, /no answer within 300 ms/);
          return true;
        });
        assert.ok(Date.now() - started < 1500);
      } finally {
        proxy.thaw();
        await helper.unload();
        await proxy.close();
      }
    });

    it('passes the credentials to Redis (a wrong password fails as store_unavailable)', async () => {
      await helper.load(
        NODES,
        flowOf({ id: 'store1', type: 'middleware-store', backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix, tls: false }),
        { store1: { username: 'nobody', password: 'wrong-password' } },
      );
      await assert.rejects(storeOf('store1').getWatermark('w'), (err: { code?: string; message: string }) => {
        assert.equal(err.code, 'MW_STORE_UNAVAILABLE');
        assert.doesNotMatch(err.message, /wrong-password/);
        return true;
      });
    });
  });
});
