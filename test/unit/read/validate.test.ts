import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../nodes/lib/errors';
import { parseContext, parseCount, parseDomain, parseFields, parseIds, requireModel } from '../../../nodes/lib/read/validate';

const rejects = (fn: () => unknown, property: string) =>
  assert.throws(fn, (err: unknown) => err instanceof ValidationError && err.message.includes(property) && err.code === 'MW_VALIDATION');

describe('read input validation', () => {
  it('model must be an Odoo model name', () => {
    assert.equal(requireModel(' res.partner '), 'res.partner');
    rejects(() => requireModel(''), 'model');
    rejects(() => requireModel(42), 'model');
    rejects(() => requireModel('Res Partner'), 'model');
  });
  it('domain is a JSON list of operators and triples', () => {
    assert.deepEqual(parseDomain('[["a","=",1]]'), [['a', '=', 1]]);
    assert.deepEqual(parseDomain(['|', ['a', '=', 1], ['b', '=', 2]]), ['|', ['a', '=', 1], ['b', '=', 2]]);
    assert.deepEqual(parseDomain(''), []);
    rejects(() => parseDomain('garbage'), 'domain');
    rejects(() => parseDomain({ a: 1 }), 'domain');
    rejects(() => parseDomain([['a', '=']]), 'domain[0]');
  });
  it('fields accept a comma list, a JSON array or an array', () => {
    assert.deepEqual(parseFields('name, email'), ['name', 'email']);
    assert.deepEqual(parseFields('["name"]'), ['name']);
    assert.deepEqual(parseFields(['id']), ['id']);
    assert.equal(parseFields(''), undefined);
    rejects(() => parseFields([1]), 'fields[0]');
    rejects(() => parseFields({}), 'fields');
  });
  it('ids must be positive integers', () => {
    assert.deepEqual(parseIds(5), [5]);
    assert.deepEqual(parseIds('1,2'), [1, 2]);
    assert.deepEqual(parseIds('[3]'), [3]);
    rejects(() => parseIds([1.5]), 'ids[0]');
    rejects(() => parseIds(['a']), 'ids[0]');
    rejects(() => parseIds({}), 'ids');
  });
  it('context is an object, counts are integers', () => {
    assert.deepEqual(parseContext('{"lang":"fr_FR"}'), { lang: 'fr_FR' });
    rejects(() => parseContext('[1]'), 'context');
    assert.equal(parseCount('', 'limit', 7), 7);
    assert.equal(parseCount('3', 'limit', undefined), 3);
    rejects(() => parseCount(-1, 'limit', undefined), 'limit');
    rejects(() => parseCount('x', 'offset', undefined), 'offset');
  });
});
