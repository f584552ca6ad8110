import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventKey, OdooEventDedupe } from '../../../nodes/lib/odoo-events/dedupe';
import { parseOdooEvent, sweepEventBody } from '../../../nodes/lib/odoo-events/event';
import { createRedisStore, createSqliteStore } from '../../../nodes/lib/store';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';

const NOW = Date.UTC(2026, 11, 1, 7, 45, 30);
const partner = (writeDate: string) => ({ model: 'res.partner', id: 43, writeDate });

function suite(name: string, open: (ctx: Mocha.Context) => Promise<{ store: MiddlewareStore; cleanup(): Promise<void> }>): void {
  describe(`odoo event dedupe on ${name}`, function () {
    let store: MiddlewareStore;
    let cleanup: () => Promise<void>;
    let dedupe: OdooEventDedupe;

    beforeEach(async function () {
      ({ store, cleanup } = await open(this));
      dedupe = new OdooEventDedupe(store, 'test');
    });
    afterEach(async () => {
      await store?.close();
      await cleanup?.();
    });

    it("counts Odoo's repeated POSTs of one change once", async () => {
      const first = await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW);
      assert.equal(first.outcome, 'new');
      if (first.outcome === 'new') await first.claim.done(NOW);
      for (let i = 0; i < 12; i++) assert.equal((await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW)).outcome, 'duplicate');
    });

    it('refuses a repeat that is still being handled', async () => {
      assert.equal((await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW)).outcome, 'new');
      assert.equal((await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW)).outcome, 'duplicate');
    });

    it('lets a second change of the record within the same second through', async () => {
      const a = await dedupe.webhook(partner('2026-12-01 07:45:18.100000'), NOW);
      if (a.outcome === 'new') await a.claim.done(NOW);
      assert.equal((await dedupe.webhook(partner('2026-12-01 07:45:18.900000'), NOW)).outcome, 'new');
    });

    it('tells the sweep a change the webhook delivered was seen', async () => {
      const a = await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW);
      if (a.outcome === 'new') await a.claim.done(NOW);
      assert.equal(await dedupe.seen(partner('2026-12-01 07:45:18'), NOW), true);
      assert.equal((await dedupe.sweep(partner('2026-12-01 07:45:18'), NOW)).outcome, 'duplicate');
    });

    it('refuses a webhook arriving after the sweep published the same change', async () => {
      const swept = await dedupe.sweep(partner('2026-12-01 07:45:18'), NOW);
      assert.equal(swept.outcome, 'new');
      if (swept.outcome === 'new') await swept.claim.done(NOW);
      assert.equal((await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW)).outcome, 'duplicate');
      assert.equal((await dedupe.sweep(partner('2026-12-01 07:45:18'), NOW)).outcome, 'duplicate', 'the next sweep skips it too');
    });

    it('gives a released change to the sweep (the flow failed on it)', async () => {
      const a = await dedupe.webhook(partner('2026-12-01 07:45:18.084537'), NOW);
      assert.equal(a.outcome, 'new');
      if (a.outcome === 'new') await a.claim.release();
      assert.equal(await dedupe.seen(partner('2026-12-01 07:45:18'), NOW), false);
      assert.equal((await dedupe.sweep(partner('2026-12-01 07:45:18'), NOW)).outcome, 'new');
    });

    it('keeps namespaces apart', async () => {
      const a = await dedupe.sweep(partner('2026-12-01 07:45:18'), NOW);
      if (a.outcome === 'new') await a.claim.done(NOW);
      assert.equal((await new OdooEventDedupe(store, 'other').sweep(partner('2026-12-01 07:45:18'), NOW)).outcome, 'new');
    });
  });
}

suite('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-dedupe-'));
  return { store: createSqliteStore({ path: path.join(dir, 'store.db') }), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});

suite('Redis', async (ctx) => {
  await requireRedis(ctx);
  const prefix = uniqueKeyPrefix('odoo-dedupe');
  return { store: createRedisStore({ url: REDIS_URL, keyPrefix: prefix }), cleanup: () => deleteKeys(prefix) };
});

describe('odoo event body', () => {
  it('reads model, id, action and write_date of an Odoo webhook body', () => {
    const parsed = parseOdooEvent({ _action: 'Send partner webhook(#354)', _id: 43, _model: 'res.partner', id: 43, write_date: '2026-12-01 07:45:18.084537' });
    assert.deepEqual(parsed, { ok: true, event: { model: 'res.partner', id: 43, action: 'Send partner webhook(#354)', writeDate: '2026-12-01 07:45:18.084537' } });
  });
  it('names what is wrong with a body that is not Odoo', () => {
    assert.deepEqual(parseOdooEvent([1]), { ok: false, message: 'an Odoo webhook body is a JSON object with _model and _id' });
    assert.equal(parseOdooEvent({ _model: 'Res Partner', _id: 1 }).ok, false);
    assert.deepEqual(parseOdooEvent({ _model: 'res.partner', _id: '1' }), { ok: false, message: '_id must be a positive record id' });
  });
  it('keys an event to the second on both paths', () => {
    assert.equal(eventKey(partner('2026-12-01 07:45:18.084537')), 'res.partner:43:2026-12-01 07:45:18');
    assert.equal(eventKey(partner('2026-12-01 07:45:18')), 'res.partner:43:2026-12-01 07:45:18');
  });
  it('shapes a swept record like the webhook body', () => {
    assert.deepEqual(sweepEventBody('res.partner', { id: 5, name: 'A', write_date: '2026-12-01 07:45:18' }), { _action: 'sweep', _id: 5, _model: 'res.partner', id: 5, name: 'A', write_date: '2026-12-01 07:45:18' });
  });
});
