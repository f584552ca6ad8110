import assert from 'node:assert/strict';
import { OdooError, parseRetryAfter, toPositional } from '../../../nodes/lib/odoo';
import { ConcurrencyLimiter } from '../../../nodes/lib/odoo/limiter';

describe('JSON-RPC positional mapping', () => {
  const cases: Array<[string, Record<string, unknown>, unknown[], Record<string, unknown>]> = [
    ['search_read', { domain: [['a', '=', 1]], fields: ['name'], limit: 5 }, [[['a', '=', 1]], ['name'], 0, 5], {}],
    ['search_read', { domain: [], order: 'id asc', offset: 10 }, [[], null, 10, null, 'id asc'], {}],
    ['search_read', {}, [], {}],
    ['search_read', { domain: [], load: false }, [[]], { load: false }],
    ['read', { ids: [1, 3], fields: ['name'] }, [[1, 3], ['name']], {}],
    ['read', { ids: [1] }, [[1]], {}],
    ['search', { domain: [], limit: 3, order: 'id desc' }, [[], 0, 3, 'id desc'], {}],
    ['search_count', { domain: [['x', '=', 1]] }, [[['x', '=', 1]]], {}],
    ['create', { vals_list: [{ name: 'A1' }] }, [[{ name: 'A1' }]], {}],
    ['write', { ids: [43], vals: { name: 'x' } }, [[43], { name: 'x' }], {}],
    ['unlink', { ids: [43] }, [[43]], {}],
    ['fields_get', { attributes: ['type'], allfields: ['name'] }, [['name'], ['type']], {}],
    ['fields_get', { attributes: ['type'] }, [null, ['type']], {}],
    ['name_search', { name: 'Azure', limit: 2 }, ['Azure', null, 'ilike', 2], {}],
    ['name_search', { name: 'Az', args: [['is_company', '=', true]] }, ['Az', [['is_company', '=', true]]], {}],
    ['name_search', { name: 'Az', domain: [['x', '=', 1]], operator: '=' }, ['Az', [['x', '=', 1]], '='], {}],
    ['load', { fields: ['id', 'name'], data: [['__import__.a', 'A']] }, [['id', 'name'], [['__import__.a', 'A']]], {}],
    ['default_get', { fields_list: ['name'] }, [['name']], {}],
    ['action_confirm', { ids: [1] }, [[1]], {}],
    ['message_post', { ids: [5], body: 'hi', message_type: 'comment' }, [[5]], { body: 'hi', message_type: 'comment' }],
    ['check_access_rights', { operation: 'read' }, [], { operation: 'read' }],
  ];
  for (const [method, named, args, kwargs] of cases) {
    it(`${method} ${JSON.stringify(named)}`, () => {
      assert.deepEqual(toPositional(method, named), { args, kwargs });
    });
  }

  it('fails with the missing argument named for a required one', () => {
    assert.throws(() => toPositional('create', {}), (err: unknown) => err instanceof OdooError && err.kind === 'validation' && /"vals_list"/.test(err.message));
    assert.throws(() => toPositional('load', { data: [] }), (err: unknown) => err instanceof OdooError && /"fields"/.test(err.message));
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(['1.5'], now), 1500);
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('concurrency limiter', () => {
  it('starts queued tasks in arrival order as slots free', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = [0, 1, 2, 3, 4].map((n) =>
      limiter.run(() => {
        started.push(n);
        return new Promise<number>((resolve) => gates.push(() => resolve(n)));
      }),
    );
    assert.deepEqual(started, [0, 1]);
    assert.equal(limiter.queued, 3);
    gates[1]();
    await tasks[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]();
    gates[2]();
    await Promise.all([tasks[0], tasks[2]]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    gates[3]();
    gates[4]();
    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4]);
    assert.equal(limiter.active, 0);
  });

  it('frees the slot when a task throws synchronously', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await assert.rejects(limiter.run(() => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(await limiter.run(async () => 5), 5);
  });
});
