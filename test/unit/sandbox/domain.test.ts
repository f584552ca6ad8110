import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { call, json2, kw } from './helpers';

describe('sandbox: domains', () => {
  let sb: Sandbox;
  let ids: Record<string, number>;
  before(async () => {
    sb = await startSandbox();
    const created = await call<number[]>(sb, 'res.partner', 'create', {
      vals_list: [
        { name: 'Dom Alpha', email: 'alpha@dom.test', city: 'Ghent', customer_rank: 1, ref: 'DA' },
        { name: 'dom beta', email: 'beta@dom.test', city: 'Lyon', customer_rank: 5 },
        { name: 'Dom Gamma', city: 'Ghent', customer_rank: 10, is_company: true },
        { name: 'Dom_Delta', email: 'delta@dom.test', customer_rank: 0, active: false },
      ],
    });
    ids = { alpha: created[0], beta: created[1], gamma: created[2], delta: created[3] };
    await call(sb, 'res.partner', 'write', { ids: [ids.alpha, ids.beta], vals: { parent_id: ids.gamma } });
  });
  after(() => sb.close());

  const search = (domain: unknown, context: Record<string, unknown> = { active_test: false }): Promise<number[]> =>
    call<number[]>(sb, 'res.partner', 'search', { domain: [['name', '=ilike', 'dom%'], ...(domain as unknown[])], order: 'id asc', context });
  const names = async (domain: unknown): Promise<string[]> => {
    const found = await search(domain);
    return Object.entries(ids).filter(([, id]) => found.includes(id)).map(([k]) => k);
  };

  const cases: Array<[string, unknown[], string[]]> = [
    ['=', [['city', '=', 'Ghent']], ['alpha', 'gamma']],
    ['!= (NULL included)', [['city', '!=', 'Ghent']], ['beta', 'delta']],
    ['= False', [['email', '=', false]], ['gamma']],
    ['!= False', [['email', '!=', false]], ['alpha', 'beta', 'delta']],
    ['<', [['customer_rank', '<', 5]], ['alpha', 'delta']],
    ['>', [['customer_rank', '>', 5]], ['gamma']],
    ['<=', [['customer_rank', '<=', 5]], ['alpha', 'beta', 'delta']],
    ['>=', [['customer_rank', '>=', 5]], ['beta', 'gamma']],
    ['like (case-sensitive)', [['name', 'like', 'Dom']], ['alpha', 'gamma', 'delta']],
    ['ilike', [['name', 'ilike', 'DOM B']], ['beta']],
    ['not like', [['name', 'not like', 'Dom']], ['beta']],
    ['not ilike (NULL included)', [['email', 'not ilike', 'alpha']], ['beta', 'gamma', 'delta']],
    ['=like with _', [['name', '=like', 'Dom_Delta']], ['delta']],
    ['=ilike', [['name', '=ilike', 'dom gamma']], ['gamma']],
    ['in', [['city', 'in', ['Lyon', 'Paris']]], ['beta']],
    ['in with False', [['city', 'in', ['Lyon', false]]], ['beta', 'delta']],
    ['not in', [['city', 'not in', ['Ghent']]], ['beta', 'delta']],
    ['=? with False is ignored', [['city', '=?', false]], ['alpha', 'beta', 'gamma', 'delta']],
    ['=? with a value', [['city', '=?', 'Lyon']], ['beta']],
    ['boolean = False', [['is_company', '=', false]], ['alpha', 'beta', 'delta']],
    ['| (or)', ['|', ['city', '=', 'Lyon'], ['customer_rank', '=', 10]], ['beta', 'gamma']],
    ['! (not)', ['!', ['city', '=', 'Ghent']], ['beta', 'delta']],
    ['implicit & with nested |', [['email', '!=', false], '|', ['city', '=', 'Ghent'], ['city', '=', 'Lyon']], ['alpha', 'beta']],
    ['many2one id', [['parent_id', '=', 0]], []],
    ['dotted many2one path', [['parent_id.name', '=', 'Dom Gamma']], ['alpha', 'beta']],
    ['many2one by name', [['parent_id', 'ilike', 'gamma']], ['alpha', 'beta']],
    ['many2one = False', [['parent_id', '=', false]], ['gamma', 'delta']],
    ['one2many = False', [['child_ids', '=', false]], ['alpha', 'beta', 'delta']],
    ['one2many in ids', [['child_ids', 'in', [0]]], []],
    ['child_of', [['id', 'child_of', 0]], []],
    ['true leaf', [[1, '=', 1]], ['alpha', 'beta', 'gamma', 'delta']],
    ['false leaf', [[0, '=', 1]], []],
  ];
  for (const [label, domain, expected] of cases) {
    it(`operator ${label}`, async () => {
      assert.deepEqual(await names(domain), expected);
    });
  }

  it('x2many and hierarchy operators use real ids', async () => {
    assert.deepEqual(await names([['child_ids', 'in', [ids.alpha]]]), ['gamma']);
    assert.deepEqual(await names([['id', 'child_of', ids.gamma]]), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(await names([['id', 'parent_of', ids.alpha]]), ['alpha', 'gamma']);
    assert.deepEqual(await names([['parent_id', '=', ids.gamma]]), ['alpha', 'beta']);
    assert.deepEqual(await names([['child_ids', 'any', [['city', '=', 'Lyon']]]]), ['gamma']);
  });

  it('search also works over JSON-RPC with positional domain', async () => {
    const found = await kw<number[]>(sb, 'res.partner', 'search', [[['name', '=like', 'Dom%'], ['city', '=', 'Ghent']]]);
    assert.deepEqual([...found].sort((a, b) => a - b), [ids.alpha, ids.gamma]);
  });

  it('archived records need active_test false or a domain on active', async () => {
    assert.deepEqual(await search([['email', '=like', 'delta%']], {}), []);
    assert.deepEqual(await search([['email', '=like', 'delta%'], ['active', 'in', [true, false]]], {}), [ids.delta]);
  });

  it('dotted paths on sale orders reach the customer email', async () => {
    const orders = await call<number[]>(sb, 'sale.order', 'search', { domain: [['partner_id.email', 'ilike', 'gemini']] });
    assert.equal(orders.length, 1);
  });

  it('rejects domains Odoo rejects', async () => {
    const bad = async (domain: unknown, name: string, message: RegExp): Promise<void> => {
      const r = await json2(sb, 'res.partner', 'search', { domain });
      assert.equal(r.status, 500);
      assert.equal((r.body as { name: string }).name, name);
      assert.match((r.body as { message: string }).message, message);
    };
    await bad([['parent_id.nofield', '=', 1]], 'builtins.ValueError', /^Invalid field res\.partner\.nofield in condition/);
    await bad([['name', 'LIKE', 'x'], ['name', 'between', 'x']], 'builtins.ValueError', /^Invalid operator in condition \('name', 'between', 'x'\)$/);
    await bad(['|', ['name', '=', 'x']], 'builtins.ValueError', /syntactically not correct/);
    await bad(42, 'builtins.TypeError', /^Domain\(\) invalid argument type for domain: 42$/);
    await bad([['name', '=']], 'builtins.ValueError', /^Invalid leaf \['name', '='\]$/);
  });
});
