/**
 * Each Odoo preset against the real sandbox through the real client: canonical -> Odoo values -> create ->
 * read back -> canonical, which must equal the input (fields Odoo adds, like ids and numbers, aside).
 */
import { strict as assert } from 'node:assert';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../../../sandbox';
import { createOdooClient } from '../../../nodes/lib/odoo';
import type { OdooClient } from '../../../nodes/lib/odoo/types';
import { createOdooResolver, type OdooResolver } from '../../../nodes/lib/canonical/resolver';
import { canonicalId, canonicalRegistry } from '../../../nodes/lib/canonical/schemas';
import {
  invoiceFromOdoo,
  invoiceToOdoo,
  partyFromOdoo,
  partyToOdoo,
  productFromOdoo,
  productToOdoo,
  salesOrderFromOdoo,
  salesOrderToOdoo,
} from '../../../nodes/lib/canonical/presets/odoo';
import type { MappingResult } from '../../../nodes/lib/mapper/types';

type Obj = Record<string, unknown>;

function valid(schema: string, value: unknown): void {
  assert.deepEqual(canonicalRegistry().get(canonicalId(schema)).validate(value), [], `not a valid ${schema}`);
}

function clean(result: MappingResult): Obj {
  assert.deepEqual(result.errors, []);
  return result.output;
}

/** Drops what Odoo adds on the way back (ids, numbers, states, totals) so the rest compares with the input. */
function withoutOdooAdditions(value: Obj, keys: string[]): Obj {
  const copy = JSON.parse(JSON.stringify(value)) as Obj;
  for (const k of keys) delete copy[k];
  if (copy.customer) delete (copy.customer as Obj).odooId;
  if (Array.isArray(copy.lines)) for (const l of copy.lines as Obj[]) delete l.lineTotal;
  return copy;
}

describe('canonical presets round-trip through the Odoo sandbox', function () {
  let sandbox: Sandbox;
  let client: OdooClient;
  let resolver: OdooResolver;

  const create = async (model: string, vals: Obj): Promise<number> => {
    const ids = await client.call<number[]>(model, 'create', { vals_list: [vals] });
    return ids[0];
  };
  const readOne = async (model: string, id: number, fields: string[]): Promise<Obj> => {
    const [record] = await client.call<Obj[]>(model, 'read', { ids: [id], fields });
    return record;
  };

  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    client = createOdooClient({ url: sandbox.url, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, database: SANDBOX_DEFAULTS.database });
    resolver = createOdooResolver(client);
  });

  after(async () => {
    client.close();
    await sandbox.close();
  });

  it('Party <-> res.partner', async () => {
    const party = {
      externalId: 'CUST-0042',
      kind: 'company',
      roles: ['customer', 'supplier'],
      name: 'Blue Harbour Trading',
      email: 'orders@blueharbour.example',
      phone: '+32 2 555 01 23',
      vat: 'BE0477472701',
      addresses: [{ type: 'main', street: 'Kaai 12', street2: 'Unit 3', city: 'Antwerpen', zip: '2000', country: 'BE' }],
    };
    valid('party', party);
    const vals = clean(await partyToOdoo(party, { resolver }));
    assert.equal(typeof vals.country_id, 'number');
    const id = await create('res.partner', vals);
    const record = await readOne('res.partner', id, ['name', 'email', 'phone', 'vat', 'ref', 'comment', 'is_company', 'customer_rank', 'supplier_rank', 'street', 'street2', 'city', 'zip', 'country_id']);
    const back = clean(await partyFromOdoo(record, { resolver }));
    valid('party', back);
    assert.equal(back.odooId, id);
    assert.deepEqual(withoutOdooAdditions(back, ['odooId']), party);
  });

  it('Product <-> product.product', async () => {
    const product = { sku: 'RT-MUG-01', name: 'Harbour mug', kind: 'goods', barcode: '5400000000017', listPrice: 12.5, currency: 'EUR', active: true };
    valid('product', product);
    const vals = clean(await productToOdoo(product));
    const id = await create('product.product', vals);
    const record = await readOne('product.product', id, ['default_code', 'name', 'list_price', 'barcode', 'type', 'active']);
    const back = clean(await productFromOdoo(record, { defaultCurrency: 'EUR' }));
    valid('product', back);
    assert.deepEqual(withoutOdooAdditions(back, ['odooId']), product);
  });

  it('SalesOrder <-> sale.order with order_line commands, partner by email and products by default_code', async () => {
    await create('res.partner', { name: 'Round Trip Buyer', email: 'buyer@roundtrip.example' });
    await create('product.product', { name: 'Widget', default_code: 'RT-W-1', list_price: 3 });
    await create('product.product', { name: 'Gadget', default_code: 'RT-G-2', list_price: 7 });
    const order = {
      externalId: 'SHOP-1001',
      orderDate: '2026-01-15T10:20:30Z',
      currency: 'EUR',
      customer: { email: 'buyer@roundtrip.example', name: 'Round Trip Buyer' },
      lines: [
        { sku: 'RT-W-1', name: 'Widget, blue', quantity: 2, unitPrice: 3.5 },
        { sku: 'RT-G-2', name: 'Gadget', quantity: 1, unitPrice: 7 },
      ],
      note: 'Leave at the door',
    };
    valid('sales-order', order);
    const vals = clean(await salesOrderToOdoo(order, { resolver }));
    assert.ok(Array.isArray(vals.order_line));
    for (const command of vals.order_line as unknown[][]) {
      assert.equal(command[0], 0);
      assert.equal(command[1], 0);
    }
    const id = await create('sale.order', vals);
    const record = await readOne('sale.order', id, ['name', 'partner_id', 'client_order_ref', 'date_order', 'state', 'order_line', 'amount_total', 'note']);
    const back = clean(await salesOrderFromOdoo(record, { resolver, defaultCurrency: 'EUR' }));
    valid('sales-order', back);
    assert.equal(back.status, 'draft');
    assert.match(String(back.number), /^S\d{5}$/);
    assert.deepEqual((back.lines as Obj[]).map((l) => l.lineTotal), [7, 7]);
    assert.deepEqual(withoutOdooAdditions(back, ['odooId', 'number', 'status', 'totalAmount']), order);
  });

  it('Invoice <-> account.move (out_invoice with invoice_line_ids commands), partner by external ID', async () => {
    const partner = await create('res.partner', { name: 'Invoice Customer', email: 'ap@invoice.example' });
    await client.call('ir.model.data', 'create', { vals_list: [{ module: 'shop', name: 'customer_77', model: 'res.partner', res_id: partner }] });
    await create('product.product', { name: 'Consulting hour', default_code: 'RT-SVC-1', type: 'service' });
    const invoice = {
      externalId: 'INV-SHOP-77',
      kind: 'invoice',
      invoiceDate: '2026-02-01',
      currency: 'EUR',
      customer: { externalId: 'shop.customer_77' },
      lines: [
        { sku: 'RT-SVC-1', name: 'Consulting, January', quantity: 3, unitPrice: 95 },
        { name: 'Travel costs', quantity: 1, unitPrice: 42.3 },
      ],
    };
    valid('invoice', invoice);
    const vals = clean(await invoiceToOdoo(invoice, { resolver }));
    assert.equal(vals.move_type, 'out_invoice');
    assert.equal(vals.partner_id, partner);
    const id = await create('account.move', vals);
    const record = await readOne('account.move', id, ['name', 'move_type', 'partner_id', 'invoice_date', 'ref', 'state', 'invoice_line_ids', 'amount_total']);
    const back = clean(await invoiceFromOdoo(record, { resolver, defaultCurrency: 'EUR' }));
    valid('invoice', back);
    assert.equal((back.customer as Obj).odooId, partner);
    const got = withoutOdooAdditions(back, ['odooId', 'number', 'status', 'totalAmount']);
    // The external ID lives in ir.model.data, not on the partner: it comes back as the partner it named.
    assert.deepEqual(got.customer, { name: 'Invoice Customer', email: 'ap@invoice.example' });
    assert.deepEqual({ ...got, customer: invoice.customer }, invoice);
  });
});
