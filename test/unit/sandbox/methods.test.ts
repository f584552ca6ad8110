import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { DEMO, call, executeKw, json2, kw } from './helpers';

type Rec = Record<string, unknown> & { id: number };
const ODOO_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe('sandbox: model methods', () => {
  let sb: Sandbox;
  let clock = Date.UTC(2026, 0, 15, 9, 30, 0);
  before(async () => {
    sb = await startSandbox({ now: () => clock });
  });
  after(() => sb.close());

  describe('search_read and read', () => {
    it('formats many2one as [id, name], x2many as ids, unset as false, datetimes as UTC text', async () => {
      const [order] = await call<Rec[]>(sb, 'sale.order', 'search_read', {
        domain: [['client_order_ref', '=', 'GEM-001']],
        fields: ['name', 'partner_id', 'date_order', 'amount_total', 'order_line', 'note', 'state'],
      });
      assert.deepEqual(Object.keys(order), ['id', 'name', 'partner_id', 'date_order', 'amount_total', 'order_line', 'note', 'state']);
      assert.match(String(order.name), /^S\d{5}$/);
      assert.ok(Array.isArray(order.partner_id));
      assert.equal((order.partner_id as unknown[])[1], 'Gemini Furniture');
      assert.equal(order.date_order, '2026-01-15 09:30:00');
      assert.equal(order.amount_total, 3 * 70 + 2 * 38.5);
      assert.equal((order.order_line as number[]).length, 2);
      assert.equal(order.note, false);
      assert.equal(order.state, 'draft');
    });

    it('reads every field when none are named, and load: null gives bare many2one ids', async () => {
      const [partner] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [3] });
      for (const f of ['id', 'name', 'display_name', 'email', 'parent_id', 'child_ids', 'country_id', 'active', 'create_date', 'write_date', 'create_uid', 'write_uid']) {
        assert.ok(f in partner, `${f} is read`);
      }
      assert.match(String(partner.write_date), ODOO_DATETIME);
      const [bare] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [3], fields: ['country_id'], load: null });
      assert.equal(typeof bare.country_id, 'number');
    });

    it('skips missing ids silently, in the order asked', async () => {
      assert.deepEqual(await call(sb, 'res.partner', 'read', { ids: [3, 999999, 1], fields: ['name'] }), [
        { id: 3, name: 'Mitchell Admin' },
        { id: 1, name: 'YourCompany' },
      ]);
      assert.deepEqual(await kw(sb, 'res.partner', 'read', [[999999], ['name']]), []);
    });

    it('pages with limit, offset and order on any stored field', async () => {
      const all = await call<number[]>(sb, 'res.partner', 'search', { domain: [], order: 'id asc' });
      const page = await call<Rec[]>(sb, 'res.partner', 'search_read', { domain: [], fields: ['name'], limit: 3, offset: 2, order: 'id asc' });
      assert.deepEqual(page.map((r) => r.id), all.slice(2, 5));
      assert.deepEqual(await call(sb, 'res.partner', 'search', { domain: [], order: 'id asc', limit: 0 }), all, 'limit 0 means no limit, as in Odoo');
      const desc = await call<number[]>(sb, 'res.partner', 'search', { domain: [], order: 'id desc', limit: 2 });
      assert.deepEqual(desc, [...all].reverse().slice(0, 2));
      const byName = await call<Rec[]>(sb, 'res.partner', 'search_read', { domain: [['is_company', '=', true]], fields: ['name'], order: 'name desc' });
      const names = byName.map((r) => String(r.name));
      assert.deepEqual(names, [...names].sort((a, b) => b.localeCompare(a)));
      const byCountry = await call<Rec[]>(sb, 'res.partner', 'search_read', { domain: [['country_id', '!=', false]], fields: ['country_id'], order: 'country_id asc, id asc' });
      const countries = byCountry.map((r) => (r.country_id as [number, string])[1]);
      assert.deepEqual(countries, [...countries].sort());
    });

    it('rejects a malformed order', async () => {
      const r = await json2(sb, 'res.partner', 'search', { domain: [], order: 'name; drop table' });
      assert.equal(r.status, 500);
      assert.match(String((r.body as Rec).message), /^Invalid "order" specified/);
      const unknown = await json2(sb, 'res.partner', 'search', { domain: [], order: 'nofield desc' });
      assert.equal((unknown.body as Rec).message, "Invalid field 'nofield' on model 'res.partner'");
    });

    it('search_count counts, with an optional limit', async () => {
      const total = await call<number>(sb, 'res.partner', 'search_count', { domain: [] });
      assert.ok(total > 10);
      assert.equal(await call(sb, 'res.partner', 'search_count', { domain: [], limit: 5 }), 5);
      assert.equal(await kw(sb, 'res.partner', 'search_count', [[['is_company', '=', true]]]), 7);
    });

    it('hides archived records unless active_test is false or the domain names active', async () => {
      const ids = await call<number[]>(sb, 'res.partner', 'search', { domain: [['name', '=', 'OdooBot']] });
      assert.deepEqual(ids, []);
      assert.deepEqual(await call(sb, 'res.partner', 'search', { domain: [['name', '=', 'OdooBot']], context: { active_test: false } }), [2]);
      assert.deepEqual(await call(sb, 'res.partner', 'search', { domain: [['active', '=', false]] }), [2]);
      assert.deepEqual(await kw(sb, 'res.partner', 'search', [[['name', '=', 'OdooBot']]], { context: { active_test: false } }), [2]);
      assert.equal((await call<Rec[]>(sb, 'res.partner', 'read', { ids: [2], fields: ['active'] }))[0].active, false);
    });
  });

  describe('create, write, unlink', () => {
    it('JSON-2 create always answers a list; JSON-RPC answers an int for a dict, a list for a list', async () => {
      const fromList = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'A1' }, { name: 'A2' }] });
      assert.equal(fromList.length, 2);
      assert.equal(fromList[1], fromList[0] + 1);
      const fromDict = await call<number[]>(sb, 'res.partner', 'create', { vals_list: { name: 'Single dict' } });
      assert.ok(Array.isArray(fromDict) && fromDict.length === 1);
      const rpcInt = await kw(sb, 'res.partner', 'create', [{ name: 'RPC one' }]);
      assert.equal(typeof rpcInt, 'number');
      const rpcList = await kw<number[]>(sb, 'res.partner', 'create', [[{ name: 'RPC a' }, { name: 'RPC b' }]]);
      assert.equal(rpcList.length, 2);
      const viaKwargs = await kw<number>(sb, 'res.partner', 'create', [], { vals_list: { name: 'RPC kwargs' } });
      assert.equal(typeof viaKwargs, 'number');
    });

    it('creates nothing when one record of a batch fails', async () => {
      const before = await call<number>(sb, 'res.partner', 'search_count', { domain: [] });
      const r = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'ok 1' }, { email: 'no-name@example.com' }, { name: 'ok 3' }] });
      assert.equal(r.status, 422);
      assert.equal(await call(sb, 'res.partner', 'search_count', { domain: [] }), before);
    });

    it('write answers true, bumps write_date monotonically and sets write_uid', async () => {
      const [id] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Writable' }] });
      const [created] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [id], fields: ['write_date', 'create_date', 'write_uid'] });
      clock += 61_000;
      assert.equal(await call(sb, 'res.partner', 'write', { ids: [id], vals: { email: 'w@example.com' } }, DEMO), true);
      const [written] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [id], fields: ['email', 'write_date', 'create_date', 'write_uid'] });
      assert.equal(written.email, 'w@example.com');
      assert.ok(String(written.write_date) > String(created.write_date));
      assert.equal(written.create_date, created.create_date);
      assert.equal((written.write_uid as [number, string])[0], 6);
      clock -= 3_600_000;
      await call(sb, 'res.partner', 'write', { ids: [id], vals: { phone: '1' } });
      const [again] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [id], fields: ['write_date'] });
      assert.ok(String(again.write_date) >= String(written.write_date), 'write_date never goes backwards');
      assert.equal(await kw(sb, 'res.partner', 'write', [[id], { phone: '2' }]), true);
    });

    it('validates written values like Odoo', async () => {
      const [id] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Typed' }] });
      const badField = await json2(sb, 'res.partner', 'write', { ids: [id], vals: { nofield: 1 } });
      assert.equal((badField.body as Rec).message, "Invalid field 'nofield' on model 'res.partner'");
      const badSelection = await json2(sb, 'res.partner', 'write', { ids: [id], vals: { type: 'xyz' } });
      assert.equal((badSelection.body as Rec).message, "Wrong value for res.partner.type: 'xyz'");
      const isoDate = await json2(sb, 'sale.order', 'write', { ids: [1], vals: { date_order: '2026-01-02T03:04:05Z' } });
      assert.equal((isoDate.body as Rec).name, 'builtins.ValueError');
      const cleared = await json2(sb, 'sale.order', 'write', { ids: [1], vals: { partner_id: false } });
      assert.equal(cleared.status, 422);
      assert.match(String((cleared.body as Rec).message), /Missing required value for the field 'Customer'/);
    });

    it('unlink answers true; the record and its external ID are gone', async () => {
      const [id] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Doomed' }] });
      await call(sb, 'ir.model.data', 'create', { vals_list: [{ module: '__import__', name: 'doomed', model: 'res.partner', res_id: id }] });
      assert.equal(await call(sb, 'res.partner', 'unlink', { ids: [id] }), true);
      assert.deepEqual(await call(sb, 'res.partner', 'read', { ids: [id], fields: ['name'] }), []);
      assert.equal(await call(sb, 'ir.model.data', 'search_count', { domain: [['name', '=', 'doomed']] }), 0);
      const again = await json2(sb, 'res.partner', 'unlink', { ids: [id] });
      assert.equal(again.status, 404);
      assert.equal((again.body as Rec).message, `Record does not exist or has been deleted.\n(Record: res.partner(${id},), User: 2)`);
    });

    it('refuses to delete a partner a sales order needs (foreign key), and rolls the whole unlink back', async () => {
      const [partner] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Customer with order' }] });
      const [free] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Free partner' }] });
      await call(sb, 'sale.order', 'create', { vals_list: [{ partner_id: partner }] });
      const r = await json2(sb, 'res.partner', 'unlink', { ids: [free, partner] });
      assert.equal(r.status, 422);
      assert.match(String((r.body as Rec).message), /another model requires the record being deleted[\s\S]*Model: Sales Order \(sale\.order\)/);
      assert.equal((await call<Rec[]>(sb, 'res.partner', 'read', { ids: [free], fields: ['name'] })).length, 1, 'nothing deleted');
    });
  });

  describe('introspection and helpers', () => {
    it('fields_get describes types, relations, required and readonly', async () => {
      const all = await call<Record<string, Rec>>(sb, 'sale.order', 'fields_get', {});
      assert.equal(all.partner_id.type, 'many2one');
      assert.equal(all.partner_id.relation, 'res.partner');
      assert.equal(all.partner_id.required, true);
      assert.equal(all.partner_id.string, 'Customer');
      assert.equal(all.order_line.type, 'one2many');
      assert.equal(all.order_line.relation, 'sale.order.line');
      assert.equal(all.order_line.relation_field, 'order_id');
      assert.equal(all.amount_total.type, 'monetary');
      assert.equal(all.amount_total.readonly, true);
      assert.equal(all.date_order.type, 'datetime');
      assert.ok(Array.isArray(all.state.selection));
      const partner = await call<Record<string, Rec>>(sb, 'res.partner', 'fields_get', { allfields: ['category_id', 'is_company', 'comment'], attributes: ['type', 'relation'] });
      assert.deepEqual(partner, { category_id: { type: 'many2many', relation: 'res.partner.category' }, is_company: { type: 'boolean' }, comment: { type: 'html' } });
      const types = new Set(Object.values(await kw<Record<string, Rec>>(sb, 'account.move', 'fields_get', [], { attributes: ['type'] })).map((f) => f.type));
      for (const t of ['char', 'integer', 'monetary', 'date', 'datetime', 'selection', 'many2one', 'one2many', 'html']) assert.ok(types.has(t), t);
    });

    it('ir.model lists every model, searchable by technical name or label, as the model pickers ask', async () => {
      const hits = await call<Rec[]>(sb, 'ir.model', 'search_read', {
        domain: ['|', ['model', 'ilike', 'sale'], ['name', 'ilike', 'sale']],
        fields: ['model', 'name', 'transient'],
        limit: 20,
      });
      assert.deepEqual(hits.map((m) => m.model), ['sale.order', 'sale.order.line']);
      assert.equal(hits[0].name, 'Sales Order');
      assert.equal(hits[0].transient, false);
      const byLabel = await call<Rec[]>(sb, 'ir.model', 'search_read', { domain: [['name', 'ilike', 'contact']], fields: ['model'] });
      assert.deepEqual(byLabel.map((m) => m.model), ['res.partner']);
      const all = await call<number>(sb, 'ir.model', 'search_count', { domain: [] });
      assert.ok(all >= 14, `${all} models`);
      const [irModel] = await call<Rec[]>(sb, 'ir.model', 'search_read', { domain: [['model', '=', 'ir.model']], fields: ['modules', 'state'] });
      assert.deepEqual([irModel.modules, irModel.state], ['base', 'base']);
    });

    it('name_search matches display names (and emails) and answers [id, display_name] pairs', async () => {
      const hits = await call<Array<[number, string]>>(sb, 'res.partner', 'name_search', { name: 'Azure', limit: 2 });
      assert.deepEqual(hits.map((h) => h[1]), ['Azure Interior', 'Azure Interior, Brandon Freeman']);
      const exact = await kw<Array<[number, string]>>(sb, 'res.partner', 'name_search', ['Deco Addict', [['is_company', '=', true]], '=']);
      assert.equal(exact.length, 1);
      const countries = await call<Array<[number, string]>>(sb, 'res.country', 'name_search', { name: 'BE' });
      assert.deepEqual(countries.map((c) => c[1]), ['Belgium']);
      const products = await call<Array<[number, string]>>(sb, 'product.product', 'name_search', { name: 'FURN_7777' });
      assert.deepEqual(products.map((p) => p[1]), ['[FURN_7777] Office Chair']);
    });

    it('default_get answers defaults', async () => {
      assert.deepEqual(await call(sb, 'res.partner', 'default_get', { fields: ['active', 'type', 'is_company'] }), { active: true, type: 'contact', is_company: false });
    });

    it('read_group counts per group, lazily, with __domain', async () => {
      const groups = await call<Rec[]>(sb, 'res.partner', 'read_group', { domain: [], groupby: ['is_company'], fields: ['__count'] });
      assert.deepEqual(groups.map((g) => g.is_company), [false, true]);
      assert.equal(groups[1].is_company_count, 7);
      assert.deepEqual(groups[1].__domain, [['is_company', '=', true]]);
      const totals = await kw<Rec[]>(sb, 'sale.order.line', 'read_group', [[], ['price_unit:sum'], ['order_id']], { lazy: false });
      assert.ok(totals.every((g) => typeof g.__count === 'number' && Array.isArray(g.order_id)));
    });

    it('message_post stores a chatter message and answers its id', async () => {
      const id = await call<number>(sb, 'res.partner', 'message_post', { ids: [8], body: '<p>Hello</p>', message_type: 'comment' });
      assert.equal(typeof id, 'number');
      const [message] = await call<Rec[]>(sb, 'mail.message', 'read', { ids: [id], fields: ['model', 'res_id', 'body', 'message_type', 'author_id'] });
      assert.deepEqual({ ...message, author_id: (message.author_id as unknown[])[0] }, { id, model: 'res.partner', res_id: 8, body: '<p>Hello</p>', message_type: 'comment', author_id: 3 });
      const viaRpc = await kw(sb, 'sale.order', 'message_post', [[1]], { body: 'order note' });
      assert.equal(typeof viaRpc, 'number');
      const two = await json2(sb, 'res.partner', 'message_post', { ids: [8, 9], body: 'x' });
      assert.equal((two.body as Rec).message, 'Expected singleton: res.partner(8, 9)');
    });
  });

  describe('documents', () => {
    it('sale.order: name from the sequence, action_confirm moves to sale, confirming twice is a UserError', async () => {
      const [id] = await call<number[]>(sb, 'sale.order', 'create', { vals_list: [{ partner_id: 8, order_line: [[0, 0, { product_id: 1, product_uom_qty: 2 }]] }] });
      const [order] = await call<Rec[]>(sb, 'sale.order', 'read', { ids: [id], fields: ['name', 'state', 'amount_total'] });
      assert.match(String(order.name), /^S\d{5}$/);
      assert.equal(order.amount_total, 140);
      assert.equal(await call(sb, 'sale.order', 'action_confirm', { ids: [id] }), true);
      assert.equal((await call<Rec[]>(sb, 'sale.order', 'read', { ids: [id], fields: ['state'] }))[0].state, 'sale');
      const twice = await json2(sb, 'sale.order', 'action_confirm', { ids: [id] });
      assert.equal(twice.status, 422);
      assert.equal((twice.body as Rec).name, 'odoo.exceptions.UserError');
      assert.equal((await executeKw(sb, 'sale.order', 'action_confirm', [[999999]])).error?.data.name, 'odoo.exceptions.MissingError');
    });

    it('account.move: action_post sets posted and names it INV/<year>/<number>', async () => {
      const [id] = await call<number[]>(sb, 'account.move', 'create', {
        vals_list: [{ move_type: 'out_invoice', partner_id: 8, invoice_date: '2026-03-01', invoice_line_ids: [[0, 0, { name: 'Consulting', quantity: 3, price_unit: 100 }]] }],
      });
      const [draft] = await call<Rec[]>(sb, 'account.move', 'read', { ids: [id], fields: ['name', 'state', 'display_name', 'amount_total'] });
      assert.equal(draft.name, '/');
      assert.equal(draft.state, 'draft');
      assert.equal(draft.amount_total, 300);
      assert.equal(await kw(sb, 'account.move', 'action_post', [[id]]), true);
      const [posted] = await call<Rec[]>(sb, 'account.move', 'read', { ids: [id], fields: ['name', 'state'] });
      assert.deepEqual(posted, { id, name: 'INV/2026/00001', state: 'posted' });
      const remove = await json2(sb, 'account.move', 'unlink', { ids: [id] });
      assert.equal((remove.body as Rec).name, 'odoo.exceptions.UserError');
      const [empty] = await call<number[]>(sb, 'account.move', 'create', { vals_list: [{ move_type: 'out_invoice', partner_id: 8 }] });
      const noLines = await json2(sb, 'account.move', 'action_post', { ids: [empty] });
      assert.equal((noLines.body as Rec).message, 'You need to add a line before posting.');
    });
  });

  describe('external IDs and load', () => {
    it('ir.model.data: create, search_read, and (module, name) is unique', async () => {
      await call(sb, 'ir.model.data', 'create', { vals_list: [{ module: 'crm_sync', name: 'partner_42', model: 'res.partner', res_id: 8 }] });
      const [row] = await call<Rec[]>(sb, 'ir.model.data', 'search_read', { domain: [['module', '=', 'crm_sync'], ['name', '=', 'partner_42']], fields: ['model', 'res_id', 'complete_name'] });
      assert.deepEqual({ ...row, id: 0 }, { id: 0, model: 'res.partner', res_id: 8, complete_name: 'crm_sync.partner_42' });
      const dup = await json2(sb, 'ir.model.data', 'create', { vals_list: [{ module: 'crm_sync', name: 'partner_42', model: 'res.partner', res_id: 9 }] });
      assert.equal(dup.status, 422);
      assert.equal((dup.body as Rec).name, 'odoo.exceptions.ValidationError');
      assert.match(String((dup.body as Rec).message), /duplicate key value violates unique constraint "ir_model_data_module_name_uniq_index"\nDETAIL: {2}Key \(module, name\)=\(crm_sync, partner_42\) already exists\./);
    });

    it('load creates by external ID, then updates the same record', async () => {
      const first = await call<{ ids: number[]; messages: unknown[] }>(sb, 'res.partner', 'load', {
        fields: ['id', 'name', 'email', 'is_company', 'country_id'],
        data: [
          ['shop.cust_1', 'Load One', 'one@example.com', '1', 'Belgium'],
          ['cust_2', 'Load Two', 'two@example.com', '0', ''],
        ],
      });
      assert.deepEqual(first.messages, []);
      assert.equal(first.ids.length, 2);
      const second = await kw<{ ids: number[]; messages: unknown[] }>(sb, 'res.partner', 'load', [['id', 'email'], [['shop.cust_1', 'new@example.com']]]);
      assert.deepEqual(second.ids, [first.ids[0]]);
      const [one] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [first.ids[0]], fields: ['name', 'email', 'is_company', 'country_id'] });
      assert.equal(one.email, 'new@example.com');
      assert.equal(one.is_company, true);
      assert.equal((one.country_id as unknown[])[1], 'Belgium');
      const xmlids = await call<Rec[]>(sb, 'ir.model.data', 'search_read', { domain: [['res_id', 'in', first.ids], ['model', '=', 'res.partner']], fields: ['module', 'name'], order: 'res_id asc' });
      assert.deepEqual(xmlids.map((x) => `${x.module}.${x.name}`), ['shop.cust_1', '__import__.cust_2']);
    });

    it('load reports row errors and imports nothing', async () => {
      const before = await call<number>(sb, 'res.partner', 'search_count', { domain: [] });
      const result = await call<{ ids: unknown; messages: Rec[] }>(sb, 'res.partner', 'load', {
        fields: ['id', 'name'],
        data: [['bad_1', 'fine'], ['bad_2', '']],
      });
      assert.equal(result.ids, false);
      assert.equal(result.messages.length, 1);
      assert.equal(result.messages[0].type, 'error');
      assert.equal(result.messages[0].record, 1);
      assert.match(String(result.messages[0].message), /Contacts require a name/);
      assert.equal(await call(sb, 'res.partner', 'search_count', { domain: [] }), before);
    });
  });
});

describe('sandbox: unique client_order_ref', () => {
  it('is enforced only when uniqueConstraints.clientOrderRef is set', async () => {
    const strict = await startSandbox({ uniqueConstraints: { clientOrderRef: true } });
    const lax = await startSandbox();
    try {
      for (const sb of [strict, lax]) await call(sb, 'sale.order', 'create', { vals_list: [{ partner_id: 8, client_order_ref: 'PO-1' }] });
      const dup = await json2(strict, 'sale.order', 'create', { vals_list: [{ partner_id: 8, client_order_ref: 'PO-1' }] });
      assert.equal(dup.status, 422);
      assert.equal((dup.body as Rec).name, 'odoo.exceptions.ValidationError');
      assert.match(String((dup.body as Rec).message), /unique constraint "sale_order_client_order_ref_uniq"[\s\S]*Key \(client_order_ref\)=\(PO-1\) already exists/);
      const rpcDup = await executeKw(strict, 'sale.order', 'create', [{ partner_id: 8, client_order_ref: 'PO-1' }]);
      assert.equal(rpcDup.error?.data.name, 'odoo.exceptions.ValidationError');
      const write = await json2(strict, 'sale.order', 'write', { ids: [1], vals: { client_order_ref: 'PO-1' } });
      assert.equal(write.status, 422);
      assert.equal((await json2(lax, 'sale.order', 'create', { vals_list: [{ partner_id: 8, client_order_ref: 'PO-1' }] })).status, 200);
      assert.equal((await json2(strict, 'sale.order', 'create', { vals_list: [{ partner_id: 8 }, { partner_id: 8 }] })).status, 200, 'empty refs never collide');
    } finally {
      await strict.close();
      await lax.close();
    }
  });

  it('insertRecords seeds without HTTP and reset() restores the demo data', async () => {
    const sb = await startSandbox();
    try {
      const ids = sb.insertRecords('res.partner', [{ name: 'Seeded 1' }, { name: 'Seeded 2' }]);
      assert.equal(ids.length, 2);
      assert.equal(await call(sb, 'res.partner', 'search_count', { domain: [['name', 'like', 'Seeded']] }), 2);
      assert.throws(() => sb.insertRecords('res.partner', [{ email: 'x' }]), /Contacts require a name/);
      sb.reset();
      assert.equal(await call(sb, 'res.partner', 'search_count', { domain: [['name', 'like', 'Seeded']] }), 0);
    } finally {
      await sb.close();
    }
  });
});
