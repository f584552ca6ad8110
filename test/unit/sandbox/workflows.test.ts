import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { call, executeKw, json2 } from './helpers';

type Rec = Record<string, unknown> & { id: number };

describe('sandbox: workflow buttons of sale.order, account.move and stock.picking (Odoo 19 states and texts)', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  const stateOf = async (model: string, id: number): Promise<unknown> => (await call<Rec[]>(sb, model, 'read', { ids: [id], fields: ['state'] }))[0].state;
  const userError = async (model: string, method: string, body: Record<string, unknown>): Promise<string> => {
    const r = await json2(sb, model, method, body);
    assert.equal(r.status, 422, `${model}.${method} answered ${r.status}: ${r.text.slice(0, 200)}`);
    assert.equal((r.body as Rec).name, 'odoo.exceptions.UserError');
    return String((r.body as Rec).message);
  };
  const order = (vals: Record<string, unknown> = {}): number => sb.insertRecords('sale.order', [{ partner_id: 8, ...vals }])[0];

  it('sale.order: sent, confirmed, refused twice, cancelled only with the wizard turned off, reset to draft', async () => {
    const id = order();
    assert.equal(await call(sb, 'sale.order', 'action_quotation_sent', { ids: [id] }), null);
    assert.equal(await stateOf('sale.order', id), 'sent');
    assert.equal(await userError('sale.order', 'action_quotation_sent', { ids: [id] }), 'Only draft orders can be marked as sent directly.');
    assert.equal(await call(sb, 'sale.order', 'action_confirm', { ids: [id] }), true);
    assert.equal(await userError('sale.order', 'action_confirm', { ids: [id] }), 'Some orders are not in a state requiring confirmation.');
    const wizard = await call<Rec>(sb, 'sale.order', 'action_cancel', { ids: [id] });
    assert.equal(wizard.res_model, 'sale.order.cancel');
    assert.equal(await stateOf('sale.order', id), 'sale', 'the wizard is only opened');
    assert.equal(await call(sb, 'sale.order', 'action_cancel', { ids: [id], context: { disable_cancel_warning: true } }), true);
    assert.equal(await stateOf('sale.order', id), 'cancel');
    assert.equal(await call(sb, 'sale.order', 'action_draft', { ids: [id] }), true);
    assert.equal(await stateOf('sale.order', id), 'draft');
  });

  it('sale.order: a draft order is cancelled at once, a locked one is refused, action_draft leaves confirmed orders alone', async () => {
    const draft = order();
    assert.equal(await call(sb, 'sale.order', 'action_cancel', { ids: [draft] }), true);
    assert.equal(await stateOf('sale.order', draft), 'cancel');
    const locked = order({ locked: true });
    assert.equal(await userError('sale.order', 'action_cancel', { ids: [locked] }), 'You cannot cancel a locked order. Please unlock it first.');
    const confirmed = order();
    await call(sb, 'sale.order', 'action_confirm', { ids: [confirmed] });
    assert.equal(await call(sb, 'sale.order', 'action_draft', { ids: [confirmed] }), true);
    assert.equal(await stateOf('sale.order', confirmed), 'sale');
  });

  it('account.move: post, refuse a second post, reset to draft, cancel (a posted entry is reset first), refuse a second cancel', async () => {
    const [id] = await call<number[]>(sb, 'account.move', 'create', {
      vals_list: [{ move_type: 'out_invoice', partner_id: 8, invoice_date: '2026-04-01', invoice_line_ids: [[0, 0, { name: 'Work', quantity: 1, price_unit: 10 }]] }],
    });
    await call(sb, 'account.move', 'action_post', { ids: [id] });
    assert.match(await userError('account.move', 'action_post', { ids: [id] }), /^The entry INV\/2026\/\d{5} \(id \d+\) must be in draft\.$/);
    assert.equal(await userError('account.move', 'button_draft', { ids: [sb.insertRecords('account.move', [{ move_type: 'entry' }])[0]] }), 'Only posted/cancelled journal entries can be reset to draft.');
    await call(sb, 'account.move', 'button_draft', { ids: [id] });
    assert.equal(await stateOf('account.move', id), 'draft');
    await call(sb, 'account.move', 'action_post', { ids: [id] });
    const [{ name }] = await call<Rec[]>(sb, 'account.move', 'read', { ids: [id], fields: ['name'] });
    assert.match(String(name), /^INV\/2026\//, 'the number is kept');
    await call(sb, 'account.move', 'button_cancel', { ids: [id] });
    assert.equal(await stateOf('account.move', id), 'cancel');
    assert.equal(await userError('account.move', 'button_cancel', { ids: [id] }), 'Only draft journal entries can be cancelled.');
  });

  it('stock.picking: named per operation type, confirm, assign, validate (twice is a no-op), cancel refused once done', async () => {
    const [out, receipt] = await call<number[]>(sb, 'stock.picking', 'create', { vals_list: [{ partner_id: 8, origin: 'S00001' }, { picking_type_code: 'incoming' }] });
    const rows = await call<Rec[]>(sb, 'stock.picking', 'read', { ids: [out, receipt], fields: ['name', 'state'] });
    assert.deepEqual(rows.map((r) => [r.name, r.state]), [['WH/OUT/00001', 'draft'], ['WH/IN/00001', 'draft']]);
    assert.equal(await call(sb, 'stock.picking', 'action_confirm', { ids: [out] }), true);
    assert.equal(await stateOf('stock.picking', out), 'confirmed');
    assert.equal(await call(sb, 'stock.picking', 'action_assign', { ids: [out, receipt] }), true);
    assert.deepEqual([await stateOf('stock.picking', out), await stateOf('stock.picking', receipt)], ['assigned', 'assigned']);
    assert.equal(await call(sb, 'stock.picking', 'button_validate', { ids: [out] }), true);
    assert.equal(await stateOf('stock.picking', out), 'done');
    assert.equal(await call(sb, 'stock.picking', 'button_validate', { ids: [out] }), true, 'done transfers are left out');
    assert.equal(await userError('stock.picking', 'action_assign', { ids: [out] }), 'Nothing to check the availability for.');
    assert.match(await userError('stock.picking', 'action_cancel', { ids: [out] }), /set to 'Done'/);
    assert.equal(await call(sb, 'stock.picking', 'action_cancel', { ids: [receipt] }), true);
    assert.match(await userError('stock.picking', 'button_validate', { ids: [receipt] }), /^Transfer trouble alert!/);
  });

  it('a method shared by two models names each class in its TypeError, and is unknown on other models', async () => {
    const picking = (await executeKw(sb, 'stock.picking', 'action_confirm', [[1], 'extra'])).error?.data.message;
    assert.match(String(picking), /^StockPicking\.action_confirm\(\) takes 1 positional/);
    const r = await json2(sb, 'res.partner', 'action_confirm', { ids: [8] });
    assert.equal(r.status, 404);
  });

  it('callMethod changes data as another client would, with Odoo errors', () => {
    const id = order();
    assert.equal(sb.callMethod('sale.order', 'action_confirm', { ids: [id] }), true);
    assert.throws(() => sb.callMethod('sale.order', 'action_confirm', { ids: [id] }), /not in a state requiring confirmation/);
  });
});
