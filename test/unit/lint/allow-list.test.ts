import { strict as assert } from 'node:assert';
import { allows, parseAllowList } from '../../../nodes/lib/lint/allow-list';

describe('lint allow-list patterns', () => {
  it('allows everything when empty', () => {
    assert.ok(allows(parseAllowList(''), 'account.move', 'unlink'));
    assert.ok(allows(parseAllowList(undefined), 'account.move', 'unlink'));
  });

  it('splits on whitespace, newlines and semicolons and matches methods by list', () => {
    const list = parseAllowList('res.partner:create,write;\nsale.order:action_confirm  stock.picking:button_validate');
    assert.deepEqual(list.map((p) => p.text), ['res.partner:create,write', 'sale.order:action_confirm', 'stock.picking:button_validate']);
    assert.ok(allows(list, 'res.partner', 'write'));
    assert.ok(!allows(list, 'res.partner', 'unlink'));
    assert.ok(allows(list, 'sale.order', 'action_confirm'));
    assert.ok(!allows(list, 'sale.order', 'action_cancel'));
  });

  it('treats * as any run of characters and dots literally', () => {
    const list = parseAllowList('res.partner:* sale.*:action_* account.move');
    assert.ok(allows(list, 'res.partner', 'unlink'));
    assert.ok(allows(list, 'sale.order.line', 'action_done'));
    assert.ok(!allows(list, 'sale.order', 'write'));
    assert.ok(!allows(list, 'resXpartner', 'read'));
    assert.ok(allows(list, 'account.move', 'action_post'), 'a model without methods allows all of them');
  });
});
