/**
 * The presets the canonical-mapper node offers. Each says what it takes and gives (schema ids validate the
 * input before and the output after), whether it needs an Odoo connection, and how to run.
 */
import { compileMapping } from '../../mapper/compile';
import type { MappingResult } from '../../mapper/types';
import type { OdooResolver } from '../resolver';
import { canonicalId } from '../schemas';
import { SHOPIFY_ORDER_RULES, WOOCOMMERCE_ORDER_RULES } from './ecommerce';
import {
  invoiceFromOdoo,
  invoiceToOdoo,
  partyFromOdoo,
  partyToOdoo,
  productFromOdoo,
  productToOdoo,
  salesOrderFromOdoo,
  salesOrderToOdoo,
} from './odoo';

export interface PresetContext {
  resolver?: OdooResolver;
  defaultCurrency?: string;
}

export interface Preset {
  id: string;
  title: string;
  /** Canonical schema the input must match before mapping (to-Odoo presets). */
  inputSchema?: string;
  /** Canonical schema the output is validated against by default (from-shop and from-Odoo presets). */
  outputSchema?: string;
  /** `required`: cannot run without a connection; `optional`: works without one for records that carry their data. */
  odoo: 'none' | 'optional' | 'required';
  /** The Odoo model of the records given or produced, for documentation and the editor. */
  model?: string;
  run(input: unknown, ctx: PresetContext): MappingResult | Promise<MappingResult>;
}

const shopify = compileMapping(SHOPIFY_ORDER_RULES);
const woocommerce = compileMapping(WOOCOMMERCE_ORDER_RULES);

export const PRESETS: readonly Preset[] = [
  { id: 'shopify-order', title: 'Shopify order -> SalesOrder', outputSchema: canonicalId('sales-order'), odoo: 'none', run: (i) => shopify(i) },
  { id: 'woocommerce-order', title: 'WooCommerce order -> SalesOrder', outputSchema: canonicalId('sales-order'), odoo: 'none', run: (i) => woocommerce(i) },
  { id: 'sales-order-to-odoo', title: 'SalesOrder -> sale.order values', inputSchema: canonicalId('sales-order'), odoo: 'required', model: 'sale.order', run: salesOrderToOdoo },
  { id: 'odoo-to-sales-order', title: 'sale.order record -> SalesOrder', outputSchema: canonicalId('sales-order'), odoo: 'optional', model: 'sale.order', run: salesOrderFromOdoo },
  { id: 'party-to-odoo', title: 'Party -> res.partner values', inputSchema: canonicalId('party'), odoo: 'optional', model: 'res.partner', run: partyToOdoo },
  { id: 'odoo-to-party', title: 'res.partner record -> Party', outputSchema: canonicalId('party'), odoo: 'optional', model: 'res.partner', run: partyFromOdoo },
  { id: 'product-to-odoo', title: 'Product -> product.product values', inputSchema: canonicalId('product'), odoo: 'none', model: 'product.product', run: (i) => productToOdoo(i) },
  { id: 'odoo-to-product', title: 'product.product record -> Product', outputSchema: canonicalId('product'), odoo: 'none', model: 'product.product', run: productFromOdoo },
  { id: 'invoice-to-odoo', title: 'Invoice -> account.move values', inputSchema: canonicalId('invoice'), odoo: 'optional', model: 'account.move', run: invoiceToOdoo },
  { id: 'odoo-to-invoice', title: 'account.move record -> Invoice', outputSchema: canonicalId('invoice'), odoo: 'optional', model: 'account.move', run: invoiceFromOdoo },
];

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

export { SHOPIFY_ORDER_RULES, WOOCOMMERCE_ORDER_RULES };
export { PRESET_SAMPLES } from './samples';
export * from './odoo';
