import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import jsonata from 'jsonata';

interface Node {
  kind: 'group' | 'leaf';
  op?: 'and' | 'or' | 'not';
  children?: Node[];
  field?: string;
  operator?: string;
  type?: string;
  value?: string;
}
interface OdooDomain {
  group(op: string, children: Node[]): Node;
  leaf(field: string, operator: string, type: string, value: string): Node;
  fromDomain(domain: unknown): Node;
  toDomain(tree: Node): unknown[];
  toJsonata(tree: Node): string;
  toSetting(tree: Node): { domain: string; domainType: string; builder: string };
  fromSetting(domain: string, domainType: string, builder: string): Node | null;
}

// The editor's own file, loaded as CommonJS: the tests exercise what the browser runs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const D = require(path.resolve(__dirname, '..', '..', '..', '..', 'resources', 'odoo-domain.js')) as OdooDomain;

describe('editor domain builder: trees and Odoo domains', () => {
  it('reads prefix notation into AND / OR / NOT groups and writes it back the same', () => {
    const domains: unknown[][] = [
      [],
      [['is_company', '=', true]],
      [['is_company', '=', true], ['country_id.code', 'in', ['BE', 'FR']]],
      ['|', ['email', 'ilike', 'example.com'], ['phone', '!=', false]],
      ['|', '|', ['a', '=', 1], ['b', '=', 2], ['c', '=', 3]],
      [['active', '=', true], '|', ['name', 'ilike', 'azure'], '!', ['customer_rank', '>', 0]],
      ['!', '&', ['state', '=', 'cancel'], ['amount_total', '<', 10.5]],
    ];
    for (const domain of domains) assert.deepEqual(D.toDomain(D.fromDomain(domain)), domain, JSON.stringify(domain));
    const tree = D.fromDomain([['active', '=', true], '|', ['name', 'ilike', 'azure'], '!', ['customer_rank', '>', 0]]);
    assert.equal(tree.op, 'and');
    assert.deepEqual(tree.children?.map((c) => c.op ?? c.field), ['active', 'or']);
    assert.deepEqual(tree.children?.[1].children?.map((c) => c.op ?? c.field), ['name', 'not']);
    assert.deepEqual(tree.children?.[0], { kind: 'leaf', field: 'active', operator: '=', type: 'bool', value: 'true' });
  });

  it('flattens nested groups of the same kind and drops empty groups', () => {
    const tree = D.group('or', [D.leaf('a', '=', 'num', '1'), D.group('and', []), D.group('or', [D.leaf('b', '=', 'str', 'x')])]);
    assert.deepEqual(D.toDomain(tree), ['|', ['a', '=', 1], ['b', '=', 'x']]);
    const or = D.fromDomain(['|', ['a', '=', 1], '|', ['b', '=', 2], ['c', '=', 3]]).children?.[0];
    assert.deepEqual(or?.children?.map((c) => c.field), ['a', 'b', 'c']);
  });

  it('refuses what it cannot show', () => {
    assert.throws(() => D.fromDomain(['&', ['a', '=', 1]]), /ends where an operand was expected/);
    assert.throws(() => D.fromDomain([['a', '=']]), /cannot read \["a","="\] as a condition/);
    assert.throws(() => D.toDomain(D.group('and', [D.leaf('', '=', 'str', 'x')])), /a condition has no field/);
    assert.throws(() => D.toDomain(D.group('and', [D.leaf('qty', '>', 'num', 'many')])), /"many" is not a number \(field qty\)/);
    assert.equal(D.fromSetting('not json', 'json', ''), null);
    assert.equal(D.fromSetting('payload.domain', 'msg', ''), null);
  });

  it('builds a JSONata expression when a value comes from the message, flow, env or JSONata, and it evaluates to the domain', async () => {
    const tree = D.group('and', [
      D.leaf('email', '=ilike', 'msg', 'payload.customer.email'),
      D.group('or', [D.leaf('country_id.code', 'in', 'json', '["BE","FR"]'), D.leaf('ref', '=', 'jsonata', '"SHOP-" & payload.id')]),
      D.group('not', [D.leaf('user_id', '=', 'env', 'ODOO_BOT_UID'), D.leaf('active', '=', 'bool', 'false')]),
    ]);
    const setting = D.toSetting(tree);
    assert.equal(setting.domainType, 'jsonata');
    process.env.ODOO_BOT_UID = '1';
    try {
      const result = await jsonata(setting.domain).evaluate({ payload: { id: 7, customer: { email: 'ada@example.com' } } }, { env: (name: string) => process.env[name] });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), [
        ['email', '=ilike', 'ada@example.com'],
        '|',
        ['country_id.code', 'in', ['BE', 'FR']],
        ['ref', '=', 'SHOP-7'],
        '!',
        '&',
        ['user_id', '=', '1'],
        ['active', '=', false],
      ]);
    } finally {
      delete process.env.ODOO_BOT_UID;
    }
    assert.deepEqual(D.fromSetting(setting.domain, setting.domainType, setting.builder), tree, 'the builder reopens the expression it wrote');
    assert.equal(D.fromSetting(setting.domain + ' ', setting.domainType, setting.builder), null, 'an expression edited by hand opens in the expression view');
    assert.throws(() => D.toJsonata(D.group('and', [D.leaf('a', '=', 'msg', 'payload["x y"]')])), /not a plain property path/);
  });

  it('saves constant conditions as a JSON domain', () => {
    const setting = D.toSetting(D.group('and', [D.leaf('is_company', '=', 'bool', 'true')]));
    assert.deepEqual(setting, { domain: '[["is_company","=",true]]', domainType: 'json', builder: '' });
    assert.deepEqual(D.fromSetting('', 'json', ''), D.group('and', []));
  });
});
