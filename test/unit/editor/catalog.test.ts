import { strict as assert } from 'node:assert';
import { OdooCatalog, fieldEntries } from '../../../nodes/lib/editor/catalog';

interface Call {
  model: string;
  method: string;
  args: Record<string, unknown>;
}

function fakeOdoo(answer: (call: Call) => unknown) {
  const calls: Call[] = [];
  const client = {
    call<T>(model: string, method: string, args: Record<string, unknown> = {}): Promise<T> {
      calls.push({ model, method, args });
      try {
        return Promise.resolve(answer({ model, method, args }) as T);
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
  return { client, calls };
}

const PARTNER_FIELDS = {
  name: { string: 'Name', type: 'char', required: false, store: true },
  active: { string: 'Active', type: 'boolean', store: true },
  display_name: { string: 'Display Name', type: 'char', store: false, readonly: true },
  country_id: { string: 'Country', type: 'many2one', relation: 'res.country', store: true },
};

describe('editor catalog', () => {
  it('searches ir.model by technical name or label and caches the answer per connection for the TTL', async () => {
    let now = 1000;
    const odoo = fakeOdoo(() => [{ model: 'sale.order', name: 'Sales Order', transient: false }]);
    const catalog = new OdooCatalog({ clientOf: () => odoo.client, ttlMs: 5000, now: () => now });
    const first = await catalog.searchModels('c1', ' Sale ');
    assert.deepEqual(first.items, [{ model: 'sale.order', name: 'Sales Order', transient: false }]);
    assert.deepEqual(odoo.calls[0], { model: 'ir.model', method: 'search_read', args: { domain: ['|', ['model', 'ilike', 'Sale'], ['name', 'ilike', 'Sale']], fields: ['model', 'name', 'transient'], limit: 50, order: 'model asc' } });
    now = 5999;
    assert.equal((await catalog.searchModels('c1', 'sale')).fetchedAt, 1000, 'same query, any case: from the cache');
    assert.equal(odoo.calls.length, 1);
    await catalog.searchModels('c2', 'sale');
    assert.equal(odoo.calls.length, 2, 'another connection has its own cache');
    now = 6000;
    assert.equal((await catalog.searchModels('c1', 'sale')).fetchedAt, 6000, 'expired');
    await catalog.searchModels('c1', 'sale', true);
    assert.equal(odoo.calls.length, 4, 'refresh bypasses the cache');
    await catalog.searchModels('c1', '');
    assert.deepEqual(odoo.calls[4].args.domain, [], 'an empty query lists models');
  });

  it('does not keep a failed answer, and forget drops a connection cache', async () => {
    let fail = true;
    const odoo = fakeOdoo(() => {
      if (fail) throw new Error('down');
      return PARTNER_FIELDS;
    });
    const catalog = new OdooCatalog({ clientOf: () => odoo.client });
    await assert.rejects(catalog.fields('c1', 'res.partner'), /down/);
    fail = false;
    assert.equal((await catalog.fields('c1', 'res.partner')).items.length, 4);
    await catalog.fields('c1', 'res.partner');
    assert.equal(odoo.calls.length, 2);
    catalog.forget('c1');
    await catalog.fields('c1', 'res.partner');
    assert.equal(odoo.calls.length, 3);
  });

  it('says the connection must be deployed when it has no client', async () => {
    const catalog = new OdooCatalog({ clientOf: () => undefined });
    await assert.rejects(() => catalog.fields('nope', 'res.partner'), (err: Error & { code?: string }) => err.code === 'MW_NOT_DEPLOYED' && /deploy the connection/.test(err.message));
    await assert.rejects(() => catalog.count('nope', 'res.partner', []), (err: Error & { code?: string }) => err.code === 'MW_NOT_DEPLOYED');
  });

  it('describes fields with label, type, required, stored and relation, sorted by name', () => {
    const entries = fieldEntries(PARTNER_FIELDS);
    assert.deepEqual(entries.map((f) => f.name), ['active', 'country_id', 'display_name', 'name']);
    assert.deepEqual(entries[1], { name: 'country_id', label: 'Country', type: 'many2one', required: false, hasDefault: false, readonly: false, stored: true, relation: 'res.country' });
    assert.equal(entries[2].stored, false);
    assert.equal(entries[2].readonly, true);
  });

  it('marks required fields Odoo fills itself (default_get), and keeps the list when default_get fails', async () => {
    let refuse = false;
    const odoo = fakeOdoo(({ method, args }) => {
      if (method === 'fields_get') return { name: { type: 'char', required: true }, partner_id: { type: 'many2one', required: true }, note: { type: 'text' } };
      if (refuse) throw new Error('no default_get');
      assert.deepEqual(args, { fields: ['name', 'partner_id'] });
      return { name: 'New' };
    });
    const catalog = new OdooCatalog({ clientOf: () => odoo.client });
    const fields = (await catalog.fields('c', 'sale.order')).items;
    assert.deepEqual(fields.map((f) => [f.name, f.required, f.hasDefault]), [['name', true, true], ['note', false, false], ['partner_id', true, false]]);
    refuse = true;
    const without = (await catalog.fields('c', 'sale.order', true)).items;
    assert.deepEqual(without.map((f) => f.hasDefault), [false, false, false]);
  });

  it('offers a model its own actions, archive when it has active, and the chatter', async () => {
    const odoo = fakeOdoo(({ model }) => (model === 'sale.order' ? { name: { type: 'char' } } : model === 'res.country' ? { name: { type: 'char' } } : PARTNER_FIELDS));
    const catalog = new OdooCatalog({ clientOf: () => odoo.client });
    const order = (await catalog.methods('c', 'sale.order')).items.map((m) => m.name);
    assert.deepEqual(order, ['action_confirm', 'action_cancel', 'action_draft', 'action_quotation_send', 'message_post']);
    const partner = (await catalog.methods('c', 'res.partner')).items.map((m) => m.name);
    assert.deepEqual(partner, ['action_archive', 'action_unarchive', 'message_post']);
    assert.deepEqual((await catalog.methods('c', 'res.country')).items, []);
  });

  it('counts live with the domain checked first', async () => {
    const odoo = fakeOdoo(() => 7);
    const catalog = new OdooCatalog({ clientOf: () => odoo.client });
    assert.equal(await catalog.count('c', 'res.partner', [['is_company', '=', true]]), 7);
    assert.equal(await catalog.count('c', 'res.partner', [['is_company', '=', true]]), 7);
    assert.equal(odoo.calls.length, 2, 'never cached');
    await assert.rejects(() => catalog.count('c', 'res.partner', 'garbage'), /domain/);
    assert.equal(odoo.calls.length, 2);
  });
});
