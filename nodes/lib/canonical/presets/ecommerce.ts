/**
 * Shop orders -> canonical SalesOrder, written in the mapping language itself (so they compile once and run
 * synchronously like any custom mapping). Shapes follow Shopify's Admin REST order and WooCommerce's REST v3 order.
 */
import type { MappingRule, Source, TransformSpec } from '../../mapper/types';

const path = (p: string): Source => ({ kind: 'path', path: p });
const fullName = (last: string): MappingRule['transforms'] => [
  { type: 'concat', sources: [path(last)], separator: ' ' },
  'trim',
];
const money: TransformSpec[] = [{ type: 'currency' }];

function address(target: string, from: string, fields: { street: string; street2: string; zip: string; state: string; country: string }): MappingRule[] {
  return [
    { target: `${target}.name`, source: path(`${from}.first_name`), transforms: fullName(`${from}.last_name`) },
    { target: `${target}.company`, source: path(`${from}.company`), transforms: ['trim'] },
    { target: `${target}.street`, source: path(`${from}.${fields.street}`), transforms: ['trim'] },
    { target: `${target}.street2`, source: path(`${from}.${fields.street2}`), transforms: ['trim'] },
    { target: `${target}.city`, source: path(`${from}.city`), transforms: ['trim'] },
    { target: `${target}.zip`, source: path(`${from}.${fields.zip}`), transforms: ['string', 'trim'] },
    { target: `${target}.state`, source: path(`${from}.${fields.state}`), transforms: ['trim'] },
    { target: `${target}.country`, source: path(`${from}.${fields.country}`), transforms: ['trim', 'upper'] },
    { target: `${target}.phone`, source: path(`${from}.phone`), transforms: ['trim'] },
  ];
}

const SHOPIFY_ADDRESS = { street: 'address1', street2: 'address2', zip: 'zip', state: 'province_code', country: 'country_code' };
const WOO_ADDRESS = { street: 'address_1', street2: 'address_2', zip: 'postcode', state: 'state', country: 'country' };

export const SHOPIFY_ORDER_RULES: MappingRule[] = [
  { target: 'externalId', source: path('id'), transforms: ['string'] },
  { target: 'source', source: { kind: 'const', value: 'shopify' } },
  { target: 'orderDate', source: path('created_at'), transforms: ['datetime'] },
  { target: 'currency', source: path('currency'), transforms: ['trim', 'upper'] },
  { target: 'customer.externalId', source: path('customer.id'), transforms: ['string'] },
  { target: 'customer.email', source: path('email'), transforms: ['trim', 'lower'] },
  { target: 'customer.name', source: path('customer.first_name'), transforms: fullName('customer.last_name') },
  { target: 'customer.phone', source: path('customer.phone'), transforms: ['trim'] },
  ...address('billingAddress', 'billing_address', SHOPIFY_ADDRESS),
  ...address('shippingAddress', 'shipping_address', SHOPIFY_ADDRESS),
  {
    target: 'lines',
    source: path('line_items'),
    transforms: [
      {
        type: 'map',
        rules: [
          { target: 'sku', source: path('sku'), transforms: ['trim'] },
          { target: 'name', source: path('title'), transforms: ['trim'] },
          { target: 'quantity', source: path('quantity'), transforms: ['number'] },
          { target: 'unitPrice', source: path('price'), transforms: money },
        ],
      },
    ],
  },
  { target: 'shippingAmount', source: path('total_shipping_price_set.shop_money.amount'), transforms: money },
  { target: 'taxAmount', source: path('total_tax'), transforms: money },
  { target: 'totalAmount', source: path('total_price'), transforms: money },
  { target: 'note', source: path('note'), transforms: ['trim'] },
];

export const WOOCOMMERCE_ORDER_RULES: MappingRule[] = [
  { target: 'externalId', source: path('id'), transforms: ['string'] },
  { target: 'source', source: { kind: 'const', value: 'woocommerce' } },
  {
    target: 'status',
    source: path('status'),
    transforms: [{ type: 'lookup', table: { pending: 'draft', 'on-hold': 'draft', processing: 'confirmed', completed: 'confirmed', cancelled: 'cancelled', refunded: 'cancelled', failed: 'cancelled' }, default: 'draft' }],
  },
  { target: 'orderDate', source: path('date_created_gmt'), transforms: ['datetime'] },
  { target: 'currency', source: path('currency'), transforms: ['trim', 'upper'] },
  { target: 'customer.email', source: path('billing.email'), transforms: ['trim', 'lower'] },
  { target: 'customer.name', source: path('billing.first_name'), transforms: fullName('billing.last_name') },
  { target: 'customer.phone', source: path('billing.phone'), transforms: ['trim'] },
  ...address('billingAddress', 'billing', WOO_ADDRESS),
  ...address('shippingAddress', 'shipping', WOO_ADDRESS),
  {
    target: 'lines',
    source: path('line_items'),
    transforms: [
      {
        type: 'map',
        rules: [
          { target: 'sku', source: path('sku'), transforms: ['trim'] },
          { target: 'name', source: path('name'), transforms: ['trim'] },
          { target: 'quantity', source: path('quantity'), transforms: ['number'] },
          { target: 'unitPrice', source: path('price'), transforms: money },
          { target: 'lineTotal', source: path('total'), transforms: money },
        ],
      },
    ],
  },
  { target: 'shippingAmount', source: path('shipping_total'), transforms: money },
  { target: 'taxAmount', source: path('total_tax'), transforms: money },
  { target: 'totalAmount', source: path('total'), transforms: money },
  { target: 'note', source: path('customer_note'), transforms: ['trim'] },
];
