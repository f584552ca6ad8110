import { strict as assert } from 'node:assert';
import { PRESETS, findPreset } from '../../../nodes/lib/canonical/presets';
import { createMapperEngine } from '../../../nodes/lib/canonical/engine';
import type { OdooResolver } from '../../../nodes/lib/canonical/resolver';
import { canonicalId, canonicalRegistry } from '../../../nodes/lib/canonical/schemas';
import type { MappingResult } from '../../../nodes/lib/mapper/types';

type Obj = Record<string, unknown>;

const SHOPIFY_ORDER = {
  id: 450789469,
  name: '#1001',
  email: ' Bob.Norman@Example.com ',
  created_at: '2026-01-15T10:20:30-05:00',
  currency: 'eur',
  total_price: '199.65',
  total_tax: '34.65',
  note: null,
  customer: { id: 207119551, email: 'bob.norman@example.com', first_name: 'Bob', last_name: 'Norman', phone: null },
  billing_address: { first_name: 'Bob', last_name: 'Norman', address1: 'Chestnut Street 92', address2: '', city: 'Louisville', zip: '40202', province_code: 'KY', country_code: 'us', phone: '555-625-1199', company: null },
  shipping_address: { first_name: 'Bob', last_name: 'Norman', address1: 'Chestnut Street 92', city: 'Louisville', zip: '40202', province_code: 'KY', country_code: 'US' },
  line_items: [
    { sku: 'IPOD2008PINK', title: 'IPod Nano - 8gb', quantity: 1, price: '199.00' },
    { sku: 'CASE-1', title: 'Case', quantity: '2', price: '0.33' },
  ],
  total_shipping_price_set: { shop_money: { amount: '10.00', currency_code: 'EUR' } },
};

const WOO_ORDER = {
  id: 727,
  status: 'processing',
  currency: 'EUR',
  date_created_gmt: '2026-01-15T10:20:30',
  total: '29.35',
  total_tax: '1.35',
  shipping_total: '10,00',
  customer_note: 'Ring twice',
  billing: { first_name: 'John', last_name: 'Doe', company: '', address_1: '969 Market', address_2: '', city: 'San Francisco', state: 'CA', postcode: '94103', country: 'US', email: 'john.doe@example.com', phone: '(555) 555-5555' },
  shipping: { first_name: 'John', last_name: 'Doe', company: '', address_1: '969 Market', address_2: '', city: 'San Francisco', state: 'CA', postcode: '94103', country: 'US' },
  line_items: [{ id: 315, name: 'Woo Single #1', product_id: 93, quantity: 2, sku: 'WOO-1', price: 3, total: '6.00' }],
};

/** A resolver answering from fixed tables, counting calls. */
function fixedResolver(partners: Record<string, number>, products: Record<string, number>): OdooResolver & { calls: number } {
  const r = {
    calls: 0,
    async partnerId(ref: { odooId?: number; email?: string; externalId?: string }) {
      r.calls++;
      return ref.odooId ?? partners[ref.externalId ?? ''] ?? partners[ref.email ?? ''];
    },
    async productIds(skus: string[]) {
      r.calls++;
      return new Map(skus.filter((s) => s in products).map((s) => [s, products[s]] as [string, number]));
    },
    async countryId(code: string) {
      return code === 'BE' ? 21 : undefined;
    },
    async read() {
      return [];
    },
    async countryCodes(ids: number[]) {
      return new Map(ids.filter((i) => i === 21).map((i) => [i, 'BE'] as [number, string]));
    },
    async productSkus() {
      return new Map<number, string>();
    },
  };
  return r;
}

const run = async (id: string, input: unknown, resolver?: OdooResolver): Promise<MappingResult> => {
  const preset = findPreset(id);
  assert.ok(preset, id);
  return preset.run(input, { resolver, defaultCurrency: 'EUR' });
};

describe('canonical presets', () => {
  it('every preset has a unique id and its schemas exist', () => {
    assert.equal(new Set(PRESETS.map((p) => p.id)).size, PRESETS.length);
    for (const p of PRESETS) for (const id of [p.inputSchema, p.outputSchema]) if (id) assert.ok(canonicalRegistry().has(id), id);
  });

  it('shopify-order: a Shopify order becomes a valid SalesOrder', async () => {
    const r = await run('shopify-order', SHOPIFY_ORDER);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(canonicalRegistry().get(canonicalId('sales-order')).validate(r.output), []);
    assert.deepEqual(r.output, {
      externalId: '450789469',
      source: 'shopify',
      orderDate: '2026-01-15T15:20:30Z',
      currency: 'EUR',
      customer: { externalId: '207119551', email: 'bob.norman@example.com', name: 'Bob Norman' },
      billingAddress: { name: 'Bob Norman', street: 'Chestnut Street 92', street2: '', city: 'Louisville', zip: '40202', state: 'KY', country: 'US', phone: '555-625-1199' },
      shippingAddress: { name: 'Bob Norman', street: 'Chestnut Street 92', city: 'Louisville', zip: '40202', state: 'KY', country: 'US' },
      lines: [
        { sku: 'IPOD2008PINK', name: 'IPod Nano - 8gb', quantity: 1, unitPrice: 199 },
        { sku: 'CASE-1', name: 'Case', quantity: 2, unitPrice: 0.33 },
      ],
      shippingAmount: 10,
      taxAmount: 34.65,
      totalAmount: 199.65,
    });
  });

  it('woocommerce-order: a WooCommerce order becomes a valid SalesOrder (status mapped, GMT date, "10,00")', async () => {
    const r = await run('woocommerce-order', WOO_ORDER);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(canonicalRegistry().get(canonicalId('sales-order')).validate(r.output), []);
    const o = r.output as Obj;
    assert.equal(o.status, 'confirmed');
    assert.equal(o.orderDate, '2026-01-15T10:20:30Z');
    assert.equal(o.shippingAmount, 10);
    assert.deepEqual(o.customer, { email: 'john.doe@example.com', name: 'John Doe', phone: '(555) 555-5555' });
    assert.deepEqual(o.lines, [{ sku: 'WOO-1', name: 'Woo Single #1', quantity: 2, unitPrice: 3, lineTotal: 6 }]);
    assert.equal(o.note, 'Ring twice');
  });

  it('sales-order-to-odoo: partner and products resolved, lines as [0, 0, vals] commands', async () => {
    const order = (await run('shopify-order', SHOPIFY_ORDER)).output;
    const resolver = fixedResolver({ '207119551': 44 }, { IPOD2008PINK: 1, 'CASE-1': 2 });
    const r = await run('sales-order-to-odoo', order, resolver);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.output, {
      partner_id: 44,
      client_order_ref: '450789469',
      date_order: '2026-01-15 15:20:30',
      order_line: [
        [0, 0, { product_id: 1, name: 'IPod Nano - 8gb', product_uom_qty: 1, price_unit: 199 }],
        [0, 0, { product_id: 2, name: 'Case', product_uom_qty: 2, price_unit: 0.33 }],
      ],
    });
  });

  it('sales-order-to-odoo: unknown partner and SKU are field errors naming the path', async () => {
    const order = (await run('shopify-order', SHOPIFY_ORDER)).output;
    const r = await run('sales-order-to-odoo', order, fixedResolver({}, { IPOD2008PINK: 1 }));
    assert.deepEqual(r.errors, [
      { path: 'customer', message: "no res.partner matches externalId '207119551' or email 'bob.norman@example.com'" },
      { path: 'lines[1].sku', message: "no product.product with default_code 'CASE-1'" },
    ]);
  });

  it('to-Odoo presets without a connection say what they cannot resolve', async () => {
    const r = await run('invoice-to-odoo', { externalId: 'I', kind: 'credit_note', invoiceDate: '2026-01-02', currency: 'EUR', customer: { odooId: 5 }, lines: [{ sku: 'A', name: 'a', quantity: 1, unitPrice: 1 }] });
    assert.equal(r.output.move_type, 'out_refund');
    assert.equal(r.output.partner_id, 5);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, 'lines');
    assert.match(r.errors[0].message, /needs an Odoo connection/);
    const p = await run('party-to-odoo', { name: 'X', addresses: [{ country: 'BE' }] });
    assert.deepEqual(p.errors.map((e) => e.path), ['addresses[0].country']);
  });

  it('odoo-to-party and odoo-to-product read Odoo records (false for empty, m2o as [id, name])', async () => {
    const party = await run('odoo-to-party', { id: 3, name: 'Acme', email: false, is_company: true, ref: false, street: 'Rue 1', city: 'Liège', zip: false, country_id: [21, 'Belgium'] }, fixedResolver({}, {}));
    assert.deepEqual(party, { output: { odooId: 3, kind: 'company', name: 'Acme', addresses: [{ type: 'main', street: 'Rue 1', city: 'Liège', country: 'BE' }] }, errors: [] });
    const product = await run('odoo-to-product', { id: 9, default_code: 'SKU9', name: 'Nine', type: 'service', list_price: 4, active: true, barcode: false });
    assert.deepEqual(product.output, { sku: 'SKU9', odooId: 9, name: 'Nine', kind: 'service', listPrice: 4, currency: 'EUR', active: true });
  });

  it('odoo-to-sales-order accepts embedded line records without a connection', async () => {
    const r = await run('odoo-to-sales-order', {
      id: 1, name: 'S00001', client_order_ref: 'X1', date_order: '2026-01-02 03:04:05', state: 'sale', partner_id: [7, 'Bob'], currency_id: [1, 'USD'],
      order_line: [{ id: 1, product_id: false, name: 'Thing', product_uom_qty: 2, price_unit: 1.5, price_subtotal: 3 }], amount_total: 3, note: false,
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.output, {
      externalId: 'X1', number: 'S00001', odooId: 1, status: 'confirmed', orderDate: '2026-01-02T03:04:05Z', currency: 'USD',
      customer: { odooId: 7, name: 'Bob' }, lines: [{ name: 'Thing', quantity: 2, unitPrice: 1.5, lineTotal: 3 }], totalAmount: 3,
    });
  });

  it('every preset routes non-object input to invalid, never throws', async () => {
    for (const p of PRESETS) {
      const engine = createMapperEngine({ mode: 'preset', preset: p.id }, { resolver: fixedResolver({}, {}) });
      const r = await engine.run('not an object');
      assert.equal(r.ok, false, p.id);
      assert.ok(!r.ok && r.errors.length > 0, p.id);
    }
  });

  it('engine: a to-Odoo preset validates its canonical input first (stage input), and needs a connection when required', async () => {
    const engine = createMapperEngine({ mode: 'preset', preset: 'party-to-odoo' });
    const r = await engine.run({ email: 'x' });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.stage === 'input');
    assert.ok(!r.ok && r.errors.some((e) => e.path === 'name' && e.message === 'is required'));
    assert.throws(() => createMapperEngine({ mode: 'preset', preset: 'sales-order-to-odoo' }), /needs an Odoo connection/);
    assert.throws(() => createMapperEngine({ mode: 'preset', preset: 'nope' }), /preset: expected one of/);
  });

  it('engine: custom rules stay synchronous and validate the output against the chosen schema', () => {
    const engine = createMapperEngine({
      mode: 'rules',
      rules: [{ target: 'sku', source: { kind: 'path', path: 'code' } }, { target: 'name', source: { kind: 'path', path: 'title' } }],
      schema: { type: 'canonical', value: canonicalId('product') },
    });
    const good = engine.run({ code: 'A', title: 'Apple' });
    assert.ok(!(good instanceof Promise), 'no promise on the hot path');
    assert.deepEqual(good, { ok: true, output: { sku: 'A', name: 'Apple' }, canonical: { schema: 'product', version: '1.0.0' } });
    const bad = engine.run({ code: 'A' });
    assert.deepEqual(bad, { ok: false, stage: 'output', errors: [{ path: 'name', message: 'is required' }], output: { sku: 'A' } });
  });

  it('engine: a mapping failure also reports the schema problems of the other fields, once per path', () => {
    const engine = createMapperEngine({ mode: 'preset', preset: 'shopify-order' });
    const r = engine.run({ id: 1, email: 'a@b.io', created_at: 'someday', currency: 'euro', line_items: [{ title: 'X', quantity: 'lots', price: '1.00' }] });
    assert.ok(!(r instanceof Promise) && !r.ok);
    assert.equal(r.stage, 'mapping');
    assert.deepEqual(r.errors, [
      { path: 'orderDate', message: "expected a date-time, got 'someday'" },
      { path: 'lines[0].quantity', message: "expected a number, got 'lots'" },
      { path: 'currency', message: 'must match pattern "^[A-Z]{3}$"' },
    ]);
  });

  it('engine: inline and broken user schemas', () => {
    const engine = createMapperEngine({ mode: 'rules', rules: [{ target: 'n', source: { kind: 'path', path: 'n' } }], schema: { type: 'inline', value: '{"type":"object","properties":{"n":{"type":"integer"}}}' } });
    assert.deepEqual(engine.run({ n: 'x' }), { ok: false, stage: 'output', errors: [{ path: 'n', message: 'must be integer' }], output: { n: 'x' } });
    assert.throws(() => createMapperEngine({ mode: 'rules', rules: [], schema: { type: 'inline', value: '{nope' } }), /inline schema is not valid JSON/);
    assert.throws(() => createMapperEngine({ mode: 'rules', rules: [], schema: { type: 'file', value: 'schemas/nonexistent.json' } }), /cannot read JSON Schema file/);
    assert.throws(() => createMapperEngine({ mode: 'rules', rules: [], schema: { type: 'inline', value: '{"type": 12}' } }), /not a usable JSON Schema/);
  });
});
