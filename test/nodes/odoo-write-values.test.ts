import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adminKey, callSandbox, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import writeNode = require('../../nodes/odoo-write');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const injectNode = require('@node-red/nodes/core/common/20-inject.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commentNode = require('@node-red/nodes/core/common/90-comment.js');

initRuntime();

type Records = Array<Record<string, unknown>>;

const outputs = [
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

const ORDER_VALUES = [
  { field: 'partner_id', type: 'msg', value: 'payload.customer.email', fieldType: 'many2one', relation: 'res.partner', lookup: 'email' },
  { field: 'client_order_ref', type: 'msg', value: 'payload.number' },
  { field: 'note', type: 'jsonata', value: '"Shop order " & payload.number' },
  {
    field: 'order_line',
    type: 'msg',
    value: 'payload.items',
    fieldType: 'one2many',
    relation: 'sale.order.line',
    lines: [
      { field: 'product_id', path: 'sku', lookup: 'name', relation: 'product.product' },
      { field: 'product_uom_qty', path: 'qty' },
    ],
  },
];

function write(over: Record<string, unknown>) {
  return { id: 'write', type: 'odoo-write', z: 'f1', connection: 'conn', operation: 'create', model: 'sale.order', modelType: 'str', ids: 'odoo.ids', idsType: 'msg', chunkSize: 100, keyType: 'none', values: ORDER_VALUES, wires: [['ok'], ['bad']], ...over };
}

describe('odoo-write values editor (real runtime, sandbox over HTTP)', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));

  it('writes the vals built from the rules: many2one by email, lines with products by reference, looked up once', async () => {
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), write({}), ...outputs], adminKey);
    const order = (number: string) => ({ payload: { number, customer: { email: 'AZURE.interior24@example.com' }, items: [{ sku: 'FURN_7777', qty: 3 }, { sku: 'E-COM07', qty: 1 }] } });
    sb.clearRequests();
    const written: Msg[] = [];
    for (const number of ['WEB-1', 'WEB-2']) {
      const ok = collect('ok', 1);
      helper.getNode('write').receive(order(number) as Msg);
      written.push(...(await ok));
    }
    const ids = written.map((m) => m.payload as number);
    const rows = await callSandbox<Records>(sb, 'sale.order', 'read', { ids, fields: ['partner_id', 'client_order_ref', 'note', 'order_line'] });
    assert.deepEqual(rows.map((r) => (r.partner_id as [number, string])[1]), ['Azure Interior', 'Azure Interior']);
    assert.deepEqual(rows.map((r) => r.client_order_ref), ['WEB-1', 'WEB-2']);
    assert.match(String(rows[0].note), /Shop order WEB-1/);
    const lines = await callSandbox<Records>(sb, 'sale.order.line', 'read', { ids: rows[0].order_line, fields: ['product_id', 'product_uom_qty'] });
    assert.deepEqual(lines.map((l) => [(l.product_id as [number, string])[1], l.product_uom_qty]), [['[FURN_7777] Office Chair', 3], ['[E-COM07] Large Cabinet', 1]]);
    const lookups = sb.requests.filter((r) => r.odooMethod === 'name_search' || (r.odooMethod === 'search_read' && r.model === 'res.partner'));
    assert.equal(lookups.length, 3, 'one customer and two products looked up for the first order; the second came from the cache');
  });

  it('an email that matches no customer reaches a Catch node naming the field, and nothing is created', async () => {
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), write({}), ...outputs, ...caught], adminKey);
    const errors = collect('errors', 1);
    sb.clearRequests();
    helper.getNode('write').receive({ payload: { number: 'WEB-3', customer: { email: 'nobody@example.com' }, items: [] } } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string };
    assert.equal(error.code, 'MW_VALIDATION');
    // The failure is logged too, so the e-mail address is masked (odooMiddleware.masking, on by default).
    assert.match(error.message, /partner_id: no res\.partner record with email "\[email\]"/);
    assert.equal(sb.requests.filter((r) => r.odooMethod === 'create').length, 0);
  });

  it('broken rules fail each message with the reason; no rules write msg.payload as before', async () => {
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), write({ id: 'broken', values: [{ field: 'bad name' }], wires: [[], []] }), write({ model: 'res.partner', values: [] }), ...outputs, ...caught], adminKey);
    const errors = collect('errors', 1);
    helper.getNode('broken').receive({ payload: {} } as Msg);
    assert.match(((await errors)[0].error as { message: string }).message, /values\[0\]\.field must be an Odoo field name/);
    const ok = collect('ok', 1);
    helper.getNode('write').receive({ payload: { name: 'Plain payload' } } as Msg);
    const [done] = await ok;
    const [row] = await callSandbox<Records>(sb, 'res.partner', 'read', { ids: [done.payload], fields: ['name'] });
    assert.equal(row.name, 'Plain payload');
  });

  it('the shipped odoo-write example creates a sales order from the shop order with its values rows', async () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'flows', 'examples', 'odoo-write.json');
    const flow = (JSON.parse(fs.readFileSync(file, 'utf8')) as Array<Record<string, unknown> & { id: string; type: string }>).map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z } : n));
    process.env.ODOO_URL = sb.url;
    process.env.ODOO_DB = SANDBOX_DEFAULTS.database;
    process.env.ODOO_API_KEY = SANDBOX_DEFAULTS.apiKey;
    try {
      await helper.load([connectionNode, writeNode, injectNode, commentNode], flow, {});
      const written = collect('8e2a1b3c4d5e6f13', 1);
      (helper.getNode('8e2a1b3c4d5e6f11') as unknown as { receive(msg: unknown): void }).receive({});
      const [msg] = await written;
      const [order] = await callSandbox<Records>(sb, 'sale.order', 'read', { ids: [msg.payload], fields: ['partner_id', 'client_order_ref', 'order_line'] });
      assert.deepEqual([(order.partner_id as [number, string])[1], order.client_order_ref, (order.order_line as number[]).length], ['Deco Addict', 'WEB-1001', 2]);
    } finally {
      delete process.env.ODOO_URL;
      delete process.env.ODOO_DB;
      delete process.env.ODOO_API_KEY;
    }
  });
});
