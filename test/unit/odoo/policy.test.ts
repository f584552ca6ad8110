import assert from 'node:assert/strict';
import { OdooError } from '../../../nodes/lib/odoo';
import { enforcePolicy, parseAllowList, parsePolicy } from '../../../nodes/lib/odoo/policy';

function refusal(fn: () => void): OdooError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OdooError, String(err));
    return err;
  }
  assert.fail('the call should have been refused');
}

describe('connection policy', () => {
  it('blank settings allow every call', () => {
    const policy = parsePolicy({});
    for (const [model, method] of [['res.partner', 'search_read'], ['sale.order', 'unlink'], ['account.move', 'action_post']]) {
      enforcePolicy(policy, model, method, { ids: [1, 2, 3] });
    }
  });

  it('the write allow-list lets listed model:method pairs through and refuses the others, naming the rule and the call', () => {
    const policy = parsePolicy({ allowWrite: 'res.partner:*\nsale.order:create,write,action_confirm; account.*:action_post' });
    enforcePolicy(policy, 'res.partner', 'unlink', { ids: [1] });
    enforcePolicy(policy, 'sale.order', 'action_confirm', { ids: [1] });
    enforcePolicy(policy, 'account.move', 'action_post', { ids: [1] });
    enforcePolicy(policy, 'stock.picking', 'search_read', {}); // reads are not governed by the write list
    const err = refusal(() => enforcePolicy(policy, 'sale.order', 'unlink', { ids: [1] }));
    assert.equal(err.kind, 'policy');
    assert.equal(err.code, 'ODOO_POLICY');
    assert.equal(err.retryable, false);
    assert.match(err.message, /allowWrite/);
    assert.match(err.message, /sale\.order\.unlink/);
    assert.equal(err.cause.model, 'sale.order');
    assert.equal(err.cause.method, 'unlink');
  });

  it('the read allow-list governs only read methods', () => {
    const policy = parsePolicy({ allowRead: 'res.partner:search_read,read res.country' });
    enforcePolicy(policy, 'res.partner', 'read', { ids: [1] });
    enforcePolicy(policy, 'res.country', 'search_count', {});
    enforcePolicy(policy, 'sale.order', 'create', { vals_list: [{}] });
    const err = refusal(() => enforcePolicy(policy, 'res.users', 'search_read', {}));
    assert.match(err.message, /allowRead refused res\.users\.search_read/);
  });

  it('read-only lets only the read methods through', () => {
    const policy = parsePolicy({ readOnly: true });
    for (const method of ['search_read', 'read', 'search', 'search_count', 'fields_get', 'name_search', 'read_group']) enforcePolicy(policy, 'res.partner', method, {});
    for (const method of ['create', 'write', 'unlink', 'action_confirm', 'message_post', 'load']) {
      const err = refusal(() => enforcePolicy(policy, 'res.partner', method, {}));
      assert.equal(err.kind, 'policy');
      assert.match(err.message, new RegExp(`readOnly refused res\\.partner\\.${method}`));
    }
  });

  it('max records counts vals_list of create and ids of write, unlink and call', () => {
    const policy = parsePolicy({ maxRecords: '2' });
    enforcePolicy(policy, 'res.partner', 'create', { vals_list: [{}, {}] });
    enforcePolicy(policy, 'res.partner', 'create', { vals_list: { name: 'one' } });
    enforcePolicy(policy, 'res.partner', 'write', { ids: [1, 2], vals: {} });
    enforcePolicy(policy, 'res.partner', 'search_read', { ids: [1, 2, 3] }); // reads are not limited
    for (const [method, args] of [['create', { vals_list: [{}, {}, {}] }], ['write', { ids: [1, 2, 3], vals: {} }], ['unlink', { ids: [1, 2, 3] }], ['action_confirm', { ids: [1, 2, 3] }]] as const) {
      const err = refusal(() => enforcePolicy(policy, 'sale.order', method, args));
      assert.match(err.message, new RegExp(`maxRecords refused sale\\.order\\.${method}: 3 records in one call, at most 2`));
    }
  });

  it('malformed settings are validation errors naming the setting and the entry', () => {
    assert.throws(() => parseAllowList('res.partner:write:x', 'allowWrite'), /allowWrite entry "res.partner:write:x"/);
    assert.throws(() => parseAllowList('res partner$:write', 'allowRead'), /allowRead entry "partner\$:write"/);
    assert.throws(() => parsePolicy({ maxRecords: '-1' }), /maxRecords must be a whole number/);
    assert.equal(parseAllowList('  \n ; ', 'allowRead'), undefined);
  });
});
