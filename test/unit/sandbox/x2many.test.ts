import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { call, json2, kw } from './helpers';

type Rec = Record<string, unknown> & { id: number };

describe('sandbox: x2many commands', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  const order = async (id: number): Promise<Rec> =>
    (await call<Rec[]>(sb, 'sale.order', 'read', { ids: [id], fields: ['order_line', 'amount_total'] }))[0];
  const lines = async (id: number): Promise<Rec[]> =>
    call<Rec[]>(sb, 'sale.order.line', 'read', { ids: (await order(id)).order_line as number[], fields: ['name', 'product_uom_qty', 'price_unit', 'price_subtotal', 'order_id'] });

  it('one2many on sale.order: create (0), update (1), delete (2), unlink (3), link (4), clear (5), set (6)', async () => {
    const [so] = await call<number[]>(sb, 'sale.order', 'create', {
      vals_list: [{ partner_id: 8, order_line: [[0, 0, { product_id: 1, product_uom_qty: 2 }], [0, 0, { name: 'Custom work', product_uom_qty: 1, price_unit: 99.5 }]] }],
    });
    let current = await lines(so);
    assert.equal(current.length, 2);
    assert.equal(current[0].name, '[FURN_7777] Office Chair', 'description from the product');
    assert.equal(current[0].price_unit, 70, 'price from the product');
    assert.equal(current[0].price_subtotal, 140);
    assert.equal((await order(so)).amount_total, 239.5);

    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[1, current[1].id, { product_uom_qty: 3 }]] } });
    assert.equal((await order(so)).amount_total, 140 + 298.5);

    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[2, current[0].id]] } });
    assert.deepEqual((await order(so)).order_line, [current[1].id]);
    assert.deepEqual(await call(sb, 'sale.order.line', 'read', { ids: [current[0].id], fields: ['name'] }), [], 'deleted');

    // (3) on a one2many whose inverse is ondelete=cascade deletes the line, as Odoo does.
    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[3, current[1].id]] } });
    assert.deepEqual((await order(so)).order_line, []);
    assert.deepEqual(await call(sb, 'sale.order.line', 'read', { ids: [current[1].id], fields: ['name'] }), []);

    const [other] = await call<number[]>(sb, 'sale.order', 'create', { vals_list: [{ partner_id: 8, order_line: [[0, 0, { name: 'Moved', price_unit: 10 }]] }] });
    const moved = (await order(other)).order_line as number[];
    await kw(sb, 'sale.order', 'write', [[so], { order_line: [[4, moved[0]]] }]);
    assert.deepEqual((await order(so)).order_line, moved);
    assert.deepEqual((await order(other)).order_line, []);

    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[0, 0, { name: 'Extra', price_unit: 1 }]] } });
    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[5]] } });
    assert.deepEqual((await order(so)).order_line, []);
    assert.equal((await order(so)).amount_total, 0);

    const [x, y, z] = await call<number[]>(sb, 'sale.order.line', 'create', {
      vals_list: [{ order_id: other, name: 'x' }, { order_id: other, name: 'y' }, { order_id: so, name: 'z' }],
    });
    await call(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[6, 0, [x, y]]] } });
    assert.deepEqual((await order(so)).order_line, [x, y]);
    assert.deepEqual(await call(sb, 'sale.order.line', 'read', { ids: [z], fields: ['name'] }), [], 'replaced line removed');
  });

  it('one2many whose inverse is not cascade: (3) and (5) only detach', async () => {
    const [company] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Parent Co', is_company: true, child_ids: [[0, 0, { name: 'Kid 1' }], [0, 0, { name: 'Kid 2' }]] }] });
    const [parent] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [company], fields: ['child_ids'] });
    const kids = parent.child_ids as number[];
    assert.equal(kids.length, 2);
    const [kid] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [kids[0]], fields: ['display_name', 'parent_id'] });
    assert.equal(kid.display_name, 'Parent Co, Kid 1');
    await call(sb, 'res.partner', 'write', { ids: [company], vals: { child_ids: [[3, kids[0]]] } });
    const [detached] = await call<Rec[]>(sb, 'res.partner', 'read', { ids: [kids[0]], fields: ['parent_id'] });
    assert.equal(detached.parent_id, false);
    await call(sb, 'res.partner', 'write', { ids: [company], vals: { child_ids: [[5]] } });
    assert.equal((await call<Rec[]>(sb, 'res.partner', 'read', { ids: kids, fields: ['parent_id'] })).length, 2, 'both still exist');
  });

  it('many2many on partner tags: create (0), link (4), unlink (3), set (6), clear (5), plain id lists', async () => {
    const [partner] = await call<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Tagged', category_id: [[0, 0, { name: 'VIP' }]] }] });
    const tags = async (): Promise<number[]> => (await call<Rec[]>(sb, 'res.partner', 'read', { ids: [partner], fields: ['category_id'] }))[0].category_id as number[];
    const [vip] = await tags();
    const [customer] = await call<number[]>(sb, 'res.partner.category', 'search', { domain: [['name', '=', 'Customer']] });
    await call(sb, 'res.partner', 'write', { ids: [partner], vals: { category_id: [[4, customer]] } });
    assert.deepEqual(await tags(), [vip, customer]);
    await call(sb, 'res.partner', 'write', { ids: [partner], vals: { category_id: [[3, vip]] } });
    assert.deepEqual(await tags(), [customer]);
    assert.equal((await call<Rec[]>(sb, 'res.partner.category', 'read', { ids: [vip], fields: ['name'] })).length, 1, '(3) keeps the tag');
    await call(sb, 'res.partner', 'write', { ids: [partner], vals: { category_id: [[6, 0, [vip]]] } });
    assert.deepEqual(await tags(), [vip]);
    await call(sb, 'res.partner', 'write', { ids: [partner], vals: { category_id: [[5]] } });
    assert.deepEqual(await tags(), []);
    await call(sb, 'res.partner', 'write', { ids: [partner], vals: { category_id: [customer, vip] } });
    assert.deepEqual(await tags(), [customer, vip]);
    await call(sb, 'res.partner.category', 'unlink', { ids: [vip] });
    assert.deepEqual(await tags(), [customer], 'deleting a tag removes the link');
  });

  it('commands on missing records fail with MissingError and roll the write back', async () => {
    const [so] = await call<number[]>(sb, 'sale.order', 'create', { vals_list: [{ partner_id: 8, note: 'before' }] });
    const r = await json2(sb, 'sale.order', 'write', { ids: [so], vals: { note: 'after', order_line: [[0, 0, { name: 'ok' }], [4, 999999]] } });
    assert.equal(r.status, 404);
    assert.equal((r.body as Rec).name, 'odoo.exceptions.MissingError');
    const [after] = await call<Rec[]>(sb, 'sale.order', 'read', { ids: [so], fields: ['note', 'order_line'] });
    assert.equal(after.note, 'before');
    assert.deepEqual(after.order_line, []);
    const bad = await json2(sb, 'sale.order', 'write', { ids: [so], vals: { order_line: [[9, 0, 0]] } });
    assert.equal((bad.body as Rec).name, 'builtins.ValueError');
  });
});
