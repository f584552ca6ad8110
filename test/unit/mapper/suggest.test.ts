import { strict as assert } from 'node:assert';
import { canonicalDocuments, canonicalId, canonicalRegistry } from '../../../nodes/lib/canonical/schemas';
import { compileMapping } from '../../../nodes/lib/mapper/compile';
import { detectKind, suggestMapping, targetFromFieldsGet, targetFromJsonSchema, tokenize, toMappingRules, type OdooFieldInfo, type Suggestion, type Target } from '../../../nodes/lib/mapper/suggest';
import type { MappingRule, TransformSpec } from '../../../nodes/lib/mapper/types';

type Obj = Record<string, unknown>;

function canonicalTarget(name: string): Target {
  const schema = canonicalDocuments().find((d) => d.$id === canonicalId(name));
  assert.ok(schema, `schema ${name}`);
  return targetFromJsonSchema(schema, canonicalDocuments());
}

const rule = (rules: Suggestion[], target: string): Suggestion => {
  const found = rules.find((r) => r.target === target);
  assert.ok(found, `no suggestion for ${target}: ${rules.map((r) => r.target).join(', ')}`);
  return found;
};
const pathOf = (r: MappingRule): string => (r.source.kind === 'path' ? r.source.path : r.source.kind === 'jsonata' ? r.source.expr : 'const');
const mapRules = (r: MappingRule): Suggestion[] => {
  const map = r.transforms?.find((t): t is Extract<TransformSpec, { type: 'map' }> => typeof t === 'object' && t.type === 'map');
  assert.ok(map, `${r.target} has no map transform`);
  return map.rules as Suggestion[];
};

/** A Shopify Admin REST order, the shape the shopify-order preset was written for. */
const SHOPIFY_ORDER: Obj = {
  id: 450789469,
  email: ' Bob.Norman@Example.com ',
  created_at: '2026-01-15T10:20:30-05:00',
  updated_at: '2026-01-15T10:25:30-05:00',
  currency: 'eur',
  total_price: '199.65',
  subtotal_price: '179.00',
  total_tax: '34.65',
  note: 'leave at the door',
  customer: { id: 207119551, email: 'bob.norman@example.com', first_name: 'Bob', last_name: 'Norman', phone: '+1 555 0100' },
  billing_address: { first_name: 'Bob', last_name: 'Norman', address1: 'Chestnut Street 92', address2: 'Apt 3', city: 'Louisville', zip: '40202', province_code: 'KY', country_code: 'US', phone: '555-625-1199', company: 'Acme' },
  shipping_address: { first_name: 'Bo', last_name: 'Norman', address1: 'Elm Street 1', city: 'Lexington', zip: '40507', province_code: 'KY', country_code: 'US' },
  line_items: [
    { id: 1, sku: 'IPOD2008PINK', title: 'IPod Nano - 8gb', quantity: 1, price: '199.00' },
    { id: 2, sku: 'CASE-1', title: 'Case', quantity: 2, price: '0.33' },
  ],
};

describe('mapping suggester', () => {
  describe('words', () => {
    it('reduces names to canonical words across conventions and synonyms', () => {
      assert.deepEqual(tokenize('billingAddress'), ['billing', 'address']);
      assert.deepEqual(tokenize('postcode'), ['zip']);
      assert.deepEqual(tokenize('postal_code'), ['zip']);
      assert.deepEqual(tokenize('qty_ordered'), ['quantity', 'order']);
      assert.deepEqual(tokenize('default_code'), ['sku']);
      assert.deepEqual(tokenize('address1'), ['street']);
      assert.deepEqual(tokenize('street_2'), ['street2']);
      assert.deepEqual(tokenize('customer_firstname'), ['customer', 'first', 'name']);
      assert.deepEqual(tokenize('total_inc_tax'), ['total', 'incl']);
      assert.deepEqual(tokenize('created_at'), ['created', 'date']);
    });
  });

  describe('values', () => {
    it('tells dates, instants, Unix times, e-mails, codes and numbers written as text apart', () => {
      assert.equal(detectKind('2026-01-15'), 'date');
      assert.equal(detectKind('2026-01-15 10:20:30'), 'datetime');
      assert.equal(detectKind('2026-01-15T10:20:30.5+01:00'), 'datetime');
      assert.equal(detectKind('Tue, 20 Jan 2026 09:12:44 +0000'), 'datetime');
      assert.equal(detectKind(1768471230, ['created', 'date']), 'epoch-seconds');
      assert.equal(detectKind(1768471230, ['quantity']), 'integer');
      assert.equal(detectKind('ada@example.com'), 'email');
      assert.equal(detectKind('GB'), 'country');
      assert.equal(detectKind('gb', ['country']), 'country');
      assert.equal(detectKind('EUR'), 'currency');
      assert.equal(detectKind('eur', ['currency']), 'currency');
      // A lower-case word is not taken for a code without a name saying so.
      assert.equal(detectKind('all'), 'text');
      assert.equal(detectKind('1.234,56'), 'numeric-text');
      assert.equal(detectKind('  '), 'empty');
    });
  });

  describe('against a canonical schema', () => {
    const result = suggestMapping(SHOPIFY_ORDER, canonicalTarget('sales-order'));

    it('matches fields by their words, with the transforms their values need', () => {
      const { rules } = result;
      assert.equal(pathOf(rule(rules, 'externalId')), 'id');
      assert.deepEqual(rule(rules, 'externalId').transforms, ['string']);
      assert.equal(pathOf(rule(rules, 'orderDate')), 'created_at');
      assert.deepEqual(rule(rules, 'orderDate').transforms, ['datetime']);
      assert.deepEqual(rule(rules, 'currency').transforms, ['trim', 'upper']);
      assert.equal(pathOf(rule(rules, 'billingAddress.zip')), 'billing_address.zip');
      assert.equal(pathOf(rule(rules, 'billingAddress.street')), 'billing_address.address1');
      assert.equal(pathOf(rule(rules, 'billingAddress.street2')), 'billing_address.address2');
      assert.equal(pathOf(rule(rules, 'billingAddress.state')), 'billing_address.province_code');
      assert.equal(pathOf(rule(rules, 'shippingAddress.city')), 'shipping_address.city');
      assert.equal(pathOf(rule(rules, 'customer.externalId')), 'customer.id');
      assert.deepEqual(rule(rules, 'customer.email').transforms, ['trim', 'lower']);
      assert.deepEqual(rule(rules, 'totalAmount').transforms, [{ type: 'currency' }]);
      assert.equal(pathOf(rule(rules, 'totalAmount')), 'total_price');
      assert.equal(pathOf(rule(rules, 'taxAmount')), 'total_tax');
      assert.equal(pathOf(rule(rules, 'note')), 'note');
    });

    it('joins a first and last name into a name', () => {
      const name = rule(result.rules, 'billingAddress.name');
      assert.equal(pathOf(name), 'billing_address.first_name');
      assert.deepEqual(name.transforms, [{ type: 'concat', sources: [{ kind: 'path', path: 'billing_address.last_name' }], separator: ' ' }, 'trim']);
      assert.equal(pathOf(rule(result.rules, 'customer.name')), 'customer.first_name');
    });

    it('maps an array of lines with one map rule whose rules are found the same way', () => {
      const lines = rule(result.rules, 'lines');
      assert.equal(pathOf(lines), 'line_items');
      const inner = mapRules(lines);
      assert.equal(pathOf(rule(inner, 'sku')), 'sku');
      assert.equal(pathOf(rule(inner, 'name')), 'title');
      assert.deepEqual(rule(inner, 'quantity').transforms, ['number']);
      assert.deepEqual(rule(inner, 'unitPrice').transforms, [{ type: 'currency' }]);
    });

    it('gives every suggestion a confidence and a reason, and never proposes what Odoo writes', () => {
      for (const r of result.rules) {
        assert.ok(r.confidence >= 0.5 && r.confidence <= 1, `${r.target}: ${r.confidence}`);
        assert.ok(r.reason.length > 0);
      }
      assert.ok(!result.rules.some((r) => r.target === 'odooId' || r.target === 'number'));
    });

    it('lists the targets it found nothing for and the sources it did not use', () => {
      assert.deepEqual(result.unmapped.targets.find((t) => t.path === 'status'), { path: 'status', required: false });
      assert.ok(result.unmapped.sources.includes('updated_at'), result.unmapped.sources.join(', '));
      assert.ok(!result.unmapped.sources.includes('created_at'));
      // Fields of the lines the map rule does not read are listed as `lines[].field`.
      assert.ok(result.unmapped.sources.includes('line_items[].id'), result.unmapped.sources.join(', '));
      assert.ok(!result.unmapped.sources.includes('line_items[].sku'));
      const bare = suggestMapping({ id: 1 }, canonicalTarget('sales-order'));
      assert.ok(bare.unmapped.targets.some((t) => t.path === 'currency' && t.required));
    });

    it('is deterministic', () => {
      assert.deepEqual(suggestMapping(SHOPIFY_ORDER, canonicalTarget('sales-order')), result);
    });

    it('proposes rules that compile and map the sample to a valid SalesOrder', async () => {
      const mapping = compileMapping(toMappingRules(result.rules));
      const { output, errors } = await mapping(SHOPIFY_ORDER);
      assert.deepEqual(errors, []);
      assert.deepEqual(canonicalRegistry().get(canonicalId('sales-order')).validate(output), []);
      assert.equal((output as Obj).orderDate, '2026-01-15T15:20:30Z');
      assert.deepEqual((output.lines as Obj[])[1], { sku: 'CASE-1', name: 'Case', quantity: 2, unitPrice: 0.33 });
    });

    it('strips confidence and reason at every level when turning suggestions into rules', () => {
      const rules = toMappingRules(result.rules);
      const text = JSON.stringify(rules);
      assert.doesNotMatch(text, /confidence|reason/);
      assert.equal(rules.length, result.rules.length);
    });

    it('reads a Unix time in seconds through JSONata and a status through a lookup table to complete', async () => {
      const sample = { id: 'cs_1', created: 1768471230, status: 'complete', currency: 'usd', customer: 'cus_9', line_items: { data: [{ description: 'Mug', quantity: 2, price: { unit_amount: 1500 } }] } };
      const { rules } = suggestMapping(sample, canonicalTarget('sales-order'));
      const date = rule(rules, 'orderDate');
      assert.deepEqual(date.source, { kind: 'jsonata', expr: '$fromMillis(created * 1000)' });
      assert.deepEqual(rule(rules, 'status').transforms, [{ type: 'lookup', table: { complete: 'confirmed' } }]);
      assert.equal(pathOf(rule(rules, 'customer.externalId')), 'customer');
      assert.equal(pathOf(rule(rules, 'lines')), 'line_items.data');
      const { output } = await compileMapping(toMappingRules(rules))(sample);
      assert.equal(output.orderDate, '2026-01-15T10:00:30Z');
      assert.equal(output.status, 'confirmed');
    });

    it('reads money objects by the name of the key holding them, in major units', async () => {
      const square = { total_money: { amount: 2725, currency: 'USD' }, line_items: [{ name: 'Mug', quantity: '2', price_money: { amount: 1250, currency: 'USD' } }] };
      const squareRules = suggestMapping(square, canonicalTarget('sales-order')).rules;
      assert.equal(pathOf(rule(squareRules, 'totalAmount')), 'total_money.amount');
      assert.equal(pathOf(rule(mapRules(rule(squareRules, 'lines')), 'unitPrice')), 'price_money.amount');
      const cents = { totalPrice: { type: 'centPrecision', currencyCode: 'EUR', centAmount: 6545, fractionDigits: 2 }, taxedPrice: { totalTax: { currencyCode: 'EUR', centAmount: 1045, fractionDigits: 2 } } };
      const centRules = suggestMapping(cents, canonicalTarget('sales-order')).rules;
      assert.deepEqual(rule(centRules, 'totalAmount').source, { kind: 'jsonata', expr: 'totalPrice.centAmount / $power(10, totalPrice.fractionDigits)' });
      assert.equal(pathOf(rule(centRules, 'currency')), 'totalPrice.currencyCode');
      const { output } = await compileMapping(toMappingRules(centRules))(cents);
      assert.equal(output.totalAmount, 65.45);
      assert.equal(output.taxAmount, 10.45);
    });

    it('prefers the billing address over the shipping one for a billing field, and leaves out weak matches', () => {
      const sample = { shipping: { zip: '1000' }, misc: { flag: true } };
      const { rules, unmapped } = suggestMapping(sample, canonicalTarget('sales-order'));
      assert.ok(!rules.some((r) => r.target === 'billingAddress.zip'), JSON.stringify(rules));
      assert.equal(pathOf(rule(rules, 'shippingAddress.zip')), 'shipping.zip');
      assert.ok(unmapped.sources.includes('misc.flag'));
    });
  });

  describe("against an Odoo model's fields_get", () => {
    const SALE_ORDER: Record<string, OdooFieldInfo> = {
      id: { type: 'integer', string: 'ID', readonly: true },
      name: { type: 'char', string: 'Order Reference', readonly: true },
      client_order_ref: { type: 'char', string: 'Customer Reference' },
      partner_id: { type: 'many2one', string: 'Customer', relation: 'res.partner', required: true },
      date_order: { type: 'datetime', string: 'Order Date', required: true },
      note: { type: 'html', string: 'Terms and conditions' },
      amount_total: { type: 'monetary', string: 'Total', readonly: true, store: true },
      state: { type: 'selection', string: 'Status', selection: [['draft', 'Quotation'], ['sale', 'Sales Order'], ['cancel', 'Cancelled']] },
      order_line: { type: 'one2many', string: 'Order Lines', relation: 'sale.order.line' },
      create_date: { type: 'datetime', string: 'Created on', readonly: true },
      message_ids: { type: 'one2many', string: 'Messages', relation: 'mail.message' },
    };
    const SALE_ORDER_LINE: Record<string, OdooFieldInfo> = {
      order_id: { type: 'many2one', string: 'Order Reference', relation: 'sale.order', required: true },
      product_id: { type: 'many2one', string: 'Product', relation: 'product.product' },
      name: { type: 'text', string: 'Description', required: true },
      product_uom_qty: { type: 'float', string: 'Quantity', required: true },
      price_unit: { type: 'float', string: 'Unit Price', required: true },
      discount: { type: 'float', string: 'Discount (%)' },
    };
    const target = targetFromFieldsGet('sale.order', SALE_ORDER, { 'sale.order.line': SALE_ORDER_LINE });

    it('keeps the fields a payload can set, and the lines of its one2many', () => {
      const paths = target.fields.map((f) => f.path);
      assert.deepEqual(paths, ['client_order_ref', 'partner_id', 'date_order', 'note', 'state', 'order_line']);
      const lines = target.fields.find((f) => f.path === 'order_line');
      assert.deepEqual(lines?.items?.map((f) => f.path), ['product_id', 'name', 'product_uom_qty', 'price_unit', 'discount']);
    });

    it('proposes Odoo values: an id for a many2one, Odoo datetimes, lines through map', () => {
      const sample = { customer_id: 42, order_date: '2026-01-15T10:20:30Z', note: 'ring twice', items: [{ product_id: 7, title: 'Mug', qty: 3, unit_price: '4.50', discount: 10 }] };
      const { rules } = suggestMapping(sample, target);
      assert.equal(pathOf(rule(rules, 'partner_id')), 'customer_id');
      assert.deepEqual(rule(rules, 'partner_id').transforms, ['integer']);
      assert.deepEqual(rule(rules, 'date_order').transforms, ['odooDatetime']);
      const inner = mapRules(rule(rules, 'order_line'));
      assert.equal(pathOf(rule(inner, 'product_uom_qty')), 'qty');
      assert.equal(pathOf(rule(inner, 'price_unit')), 'unit_price');
      assert.equal(pathOf(rule(inner, 'name')), 'title');
    });
  });
});
