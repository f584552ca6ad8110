import { strict as assert } from 'node:assert';
import { adminKey, callSandbox, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import writeNode = require('../../nodes/odoo-write');
// The core catch node, loaded from the runtime under test.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

type Records = Array<Record<string, unknown>>;

const outputs = [
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

function write(over: Record<string, unknown>) {
  return { id: 'write', type: 'odoo-write', z: 'f1', connection: 'conn', operation: 'create', model: 'res.partner', modelType: 'str', ids: 'odoo.ids', idsType: 'msg', chunkSize: 100, keyType: 'none', wires: [['ok'], ['bad']], ...over };
}

describe('odoo-write node (real runtime, sandbox over HTTP)', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));

  for (const protocol of ['json2', 'jsonrpc'] as const) {
    it(`creates one record and reports its id (${protocol})`, async () => {
      await helper.load([connectionNode, writeNode], [tab, connection(sb.url, protocol), write({}), ...outputs], adminKey);
      const ok = collect('ok', 1);
      helper.getNode('write').receive({ payload: { name: `Single ${protocol}`, email: 'single@example.com' }, topic: 'kept' } as Msg);
      const [msg] = await ok;
      assert.equal(typeof msg.payload, 'number');
      assert.equal(msg.topic, 'kept');
      const report = msg.odoo as Record<string, unknown>;
      assert.deepEqual([report.model, report.method, report.created, report.ids], ['res.partner', 'create', 1, [msg.payload]]);
      const [row] = await callSandbox<Records>(sb, 'res.partner', 'read', { ids: [msg.payload], fields: ['name'] });
      assert.equal(row.name, `Single ${protocol}`);
    });
  }

  it('a batch of 250 with 2 invalid partners writes 248 and reports the 2 on output 2', async () => {
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), write({}), ...outputs], adminKey);
    const ok = collect('ok', 1);
    const bad = collect('bad', 1);
    const tag = `Batch ${Date.now()}`;
    const payload = Array.from({ length: 250 }, (_, i) => (i === 42 || i === 199 ? { email: `nameless${i}@example.com` } : { name: `${tag} ${i}` }));
    helper.getNode('write').receive({ payload } as Msg);
    const [[good], [failed]] = await Promise.all([ok, bad]);
    const ids = good.payload as Array<number | null>;
    assert.equal(ids.length, 250);
    assert.equal(ids[42], null);
    assert.equal(ids[199], null);
    assert.equal(ids.filter((id) => id !== null).length, 248);
    const failures = failed.payload as Array<{ index: number; vals: unknown; error: { kind: string; code: string; message: string } }>;
    assert.deepEqual(failures.map((f) => f.index), [42, 199]);
    assert.equal(failures[0].error.kind, 'validation');
    assert.match(failures[0].error.message, /require a name/);
    assert.deepEqual(failures[1].vals, { email: 'nameless199@example.com' });
    assert.equal((good.odoo as { created: number }).created, 248);
    assert.equal(await callSandbox<number>(sb, 'res.partner', 'search_count', { domain: [['name', 'like', tag]] }), 248);
  });

  it('upsert by external ID twice leaves one record, updated', async () => {
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), write({ operation: 'upsert', keyType: 'xmlid', keyField: 'xml_id', xmlidModule: 'shop' }), ...outputs], adminKey);
    const send = async (name: string): Promise<Msg> => {
      const ok = collect('ok', 1);
      helper.getNode('write').receive({ payload: [{ xml_id: 'customer_77', name, email: 'c77@example.com' }] } as Msg);
      return (await ok)[0];
    };
    const first = await send('Customer 77');
    const second = await send('Customer 77 renamed');
    assert.equal((first.odoo as { created: number }).created, 1);
    assert.equal((second.odoo as { updated: number }).updated, 1);
    assert.deepEqual(second.payload, first.payload);
    const xmlids = await callSandbox<Records>(sb, 'ir.model.data', 'search_read', { domain: [['module', '=', 'shop'], ['name', '=', 'customer_77']], fields: ['res_id', 'model'] });
    assert.equal(xmlids.length, 1);
    assert.equal(xmlids[0].model, 'res.partner');
    const partners = await callSandbox<Records>(sb, 'res.partner', 'search_read', { domain: [['email', '=', 'c77@example.com']], fields: ['name'] });
    assert.deepEqual(partners.map((p) => p.name), ['Customer 77 renamed']);
  });

  it('after an unknown outcome, create with a reconcile key finds the committed record instead of creating a second', async () => {
    const ref = `REF-${Date.now()}`;
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), write({ keyType: 'field', keyField: 'ref' }), ...outputs], adminKey);
    const send = async (msg: Msg): Promise<Msg> => {
      const ok = collect('ok', 1);
      helper.getNode('write').receive(msg);
      return (await ok)[0];
    };
    const first = await send({ payload: { name: 'Reconciled', ref } } as Msg);
    const retried = await send({ payload: { name: 'Reconciled', ref }, retry: { attempt: 2, outcomeUnknown: true } } as Msg);
    assert.equal(retried.payload, first.payload);
    assert.equal((retried.odoo as { reconciled: number }).reconciled, 1);
    assert.equal(await callSandbox<number>(sb, 'res.partner', 'search_count', { domain: [['ref', '=', ref]] }), 1);
  });

  it('a committed create whose answer was lost is reconciled by its key on the retry (no duplicate)', async () => {
    const ref = `LOST-${Date.now()}`;
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), write({ keyType: 'field', keyField: 'ref' }), ...outputs, ...caught], adminKey);
    sb.setFaults({ commitThenDropRate: 1, faultModels: ['res.partner'], faultMethods: ['create'] });
    const errors = collect('errors', 1);
    helper.getNode('write').receive({ payload: { ref, name: 'Lost answer' } } as Msg);
    const [failed] = await errors;
    sb.setFaults({});
    const error = failed.error as { cause: { retryable: boolean; outcomeUnknown: boolean } };
    assert.equal(error.cause.retryable, true);
    assert.equal(error.cause.outcomeUnknown, true);
    assert.equal(await callSandbox<number>(sb, 'res.partner', 'search_count', { domain: [['ref', '=', ref]] }), 1, 'the first attempt committed');
    // What the retry node sends back after such an error.
    const ok = collect('ok', 1);
    helper.getNode('write').receive({ payload: { ref, name: 'Lost answer' }, retry: { attempt: 2, outcomeUnknown: true } } as Msg);
    const [retried] = await ok;
    assert.equal((retried.odoo as { reconciled: number; created: number }).reconciled, 1);
    assert.equal((retried.odoo as { created: number }).created, 0);
    assert.equal(await callSandbox<number>(sb, 'res.partner', 'search_count', { domain: [['ref', '=', ref]] }), 1);
  });

  it('write, call (action_confirm) and unlink with ids from msg.odoo.ids', async () => {
    const [partner] = sb.insertRecords('res.partner', [{ name: 'Order customer' }]);
    const [order] = sb.insertRecords('sale.order', [{ partner_id: partner }]);
    await helper.load(
      [connectionNode, writeNode],
      [
        tab,
        connection(sb.url),
        write({ id: 'w', operation: 'write', model: 'sale.order' }),
        write({ id: 'c', operation: 'call', model: 'sale.order', method: 'action_confirm', methodType: 'str' }),
        write({ id: 'u', operation: 'unlink', model: 'res.partner', ids: 'payload', idsType: 'msg' }),
        ...outputs,
      ],
      adminKey,
    );
    const run = async (id: string, msg: Msg): Promise<Msg> => {
      const ok = collect('ok', 1);
      helper.getNode(id).receive(msg);
      return (await ok)[0];
    };
    await run('w', { payload: { client_order_ref: 'PO-1' }, odoo: { ids: [order] } } as Msg);
    const confirmed = await run('c', { payload: 'ignored', odoo: { ids: [order] } } as Msg);
    assert.equal(confirmed.payload, true);
    const [row] = await callSandbox<Records>(sb, 'sale.order', 'read', { ids: [order], fields: ['state', 'client_order_ref'] });
    assert.deepEqual([row.state, row.client_order_ref], ['sale', 'PO-1']);
    const [doomed] = sb.insertRecords('res.partner', [{ name: 'Doomed' }]);
    const gone = await run('u', { payload: [doomed] } as Msg);
    assert.equal(gone.payload, true);
    assert.deepEqual(await callSandbox<Records>(sb, 'res.partner', 'read', { ids: [doomed], fields: ['name'] }), []);
  });

  it('posts the correlation id to the chatter and sends it as a header', async () => {
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), write({ postCorrelation: true }), ...outputs], adminKey);
    sb.clearRequests();
    const ok = collect('ok', 1);
    helper.getNode('write').receive({ payload: [{ name: 'Chatter 1' }, { name: 'Chatter 2' }], correlationId: 'corr-write-1' } as Msg);
    const [msg] = await ok;
    assert.deepEqual((msg.odoo as { chatter: unknown }).chatter, { posted: 2, failed: 0 });
    const posts = sb.requests.filter((r) => r.odooMethod === 'message_post');
    assert.equal(posts.length, 2);
    assert.match(JSON.stringify(posts[0].body), /corr-write-1/);
    assert.ok(sb.requests.filter((r) => r.odooMethod === 'create').every((r) => r.correlationId === 'corr-write-1'));
  });

  it('invalid input reaches a Catch node as MW_VALIDATION naming msg.payload, with no call made', async () => {
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), write({}), ...outputs, ...caught], adminKey);
    sb.clearRequests();
    const errors = collect('errors', 1);
    helper.getNode('write').receive({ payload: 'not a record' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string; cause: { kind: string } };
    assert.equal(error.code, 'MW_VALIDATION');
    assert.equal(error.cause.kind, 'validation');
    assert.match(error.message, /msg\.payload/);
    assert.equal(sb.requests.length, 0);
  });

  it('a single record Odoo rejects is the message error (Catch)', async () => {
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), write({}), ...outputs, ...caught], adminKey);
    const errors = collect('errors', 1);
    helper.getNode('write').receive({ payload: { email: 'no-name@example.com' } } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; cause: { kind: string; retryable: boolean; odooMessage: string } };
    assert.equal(error.code, 'ODOO_VALIDATION');
    assert.equal(error.cause.retryable, false);
    assert.match(error.cause.odooMessage, /require a name/);
  });
});
