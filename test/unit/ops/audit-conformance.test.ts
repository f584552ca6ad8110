/**
 * One audit-log contract, run against a real SQLite file and a real Redis: the chain links, filters, retention,
 * two writers on one store, and tampering found by verification.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../../nodes/lib/sqlite-database';
import Redis from 'ioredis';
import { createSqliteAuditLog } from '../../../nodes/lib/ops/audit/sqlite';
import { createRedisAuditLog } from '../../../nodes/lib/ops/audit/redis';
import { GENESIS_HASH, verifyChain } from '../../../nodes/lib/ops/audit/chain';
import type { AuditLog, AuditRecord } from '../../../nodes/lib/ops/audit/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';

const T0 = Date.UTC(2026, 0, 1);

function record(n: number, fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    at: T0 + n * 1000,
    flowId: 'orders',
    nodeId: 'write-1',
    nodeName: 'upsert sale.order',
    connection: 'erp',
    login: 'admin',
    model: 'sale.order',
    method: 'write',
    operation: 'upsert',
    ids: [n],
    recordCount: 1,
    correlationId: `corr-${n}`,
    businessKey: `S${1000 + n}`,
    outcome: 'ok',
    durationMs: 12,
    ...fields,
  };
}

interface Backend {
  name: string;
  before(ctx: Mocha.Context): Promise<void>;
  /** A log on chain `chain` (the same chain when opened twice: two instances on one store). */
  open(chain: string): AuditLog;
  /** Changes one field of entry `seq` behind the log's back. */
  tamper(chain: string, seq: number, field: 'record_count' | 'model'): Promise<void>;
  /** Deletes the newest entry behind the log's back (the head stays). */
  dropLast(chain: string): Promise<void>;
  after(): Promise<void>;
}

function conformance(backend: Backend): void {
  describe(`audit log conformance: ${backend.name}`, function () {
    const open: AuditLog[] = [];
    let counter = 0;
    let chain = '';
    const log = (name = chain) => {
      const l = backend.open(name);
      open.push(l);
      return l;
    };
    before(async function () {
      await backend.before(this);
    });
    beforeEach(() => {
      chain = `chain-${++counter}`;
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((l) => l.close()));
    });
    after(() => backend.after());

    it('links each entry to the one before, from the genesis hash, and verifies', async () => {
      const audit = log();
      const first = await audit.append(record(1));
      const second = await audit.append(record(2));
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.equal(second.seq, 2);
      assert.equal(second.prevHash, first.hash);
      assert.match(second.hash, /^[0-9a-f]{64}$/);
      const report = await verifyChain(audit);
      assert.deepEqual([report.ok, report.entries, report.problems], [true, 2, []]);
    });

    it('queries newest first with filters and pages by seq', async () => {
      const audit = log();
      await audit.append(record(1, { model: 'res.partner', method: 'create', businessKey: 'C1' }));
      await audit.append(record(2, { outcome: 'validation' }));
      await audit.append(record(3, { correlationId: 'corr-x' }));
      await audit.append(record(4, { connection: 'other' }));
      assert.deepEqual((await audit.query({})).map((e) => e.seq), [4, 3, 2, 1]);
      assert.deepEqual((await audit.query({ model: 'res.partner' })).map((e) => e.seq), [1]);
      assert.deepEqual((await audit.query({ outcome: 'validation' })).map((e) => e.seq), [2]);
      assert.deepEqual((await audit.query({ correlationId: 'corr-x' })).map((e) => e.seq), [3]);
      assert.deepEqual((await audit.query({ businessKey: 'C1' })).map((e) => e.seq), [1]);
      assert.deepEqual((await audit.query({ connection: 'erp', since: T0 + 2000 })).map((e) => e.seq), [3, 2]);
      assert.deepEqual((await audit.query({ until: T0 + 2000 })).map((e) => e.seq), [2, 1]);
      assert.deepEqual((await audit.query({ limit: 2 })).map((e) => e.seq), [4, 3]);
      assert.deepEqual((await audit.query({ limit: 2, beforeSeq: 3 })).map((e) => e.seq), [2, 1]);
      const [one] = await audit.query({ businessKey: 'C1' });
      assert.deepEqual({ ...one, hash: undefined, prevHash: undefined }, { ...record(1, { model: 'res.partner', method: 'create', businessKey: 'C1' }), seq: 1, hash: undefined, prevHash: undefined });
    });

    it('finds a changed row and names its seq', async () => {
      const audit = log();
      for (let n = 1; n <= 4; n++) await audit.append(record(n));
      await backend.tamper(chain, 2, 'record_count');
      const report = await verifyChain(audit);
      assert.equal(report.ok, false);
      assert.deepEqual(report.problems.map((p) => p.seq), [2]);
      assert.match(report.problems[0].problem, /changed after it was written/);
    });

    it('finds a changed model column too', async () => {
      const audit = log();
      for (let n = 1; n <= 3; n++) await audit.append(record(n));
      await backend.tamper(chain, 3, 'model');
      assert.deepEqual((await verifyChain(audit)).problems.map((p) => p.seq), [3]);
    });

    it('finds entries removed from the end', async () => {
      const audit = log();
      for (let n = 1; n <= 3; n++) await audit.append(record(n));
      await backend.dropLast(chain);
      const report = await verifyChain(audit);
      assert.equal(report.ok, false);
      assert.match(report.problems[0].problem, /removed from the end/);
    });

    it('retention removes the oldest entries and moves the anchor; the rest still verifies', async () => {
      const audit = log();
      for (let n = 1; n <= 5; n++) await audit.append(record(n));
      assert.equal(await audit.purge(T0 + 3500), 3);
      const { anchor } = await audit.bounds();
      assert.equal(anchor.seq, 3);
      assert.deepEqual((await audit.query({})).map((e) => e.seq), [5, 4]);
      const report = await verifyChain(audit);
      assert.deepEqual([report.ok, report.entries], [true, 2]);
      assert.equal(await audit.purge(T0), 0);
      await audit.append(record(6));
      assert.equal((await verifyChain(audit)).ok, true);
    });

    it('two writers on one store extend one chain', async () => {
      const a = log();
      const b = log();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).append(record(i + 1))));
      const report = await verifyChain(a);
      assert.deepEqual([report.ok, report.entries, report.head.seq], [true, 20, 20]);
    });
  });
}

const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-audit-'));
const sqliteFile = (chain: string) => path.join(sqliteDir, `${chain}.sqlite`);
conformance({
  name: 'sqlite',
  before: async () => undefined,
  open: (chain) => createSqliteAuditLog(sqliteFile(chain)),
  tamper: async (chain, seq, field) => {
    const db = openDatabase(sqliteFile(chain));
    db.prepare(field === 'model' ? `UPDATE audit_log SET model = 'res.users' WHERE seq = ?` : 'UPDATE audit_log SET record_count = record_count + 100 WHERE seq = ?').run(seq);
    db.close();
  },
  dropLast: async (chain) => {
    const db = openDatabase(sqliteFile(chain));
    db.prepare('DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)').run();
    db.close();
  },
  after: async () => fs.rmSync(sqliteDir, { recursive: true, force: true }),
});

const redisPrefix = uniqueKeyPrefix('audit');
const entriesKey = (chain: string) => `${redisPrefix}${chain}:audit:entries`;
async function withRedis(work: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await work(redis);
  } finally {
    redis.disconnect();
  }
}
conformance({
  name: 'redis',
  before: (ctx) => requireRedis(ctx),
  open: (chain) => createRedisAuditLog({ url: REDIS_URL, keyPrefix: `${redisPrefix}${chain}:` }),
  tamper: (chain, seq, field) =>
    withRedis(async (redis) => {
      const [json] = await redis.zrangebyscore(entriesKey(chain), seq, seq);
      const entry = JSON.parse(json) as Record<string, unknown>;
      if (field === 'model') entry.model = 'res.users';
      else entry.recordCount = Number(entry.recordCount) + 100;
      await redis.multi().zrem(entriesKey(chain), json).zadd(entriesKey(chain), seq, JSON.stringify(entry)).exec();
    }),
  dropLast: (chain) =>
    withRedis(async (redis) => {
      await redis.zpopmax(entriesKey(chain));
    }),
  after: () => deleteKeys(redisPrefix),
});
