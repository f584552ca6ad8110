import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../nodes/lib/sqlite-database';
import Redis from 'ioredis';
import type { Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import writeNode = require('../../nodes/odoo-write');
import storeNode = require('../../nodes/middleware-store');
import { adminKey, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../helpers/redis';
import { helper } from '../helpers/runtime';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const CLI = path.resolve(__dirname, '..', '..', 'nodes', 'bin', 'odoo-middleware-audit.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

interface Entry {
  seq: number;
  model: string;
  method: string;
  operation?: string;
  ids: number[];
  recordCount: number;
  outcome: string;
  businessKey?: string;
  correlationId?: string;
  connection: string;
  login?: string;
  flowId?: string;
  nodeId?: string;
  nodeName?: string;
  durationMs: number;
  hash: string;
  prevHash: string;
}

describe('audit log of Odoo writes through a real runtime and the sandbox', function () {
  this.timeout(20_000);
  let sb: Sandbox;
  let dir = '';
  useSandbox((started) => (sb = started));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-audit-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writer = (id: string, operation: string, extra: Record<string, unknown> = {}) => ({
    id, type: 'odoo-write', z: 'f1', name: `${operation} partner`, connection: 'conn', operation, model: 'res.partner', modelType: 'str', ids: 'odoo.ids', idsType: 'msg', chunkSize: 100, keyType: 'none', wires: [['ok'], ['ok']], ...extra,
  });

  function flow(store: Record<string, unknown>, conn: Record<string, unknown> = {}) {
    return [
      tab,
      { ...connection(sb.url), name: 'erp', auditStore: 'store1', ...conn },
      { id: 'store1', type: 'middleware-store', ...store },
      writer('creator', 'create'),
      writer('updater', 'write'),
      writer('remover', 'unlink'),
      { id: 'reader', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']] },
      { id: 'ok', type: 'helper', z: 'f1' },
      ...caught,
    ];
  }

  async function send(id: string, msg: Record<string, unknown>): Promise<Msg> {
    const done = Promise.race([collect('ok', 1).then(([m]) => m), collect('errors', 1).then(([m]) => m)]);
    helper.getNode(id).receive(msg as Msg);
    return done;
  }

  /** create x2, write, unlink, a failing write, a read: five audited calls. */
  async function traffic(): Promise<number[]> {
    const a = (await send('creator', { payload: { name: 'Audit A', email: 'a@example.com' }, businessKey: 'order S1', correlationId: 'corr-1' })).payload as number;
    const b = (await send('creator', { payload: { name: 'Audit B' }, businessKey: 'jane@example.com' })).payload as number;
    await send('updater', { payload: { name: 'Audit A2' }, odoo: { ids: [a] } });
    await send('remover', { odoo: { ids: [b] } });
    const failed = await send('updater', { payload: { name: 'x' }, odoo: { ids: [987654] } });
    assert.ok(failed.error, 'the write of a missing record fails');
    await send('reader', { payload: 1 });
    return [a, b];
  }

  /** Audit appends run after the call returns: wait until `n` entries are there. */
  async function entries(n: number, query = ''): Promise<Entry[]> {
    let got: Entry[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await helper.request().get(`/odoo-middleware/audit${query}`).expect(200);
      got = res.body.entries as Entry[];
      if (got.length >= n) return got;
      await new Promise((r) => setTimeout(r, 20));
    }
    return got;
  }

  it('records every write that reached Odoo, serves filters and JSON lines, and the CLI verifies then finds a changed row (SQLite)', async () => {
    const file = path.join(dir, 'audit.sqlite');
    await helper.load([connectionNode, readNode, writeNode, storeNode, catchNode], flow({ backend: 'sqlite', path: file }), adminKey);
    const [a, b] = await traffic();
    const all = await entries(5);
    assert.deepEqual(all.map((e) => [e.seq, e.method, e.operation, e.outcome]), [
      [5, 'write', 'write', all[0].outcome],
      [4, 'unlink', 'unlink', 'ok'],
      [3, 'write', 'write', 'ok'],
      [2, 'create', 'create', 'ok'],
      [1, 'create', 'create', 'ok'],
    ]);
    assert.notEqual(all[0].outcome, 'ok');
    const first = all[4];
    assert.deepEqual(
      { ...first, hash: undefined, prevHash: undefined, durationMs: undefined, at: undefined },
      {
        seq: 1, at: undefined, connection: 'erp', login: 'admin', model: 'res.partner', method: 'create', operation: 'create', ids: [a], recordCount: 1,
        flowId: 'f1', nodeId: 'creator', nodeName: 'create partner', correlationId: 'corr-1', businessKey: 'order S1', outcome: 'ok',
        hash: undefined, prevHash: undefined, durationMs: undefined,
      },
    );
    assert.equal(typeof first.durationMs, 'number');
    assert.equal(all[3].businessKey, '[email]', 'a business key that is an e-mail address is masked');
    assert.deepEqual(all[1].ids, [b]);

    assert.deepEqual((await entries(1, '?method=unlink')).map((e) => e.seq), [4]);
    assert.deepEqual((await entries(1, '?correlationId=corr-1')).map((e) => e.seq), [1]);
    assert.deepEqual((await entries(2, '?limit=2')).map((e) => e.seq), [5, 4]);
    assert.deepEqual((await entries(2, '?limit=2&beforeSeq=4')).map((e) => e.seq), [3, 2]);
    await helper.request().get('/odoo-middleware/audit?limit=0').expect(400);

    const exported = await helper.request().get('/odoo-middleware/audit/export').expect(200).expect('content-type', /application\/x-ndjson/);
    const lines = String(exported.text).trim().split('\n').map((l) => JSON.parse(l) as Entry);
    assert.deepEqual(lines.map((e) => e.seq), [1, 2, 3, 4, 5]);
    assert.equal((await helper.request().get('/odoo-middleware/audit/verify').expect(200)).body.ok, true);
    const stores = (await helper.request().get('/odoo-middleware/stores').expect(200)).body.stores as Array<{ id: string; auditHead: { seq: number } }>;
    assert.deepEqual(stores.map((s) => [s.id, s.auditHead.seq]), [['store1', 5]]);

    const intact = await cli(['verify', '--sqlite', file]);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /audit chain intact: 5 entries, 1 to 5/);

    const db = openDatabase(file);
    db.prepare('UPDATE audit_log SET ids = ? WHERE seq = 3').run(JSON.stringify([a + 1]));
    db.close();
    const broken = await cli(['verify', '--sqlite', file]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /audit chain BROKEN/);
    assert.match(broken.stdout, /entry 3: the entry was changed after it was written/);
    assert.equal((await helper.request().get('/odoo-middleware/audit/verify').expect(200)).body.ok, false);
  });

  it('a call refused before it was sent is not audited; without auditStore nothing is', async () => {
    const file = path.join(dir, 'refused.sqlite');
    await helper.load([connectionNode, readNode, writeNode, storeNode, catchNode], flow({ backend: 'sqlite', path: file }, { allowWrite: 'res.partner:create' }), adminKey);
    await send('creator', { payload: { name: 'Allowed' } });
    const refused = await send('remover', { odoo: { ids: [1] } });
    assert.equal((refused.error as { code: string }).code, 'ODOO_POLICY');
    assert.deepEqual((await entries(1)).map((e) => e.method), ['create']);
    await helper.unload();
    const plain = path.join(dir, 'plain.sqlite');
    await helper.load([connectionNode, readNode, writeNode, storeNode, catchNode], flow({ backend: 'sqlite', path: plain }, { auditStore: '' }), adminKey);
    await send('creator', { payload: { name: 'Not audited' } });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual((await helper.request().get('/odoo-middleware/audit').expect(200)).body.entries, []);
  });

  it('a write whose audit store is missing still goes through, and the log says it was not audited', async () => {
    await helper.load([connectionNode, readNode, writeNode, storeNode, catchNode], flow({ backend: 'sqlite', path: path.join(dir, 'unused.sqlite') }, { auditStore: 'no-such-store' }), adminKey);
    const created = await send('creator', { payload: { name: 'Written, not audited' } });
    assert.equal(typeof created.payload, 'number');
    const errors = (helper.log().args as unknown[][]).map((a) => a[0] as { level: number; msg: unknown }).filter((e) => e.level === 20).map((e) => String(e.msg));
    assert.ok(errors.some((line) => /audit log unavailable, Odoo writes of erp are not audited: auditStore no-such-store is not a deployed middleware-store/.test(line)), errors.join('\n'));
  });

  describe('on Redis', function () {
    const prefix = uniqueKeyPrefix('ops-audit');
    before(async function () {
      await requireRedis(this);
    });
    after(() => deleteKeys(prefix));

    it('records the writes and the CLI verifies, then finds a changed entry', async () => {
      await helper.load([connectionNode, readNode, writeNode, storeNode, catchNode], flow({ backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix, tls: false }), adminKey);
      await traffic();
      assert.equal((await entries(5)).length, 5);
      const intact = await cli(['verify', '--redis', REDIS_URL, '--prefix', prefix]);
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /5 entries/);
      const redis = new Redis(REDIS_URL);
      try {
        const key = `${prefix}audit:entries`;
        const [json] = await redis.zrangebyscore(key, 2, 2);
        const changed = { ...(JSON.parse(json) as Entry), recordCount: 40 };
        await redis.multi().zrem(key, json).zadd(key, 2, JSON.stringify(changed)).exec();
      } finally {
        redis.disconnect();
      }
      const broken = await cli(['verify', '--redis', REDIS_URL, '--prefix', prefix]);
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /entry 2: the entry was changed/);
    });
  });
});
