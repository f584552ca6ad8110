/**
 * The admin endpoints behind the canonical-mapper dialog, in a real runtime against the sandbox: the preview
 * with and without a connection, the catalog's samples, and POST /canonical-mapper/suggest for a canonical
 * schema and for an Odoo model read with fields_get through a deployed odoo-connection.
 */
import { strict as assert } from 'node:assert';
import mapperNode = require('../../nodes/canonical-mapper');
import connectionNode = require('../../nodes/odoo-connection');
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

interface Rule {
  target: string;
  source: { kind: string; path?: string };
  transforms?: Array<string | { type: string; rules?: Rule[] }>;
  confidence: number;
}

const ORDER = {
  order_id: 'A-100',
  placed_at: '2026-01-15T10:20:30Z',
  currency_code: 'EUR',
  customer_id: 7,
  buyer: { email: 'ada@example.com' },
  items: [{ sku: 'MUG', product_name: 'Mug', qty: 2, unit_price: '4.50' }],
};

describe('canonical-mapper dialog endpoints', function () {
  this.timeout(20000);
  let sandbox: Sandbox;
  const conn = () => ({ id: 'conn', type: 'odoo-connection', url: sandbox.url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', timeout: 5, concurrency: 2, tlsVerify: true });
  const flow = () => [{ id: 'm1', type: 'canonical-mapper', mode: 'preset', preset: 'shopify-order', schemaType: 'canonical', schema: '', wires: [[], []] }, conn()];

  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  });

  beforeEach(async () => {
    await helper.load([mapperNode, connectionNode], flow() as Parameters<typeof helper.load>[1], { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } });
  });

  afterEach(async () => {
    await helper.unload();
  });

  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await sandbox.close();
  });

  it('previews a preset that needs no Odoo with the dialog\'s "add new" or an undeployed connection', async () => {
    const catalog = await helper.request().get('/canonical-mapper/catalog').expect(200);
    const presets = catalog.body.presets as Array<{ id: string; odoo: string; sample: unknown }>;
    const sample = (id: string) => presets.find((p) => p.id === id)?.sample;
    assert.ok(presets.every((p) => p.sample && typeof p.sample === 'object'), 'every preset has a sample');
    const shop = await helper.request().post('/canonical-mapper/preview').send({ preset: 'shopify-order', connection: '_ADD_', sample: sample('shopify-order') }).expect(200);
    assert.deepEqual(shop.body.errors, []);
    assert.equal(shop.body.output.externalId, '450789469');
    const fromOdoo = await helper.request().post('/canonical-mapper/preview').send({ preset: 'odoo-to-sales-order', connection: 'not-deployed', sample: sample('odoo-to-sales-order') }).expect(200);
    assert.deepEqual(fromOdoo.body.errors, []);
    assert.equal(fromOdoo.body.output.number, 'S00042');
  });

  it('says a preset needs a connection, and previews it through the deployed one', async () => {
    const needs = await helper.request().post('/canonical-mapper/preview').send({ preset: 'sales-order-to-odoo', connection: '_ADD_', sample: {} }).expect(400);
    assert.match(needs.body.error.message, /preset 'sales-order-to-odoo' needs an Odoo connection .*choose one/);
    const undeployed = await helper.request().post('/canonical-mapper/preview').send({ preset: 'sales-order-to-odoo', connection: 'later', sample: {} }).expect(400);
    assert.match(undeployed.body.error.message, /deploy the odoo-connection 'later' first/);
    const order = { externalId: 'SHOP-1', orderDate: '2026-01-15T10:20:30Z', currency: 'EUR', customer: { email: 'nobody@nowhere.example' }, lines: [{ sku: 'FURN_7777', name: 'Chair', quantity: 1, unitPrice: 1 }] };
    const through = await helper.request().post('/canonical-mapper/preview').send({ preset: 'sales-order-to-odoo', connection: 'conn', sample: order }).expect(200);
    // The sandbox was asked: the partner is unknown there, the product is found.
    assert.deepEqual(through.body.errors, [{ path: 'customer', message: "no res.partner matches email 'nobody@nowhere.example'" }]);
    assert.equal(typeof (through.body.output.order_line[0][2] as { product_id: number }).product_id, 'number');
  });

  it('a preset that needs Odoo without a connection says so in its status', async () => {
    await helper.unload();
    const events = (helper as unknown as { _events: import('node:events').EventEmitter })._events;
    const seen: unknown[] = [];
    const listener = (e: { id: string; status: unknown }) => e.id === 'm2' && seen.push(e.status);
    events.on('node-status', listener);
    try {
      await helper.load([mapperNode, connectionNode], [{ id: 'm2', type: 'canonical-mapper', mode: 'preset', preset: 'sales-order-to-odoo', schemaType: 'none', wires: [[], []] }] as unknown as Parameters<typeof helper.load>[1]);
      assert.deepEqual(seen.at(-1), { fill: 'red', shape: 'ring', text: 'needs an Odoo connection' });
    } finally {
      events.off('node-status', listener);
    }
  });

  it('answers {rules, unmapped} for a canonical schema name', async () => {
    const res = await helper.request().post('/canonical-mapper/suggest').send({ sample: ORDER, schema: 'sales-order' }).expect(200);
    const rules = res.body.rules as Rule[];
    const by = (t: string) => rules.find((r) => r.target === t);
    assert.equal(by('orderDate')?.source.path, 'placed_at');
    assert.equal(by('currency')?.source.path, 'currency_code');
    assert.equal(by('customer.externalId')?.source.path, 'customer_id');
    assert.equal(by('customer.email')?.source.path, 'buyer.email');
    const lines = by('lines');
    assert.equal(lines?.source.path, 'items');
    const inner = (lines?.transforms?.[0] as { rules: Rule[] }).rules;
    assert.deepEqual(inner.map((r) => [r.target, r.source.path]), [['sku', 'sku'], ['name', 'product_name'], ['quantity', 'qty'], ['unitPrice', 'unit_price']]);
    assert.ok(rules.every((r) => r.confidence > 0 && r.confidence <= 1));
    assert.deepEqual(res.body.unmapped.targets.find((t: { path: string }) => t.path === 'totalAmount'), { path: 'totalAmount', required: false });
    // The same answer for the versioned name and the $id.
    const byId = await helper.request().post('/canonical-mapper/suggest').send({ sample: ORDER, schema: 'https://schemas.odoo-middleware.dev/canonical/sales-order/1.0.0' }).expect(200);
    assert.deepEqual(byId.body, res.body);
  });

  it("reads an Odoo model's fields (and its lines' model) through a deployed connection", async () => {
    const sample = { client_order_ref: 'A-100', customer_id: 7, order_date: '2026-01-15T10:20:30Z', lines: [{ product_id: 3, description: 'Mug', quantity: 2, price: 4.5 }] };
    const res = await helper.request().post('/canonical-mapper/suggest').send({ sample, schema: { odooModel: 'sale.order', connection: 'conn' } }).expect(200);
    const rules = res.body.rules as Rule[];
    const by = (t: string) => rules.find((r) => r.target === t);
    assert.equal(by('client_order_ref')?.source.path, 'client_order_ref');
    assert.deepEqual(by('partner_id')?.transforms, ['integer']);
    assert.deepEqual(by('date_order')?.transforms, ['odooDatetime']);
    const inner = ((by('order_line')?.transforms?.[0] as { rules: Rule[] }).rules ?? []).map((r) => [r.target, r.source.path]);
    assert.deepEqual(inner.find(([t]) => t === 'product_uom_qty'), ['product_uom_qty', 'quantity']);
    assert.deepEqual(inner.find(([t]) => t === 'price_unit'), ['price_unit', 'price']);
    // Computed and read-only fields are never proposed.
    assert.ok(!rules.some((r) => ['amount_total', 'state', 'id', 'create_date'].includes(r.target)));
  });

  it('answers 400 with a specific message for a bad body, an unknown schema or an undeployed connection', async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const res = await helper.request().post('/canonical-mapper/suggest').send(body as object).expect(400);
      assert.equal(res.body.error.code, 'MW_VALIDATION');
      assert.match(res.body.error.message, pattern);
    };
    await bad({ schema: 'sales-order' }, /^sample: expected a JSON object/);
    await bad({ sample: ORDER, schema: 'sales-ordr' }, /unknown canonical schema 'sales-ordr' \(known: .*sales-order/);
    await bad({ sample: ORDER }, /^schema: expected a canonical schema name/);
    await bad({ sample: ORDER, schema: { odooModel: 'sale order', connection: 'conn' } }, /^schema\.odooModel/);
    await bad({ sample: ORDER, schema: { odooModel: 'sale.order', connection: '_ADD_' } }, /^schema\.connection: the id of a deployed/);
    await bad({ sample: ORDER, schema: { odooModel: 'sale.order', connection: 'nope' } }, /no deployed odoo-connection node with id 'nope'/);
  });

  it('answers 502 with the Odoo error when the model does not exist', async () => {
    const res = await helper.request().post('/canonical-mapper/suggest').send({ sample: ORDER, schema: { odooModel: 'no.such.model', connection: 'conn' } }).expect(502);
    assert.match(res.body.error.code, /^ODOO_/);
  });
});
