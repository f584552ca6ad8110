import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../nodes/lib/errors';
import { OdooError } from '../../../nodes/lib/odoo/errors';
import type { CallOptions } from '../../../nodes/lib/odoo/types';
import { createIsolated } from '../../../nodes/lib/write/isolate';
import { keyRecords, planUpsert, splitExternalId } from '../../../nodes/lib/write/upsert';
import { runWrite, type WriteRequest } from '../../../nodes/lib/write/writer';

interface Row extends Record<string, unknown> {
  id: number;
}

/** An in-memory Odoo for create/write/search_read/ir.model.data; partners without a name are rejected. */
function fakeOdoo(opts: { failWith?: OdooError } = {}) {
  const tables: Record<string, Row[]> = {};
  const calls: Array<{ model: string; method: string; args: Record<string, unknown>; options?: CallOptions }> = [];
  let nextId = 1;
  const table = (m: string) => (tables[m] ??= []);
  const client = {
    call: async <T>(model: string, method: string, args: Record<string, unknown> = {}, options?: CallOptions): Promise<T> => {
      calls.push({ model, method, args, options });
      if (opts.failWith) throw opts.failWith;
      if (method === 'create') {
        const list = args.vals_list as Array<Record<string, unknown>>;
        if (model === 'res.partner' && list.some((v) => !v.name)) {
          throw new OdooError({ kind: 'validation', message: 'Odoo rejected res.partner.create: Contacts require a name', odooMessage: 'Contacts require a name' });
        }
        return list.map((v) => {
          const row = { ...v, id: nextId++ };
          table(model).push(row);
          return row.id;
        }) as T;
      }
      if (method === 'write') {
        for (const row of table(model)) if ((args.ids as number[]).includes(row.id)) Object.assign(row, args.vals);
        return true as T;
      }
      if (method === 'search_read') {
        const terms = (args.domain as Array<[string, string, unknown]>).filter(Array.isArray);
        return table(model).filter((row) => terms.every(([f, op, v]) => (op === 'in' ? (v as unknown[]).includes(row[f]) : row[f] === v))) as T;
      }
      if (method === 'message_post') return 1 as T;
      return true as T;
    },
  };
  return { client, calls, tables };
}

const req = (over: Partial<WriteRequest>): WriteRequest => ({ model: 'res.partner', operation: 'create', payload: {}, chunkSize: 100, reconcile: false, ...over });

describe('write engine', () => {
  it('batch create isolates bad records by halving and keeps input order', async () => {
    const fake = fakeOdoo();
    const payload = Array.from({ length: 250 }, (_, i) => ({ name: i === 17 || i === 201 ? '' : `P${i}` }));
    const out = await runWrite(fake.client, req({ payload }), {});
    assert.equal(out.created, 248);
    assert.deepEqual(out.failed.map((f) => f.index), [17, 201]);
    assert.equal(out.failed[0].error.kind, 'validation');
    assert.deepEqual(out.failed[0].vals, { name: '' });
    assert.equal(out.ids[17], null);
    assert.equal(out.ids.filter((id) => id !== null).length, 248);
    assert.equal(fake.tables['res.partner'].length, 248);
    const chunkSizes = fake.calls.filter((c) => c.method === 'create').slice(0, 1).map((c) => (c.args.vals_list as unknown[]).length);
    assert.deepEqual(chunkSizes, [100]);
  });

  it('a retryable error fails the whole batch', async () => {
    const fake = fakeOdoo({ failWith: new OdooError({ kind: 'timeout', message: 'timed out', outcomeUnknown: true }) });
    await assert.rejects(runWrite(fake.client, req({ payload: [{ name: 'a' }, { name: 'b' }] }), {}), (err: unknown) => (err as OdooError).kind === 'timeout');
    assert.equal(fake.calls.length, 1, 'no splitting on retryable errors');
  });

  it('a single object create error is the message error', async () => {
    const fake = fakeOdoo();
    await assert.rejects(runWrite(fake.client, req({ payload: { email: 'x' } }), {}), (err: unknown) => (err as OdooError).kind === 'validation');
  });

  it('validates the payload before any call', async () => {
    const fake = fakeOdoo();
    await assert.rejects(runWrite(fake.client, req({ payload: 'nope' }), {}), (err: unknown) => err instanceof ValidationError && err.message.includes('msg.payload'));
    await assert.rejects(runWrite(fake.client, req({ payload: [{ name: 'a' }, 3] }), {}), (err: unknown) => err instanceof ValidationError && err.message.includes('msg.payload[1]'));
    await assert.rejects(runWrite(fake.client, req({ operation: 'write', payload: { name: 'x' } }), {}), (err: unknown) => err instanceof ValidationError && err.message.includes('ids'));
    await assert.rejects(runWrite(fake.client, req({ operation: 'call', method: '_private' }), {}), (err: unknown) => err instanceof ValidationError && err.message.includes('method'));
    assert.equal(fake.calls.length, 0);
  });

  it('upsert by external ID twice keeps one record and registers the external ID once', async () => {
    const fake = fakeOdoo();
    const key = { kind: 'xmlid' as const, field: 'xml_id', module: '__import__' };
    const first = await runWrite(fake.client, req({ operation: 'upsert', key, payload: [{ xml_id: 'crm.p1', name: 'One' }] }), {});
    const second = await runWrite(fake.client, req({ operation: 'upsert', key, payload: [{ xml_id: 'crm.p1', name: 'One bis' }] }), {});
    assert.equal(first.created, 1);
    assert.equal(second.updated, 1);
    assert.deepEqual(second.ids, first.ids);
    assert.equal(fake.tables['res.partner'].length, 1);
    assert.equal(fake.tables['res.partner'][0].name, 'One bis');
    assert.equal(fake.tables['res.partner'][0].xml_id, undefined, 'the key field is not sent to Odoo');
    assert.deepEqual(fake.tables['ir.model.data'].map((r) => [r.module, r.name, r.model]), [['crm', 'p1', 'res.partner']]);
  });

  it('upsert by natural key writes existing and creates missing, duplicates inside a payload write once created', async () => {
    const fake = fakeOdoo();
    const key = { kind: 'field' as const, field: 'ref' };
    await runWrite(fake.client, req({ operation: 'upsert', key, payload: [{ ref: 'A', name: 'a' }] }), {});
    const out = await runWrite(fake.client, req({ operation: 'upsert', key, payload: [{ ref: 'A', name: 'a2' }, { ref: 'B', name: 'b' }, { ref: 'B', name: 'b2' }] }), {});
    assert.equal(out.created, 1);
    assert.equal(out.updated, 2);
    assert.equal(out.ids[1], out.ids[2]);
    assert.deepEqual(fake.tables['res.partner'].map((r) => [r.ref, r.name]), [['A', 'a2'], ['B', 'b2']]);
  });

  it('an upsert that updates replaces x2many lines given as create commands instead of appending them again', async () => {
    const fake = fakeOdoo();
    const key = { kind: 'field' as const, field: 'client_order_ref' };
    const order = { client_order_ref: 'SO-1', order_line: [[0, 0, { name: 'Desk' }], [0, 0, { name: 'Lamp' }]] };
    await runWrite(fake.client, req({ model: 'sale.order', operation: 'upsert', key, payload: order }), {});
    await runWrite(fake.client, req({ model: 'sale.order', operation: 'upsert', key, payload: [order] }), {});
    const writes = fake.calls.filter((c) => c.method === 'write').map((c) => (c.args.vals as Record<string, unknown>).order_line);
    assert.deepEqual(writes, [[[5, 0, 0], [0, 0, { name: 'Desk' }], [0, 0, { name: 'Lamp' }]]]);
    const created = fake.calls.find((c) => c.method === 'create')?.args.vals_list as Array<Record<string, unknown>>;
    assert.deepEqual(created[0].order_line, order.order_line, 'a create keeps the commands as given');
  });

  it('an update leaves mixed or explicit x2many commands as they are', async () => {
    const fake = fakeOdoo();
    const key = { kind: 'field' as const, field: 'ref' };
    await runWrite(fake.client, req({ operation: 'upsert', key, payload: { ref: 'X', name: 'x' } }), {});
    const mixed = [[5, 0, 0], [0, 0, { name: 'a' }]];
    await runWrite(fake.client, req({ operation: 'upsert', key, payload: { ref: 'X', name: 'x', category_id: [[6, 0, [1, 2]]], child_ids: mixed } }), {});
    const vals = fake.calls.filter((c) => c.method === 'write')[0].args.vals as Record<string, unknown>;
    assert.deepEqual([vals.category_id, vals.child_ids], [[[6, 0, [1, 2]]], mixed]);
  });

  it('create with a reconcile key after an unknown outcome finds the committed record instead of creating again', async () => {
    const fake = fakeOdoo();
    const key = { kind: 'field' as const, field: 'ref' };
    await runWrite(fake.client, req({ key, payload: [{ ref: 'X', name: 'x' }] }), {});
    const retried = await runWrite(fake.client, req({ key, reconcile: true, payload: [{ ref: 'X', name: 'x' }, { ref: 'Y', name: 'y' }] }), {});
    assert.equal(retried.reconciled, 1);
    assert.equal(retried.created, 1);
    assert.equal(fake.tables['res.partner'].length, 2);
  });

  it('posts the correlation id on each written record', async () => {
    const fake = fakeOdoo();
    const out = await runWrite(fake.client, req({ payload: [{ name: 'a' }, { name: 'b' }], postCorrelationId: 'corr-9' }), {});
    const posts = fake.calls.filter((c) => c.method === 'message_post');
    assert.equal(posts.length, 2);
    assert.match(String(posts[0].args.body), /corr-9/);
    assert.deepEqual(out.chatter, { posted: 2, failed: 0 });
  });

  it('write, unlink and call pass ids and named args', async () => {
    const fake = fakeOdoo();
    await runWrite(fake.client, req({ operation: 'write', ids: [4], payload: { name: 'z' } }), {});
    await runWrite(fake.client, req({ operation: 'unlink', ids: [4] }), {});
    const out = await runWrite(fake.client, req({ model: 'sale.order', operation: 'call', method: 'action_confirm', ids: [7], payload: 1 }), {});
    assert.deepEqual(fake.calls.map((c) => [c.method, c.args]), [
      ['write', { ids: [4], vals: { name: 'z' } }],
      ['unlink', { ids: [4] }],
      ['action_confirm', { ids: [7] }],
    ]);
    assert.equal(out.result, true);
  });
});

describe('isolation and upsert planning', () => {
  it('stops on non record-level errors such as auth', async () => {
    let calls = 0;
    const create = async (): Promise<number[]> => {
      calls += 1;
      throw new OdooError({ kind: 'auth', message: 'Invalid apikey' });
    };
    await assert.rejects(createIsolated(create, [{ index: 0, vals: {} }, { index: 1, vals: {} }], 10));
    assert.equal(calls, 1);
  });

  it('plans creates, writes and followers', () => {
    const keyed = keyRecords(
      [
        { index: 0, vals: { xml_id: 'a', name: '1' } },
        { index: 1, vals: { xml_id: 'm.b', name: '2' } },
        { index: 2, vals: { xml_id: 'a', name: '3' } },
      ],
      { kind: 'xmlid', field: 'xml_id', module: '__import__' },
    );
    const plan = planUpsert(keyed, new Map([['m.b', 9]]));
    assert.deepEqual(plan.create.map((r) => r.key), ['__import__.a']);
    assert.deepEqual(plan.write.map((r) => [r.index, r.id]), [[1, 9]]);
    assert.deepEqual(plan.followers.map((r) => [r.index, r.leaderIndex]), [[2, 0]]);
  });

  it('rejects records without a key, naming the field', () => {
    assert.throws(() => keyRecords([{ index: 3, vals: { name: 'x' } }], { kind: 'field', field: 'ref' }), /msg\.payload\[3\]\.ref/);
    assert.deepEqual(splitExternalId('name_only', '__import__'), { module: '__import__', name: 'name_only' });
  });
});
