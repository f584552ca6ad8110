import { strict as assert } from 'node:assert';
import { LookupCache, buildVals, parseValueRules, type Resolve, type ValueRule } from '../../../nodes/lib/write/values';

/** Evaluates the str/num/json/msg types the way Node-RED would, against a plain message. */
function evaluator(msg: Record<string, unknown>) {
  return async (rule: ValueRule): Promise<unknown> => {
    if (rule.type === 'num') return Number(rule.value);
    if (rule.type === 'json') return JSON.parse(rule.value);
    if (rule.type === 'msg') return rule.value.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], msg);
    return rule.value === '' ? undefined : rule.value;
  };
}

const noLookup: Resolve = () => Promise.reject(new Error('no lookup expected'));

describe('odoo-write values', () => {
  describe('parseValueRules', () => {
    it('accepts the dialog rules and nothing as none', () => {
      assert.deepEqual(parseValueRules(undefined), []);
      assert.deepEqual(parseValueRules(''), []);
      const rules = parseValueRules([{ field: ' name ', type: 'msg', value: 'payload.name' }, { field: 'partner_id', type: 'str', value: 'x', fieldType: 'many2one', relation: 'res.partner', lookup: 'email', lines: [] }]);
      assert.deepEqual(rules, [{ field: 'name', type: 'msg', value: 'payload.name' }, { field: 'partner_id', type: 'str', value: 'x', fieldType: 'many2one', relation: 'res.partner', lookup: 'email' }]);
    });

    it('names what is wrong: not a list, bad field, duplicate, type, lookup without relation, bad line', () => {
      assert.throws(() => parseValueRules({}), /values must be a list/);
      assert.throws(() => parseValueRules([{ field: 'na me', type: 'str' }]), /values\[0\]\.field must be an Odoo field name/);
      assert.throws(() => parseValueRules([{ field: 'a' }, { field: 'a' }]), /values\[1\]: field "a" is set twice/);
      assert.throws(() => parseValueRules([{ field: 'a', type: 'bin' }]), /values\[0\]\.type must be one of/);
      assert.throws(() => parseValueRules([{ field: 'partner_id', lookup: 'name' }]), /needs the field's related model/);
      assert.throws(() => parseValueRules([{ field: 'partner_id', lookup: 'phone', relation: 'res.partner' }]), /lookup must be one of id, name, xmlid, email/);
      assert.throws(() => parseValueRules([{ field: 'order_line', lines: [{ field: 'product_id', path: '' }] }]), /values\[0\]\.lines\[0\]\.path must name a property/);
      assert.throws(() => parseValueRules([{ field: 'order_line', lines: 'x' }]), /lines must be a list/);
    });
  });

  describe('buildVals', () => {
    it('sets each field from its value, in rule order, leaving out values that are absent', async () => {
      const rules = parseValueRules([
        { field: 'name', type: 'msg', value: 'payload.customer.name' },
        { field: 'ref', type: 'msg', value: 'payload.missing' },
        { field: 'customer_rank', type: 'num', value: '1' },
        { field: 'comment', type: 'str', value: 'via webhook' },
      ]);
      const vals = await buildVals(rules, evaluator({ payload: { customer: { name: 'Ada' } } }), noLookup);
      assert.deepEqual(vals, { name: 'Ada', customer_rank: 1, comment: 'via webhook' });
      assert.deepEqual(Object.keys(vals), ['name', 'customer_rank', 'comment']);
    });

    it('finds a many2one by name, external ID or email; ids pass through; empty clears', async () => {
      const asked: string[] = [];
      const resolve: Resolve = async (relation, lookup, value) => {
        asked.push(`${relation}/${lookup}/${value}`);
        return lookup === 'email' ? 7 : lookup === 'xmlid' ? 233 : 15;
      };
      const rules = parseValueRules([
        { field: 'partner_id', type: 'msg', value: 'payload.email', fieldType: 'many2one', relation: 'res.partner', lookup: 'email' },
        { field: 'country_id', type: 'str', value: 'base.be', fieldType: 'many2one', relation: 'res.country', lookup: 'xmlid' },
        { field: 'parent_id', type: 'msg', value: 'payload.company', fieldType: 'many2one', relation: 'res.partner', lookup: 'name' },
        { field: 'user_id', type: 'num', value: '2', fieldType: 'many2one', relation: 'res.users', lookup: 'name' },
        { field: 'team_id', type: 'msg', value: 'payload.none', fieldType: 'many2one', relation: 'crm.team', lookup: 'name' },
      ]);
      const vals = await buildVals(rules, evaluator({ payload: { email: ' ada@example.com ', company: 'Azure Interior', none: null } }), resolve);
      assert.deepEqual(vals, { partner_id: 7, country_id: 233, parent_id: 15, user_id: 2, team_id: false });
      assert.deepEqual(asked.sort(), ['res.country/xmlid/base.be', 'res.partner/email/ada@example.com', 'res.partner/name/Azure Interior']);
    });

    it('refuses a lookup of something that is not text', async () => {
      const rules = parseValueRules([{ field: 'partner_id', type: 'json', value: '{"a":1}', fieldType: 'many2one', relation: 'res.partner', lookup: 'name' }]);
      await assert.rejects(buildVals(rules, evaluator({}), noLookup), /partner_id: a lookup by name needs a text value; got an object/);
    });

    it('turns an array into one2many lines, mapping each element through the line fields', async () => {
      const rules = parseValueRules([
        {
          field: 'order_line',
          type: 'msg',
          value: 'payload.items',
          fieldType: 'one2many',
          relation: 'sale.order.line',
          lines: [
            { field: 'product_id', path: 'sku', lookup: 'name', relation: 'product.product' },
            { field: 'product_uom_qty', path: 'qty' },
            { field: 'price_unit', path: 'price.amount' },
          ],
        },
      ]);
      const resolve: Resolve = async (_relation, _lookup, value) => (value === 'FURN_7777' ? 41 : 42);
      const vals = await buildVals(rules, evaluator({ payload: { items: [{ sku: 'FURN_7777', qty: 2, price: { amount: 9.5 } }, { sku: 'E-COM07', qty: 1 }] } }), resolve);
      assert.deepEqual(vals, {
        order_line: [
          [0, 0, { product_id: 41, product_uom_qty: 2, price_unit: 9.5 }],
          [0, 0, { product_id: 42, product_uom_qty: 1 }],
        ],
      });
    });

    it('sets a many2many from ids or names, and creates lines given as objects', async () => {
      const rules = parseValueRules([
        { field: 'category_id', type: 'msg', value: 'payload.tags', fieldType: 'many2many', relation: 'res.partner.category', lookup: 'name' },
        { field: 'child_ids', type: 'msg', value: 'payload.contacts', fieldType: 'one2many', relation: 'res.partner' },
      ]);
      const resolve: Resolve = async (_r, _l, value) => ({ Customer: 1, Vendor: 2 })[value] as number;
      const vals = await buildVals(rules, evaluator({ payload: { tags: ['Customer', 3, 'Vendor'], contacts: [{ name: 'Bo' }, 9] } }), resolve);
      assert.deepEqual(vals, { category_id: [[6, 0, [1, 3, 2]]], child_ids: [[4, 9], [0, 0, { name: 'Bo' }]] });
      const cleared = await buildVals(rules.slice(0, 1), evaluator({ payload: { tags: [] } }), resolve);
      assert.deepEqual(cleared, { category_id: [[6, 0, []]] });
    });

    it('says which line is wrong', async () => {
      const rules = parseValueRules([{ field: 'order_line', type: 'msg', value: 'payload.items', fieldType: 'one2many', lines: [{ field: 'name', path: 'title' }] }]);
      await assert.rejects(buildVals(rules, evaluator({ payload: { items: 'x' } }), noLookup), /order_line: lines come from an array in the message; got the string "x"/);
      await assert.rejects(buildVals(rules, evaluator({ payload: { items: [{ title: 'a' }, 5] } }), noLookup), /order_line\[1\] must be an object to take line fields from/);
      const plain = parseValueRules([{ field: 'category_id', type: 'msg', value: 'payload.tags', fieldType: 'many2many' }]);
      await assert.rejects(buildVals(plain, evaluator({ payload: { tags: ['x'] } }), noLookup), /category_id\[0\] must be a record id, an object of line values; got the string "x"/);
    });
  });

  describe('LookupCache', () => {
    interface Call {
      model: string;
      method: string;
      args: Record<string, unknown>;
    }
    function fake(answer: (c: Call) => unknown) {
      const calls: Call[] = [];
      return {
        calls,
        client: {
          call<T>(model: string, method: string, args: Record<string, unknown> = {}): Promise<T> {
            calls.push({ model, method, args });
            return Promise.resolve(answer({ model, method, args }) as T);
          },
        },
      };
    }

    it('looks up by name with name_search "=", by email with =ilike, by external ID in ir.model.data', async () => {
      const odoo = fake(({ model, method }) => {
        if (model === 'ir.model.data') return [{ model: 'res.country', res_id: 20 }];
        if (method === 'name_search') return [[15, 'Azure Interior']];
        return [{ id: 7 }];
      });
      const resolve = new LookupCache().resolver(odoo.client);
      assert.equal(await resolve('res.partner', 'name', 'Azure Interior', 'partner_id'), 15);
      assert.equal(await resolve('res.partner', 'email', 'Ada@Example.com', 'partner_id'), 7);
      assert.equal(await resolve('res.country', 'xmlid', 'base.be', 'country_id'), 20);
      assert.deepEqual(odoo.calls.map((c) => [c.model, c.method, c.args.domain ?? c.args.operator]), [
        ['res.partner', 'name_search', '='],
        ['res.partner', 'search_read', [['email', '=ilike', 'Ada@Example.com']]],
        ['ir.model.data', 'search_read', [['module', '=', 'base'], ['name', '=', 'be']]],
      ]);
      await assert.rejects(resolve('res.partner', 'xmlid', 'base.be', 'partner_id'), /partner_id: external ID "base.be" is a res.country record, not res.partner/);
    });

    it('caches hits for the TTL, not misses', async () => {
      let now = 0;
      let known = false;
      const odoo = fake(() => (known ? [[3, 'Mitchell Admin']] : []));
      const resolve = new LookupCache(1000, () => now).resolver(odoo.client);
      await assert.rejects(resolve('res.partner', 'name', 'Mitchell Admin', 'user'), /user: no res.partner record named "Mitchell Admin"/);
      known = true;
      assert.equal(await resolve('res.partner', 'name', 'Mitchell Admin', 'user'), 3);
      assert.equal(await resolve('res.partner', 'name', 'Mitchell Admin', 'user'), 3);
      assert.equal(odoo.calls.length, 2, 'the miss was asked again, the hit was not');
      now = 1000;
      await resolve('res.partner', 'name', 'Mitchell Admin', 'user');
      assert.equal(odoo.calls.length, 3, 'asked again after the TTL');
    });

    it('refuses an ambiguous name or email', async () => {
      const resolve = new LookupCache().resolver(fake(({ method }) => (method === 'name_search' ? [[1, 'A'], [2, 'A']] : [{ id: 1 }, { id: 2 }])).client);
      await assert.rejects(resolve('res.partner', 'name', 'A', 'partner_id'), /more than one res.partner record is named "A"; look it up by external ID instead/);
      await assert.rejects(resolve('res.partner', 'email', 'a@b', 'partner_id'), /more than one res.partner record has email "a@b"/);
    });
  });
});
