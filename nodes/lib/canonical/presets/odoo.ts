/**
 * Canonical objects <-> Odoo record values. Forward functions produce the `vals` odoo-write sends (x2many lines
 * as `[0, 0, vals]` commands, many2one ids resolved through an OdooResolver); reverse functions read records as
 * Odoo returns them (many2one `[id, name]`, `false` for empty) back into canonical objects. Bad data never
 * throws: each unresolvable field becomes a `{path, message}`. A failing Odoo call (timeout, auth...) rejects
 * with its OdooError, so the node fails the message for a retry instead of calling the data invalid.
 */
import type { FieldError, MappingResult } from '../../mapper/types';
import { toIsoDate, toIsoDatetime, toOdooDatetime } from '../../mapper/values';
import type { OdooResolver, PartyReference } from '../resolver';

export type OdooRecord = Record<string, unknown>;
type Obj = Record<string, unknown>;

export interface OdooPresetContext {
  resolver?: OdooResolver;
  /** Currency for records read back without a `currency_id` (ISO code). */
  defaultCurrency?: string;
}

/** Odoo says "empty" with `false`; canonical objects leave the field out. */
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== false && v !== '';
const m2oId = (v: unknown): number | undefined => (Array.isArray(v) ? Number(v[0]) : typeof v === 'number' ? v : undefined);
const m2oName = (v: unknown): string | undefined => (Array.isArray(v) && typeof v[1] === 'string' ? v[1] : undefined);
const asObject = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Copies `from[src]` to `to[dst]` when Odoo has a value. */
function copy(to: Obj, dst: string, from: Obj, src: string, convert: (v: unknown) => unknown = (v) => v): void {
  if (present(from[src])) to[dst] = convert(from[src]);
}

function attempt(errors: FieldError[], path: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    errors.push({ path, message: errorText(err) });
  }
}

function notObject(input: unknown, what: string): MappingResult | undefined {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) return undefined;
  return { output: {}, errors: [{ path: '', message: `expected ${what} object` }] };
}

const NO_CONNECTION = 'needs an Odoo connection (select one in the node) to resolve';

// ---------- Party <-> res.partner ----------

export async function partyToOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'a Party');
  if (bad) return bad;
  const party = input as Obj;
  const errors: FieldError[] = [];
  const vals: Obj = {};
  copy(vals, 'name', party, 'name');
  copy(vals, 'email', party, 'email');
  copy(vals, 'phone', party, 'phone');
  copy(vals, 'vat', party, 'vat');
  copy(vals, 'ref', party, 'externalId');
  copy(vals, 'comment', party, 'note');
  if (party.kind !== undefined) vals.is_company = party.kind === 'company';
  if (Array.isArray(party.roles)) {
    vals.customer_rank = party.roles.includes('customer') ? 1 : 0;
    vals.supplier_rank = party.roles.includes('supplier') ? 1 : 0;
  }
  const addresses = asArray(party.addresses).map(asObject);
  const mainIndex = [addresses.findIndex((a) => a.type === 'main'), addresses.findIndex((a) => a.type === 'billing'), 0].find((i) => i >= 0) as number;
  const main = addresses[mainIndex];
  if (main) {
    copy(vals, 'street', main, 'street');
    copy(vals, 'street2', main, 'street2');
    copy(vals, 'city', main, 'city');
    copy(vals, 'zip', main, 'zip');
    if (typeof main.country === 'string') {
      const path = `addresses[${mainIndex}].country`;
      if (!ctx.resolver) errors.push({ path, message: `${NO_CONNECTION} the country` });
      else {
        const id = await ctx.resolver.countryId(main.country);
        if (id === undefined) errors.push({ path, message: `no res.country with code '${main.country}'` });
        else vals.country_id = id;
      }
    }
  }
  return { output: vals, errors };
}

export const PARTNER_FIELDS = ['name', 'email', 'phone', 'vat', 'ref', 'comment', 'is_company', 'street', 'street2', 'city', 'zip', 'country_id'];

export async function partyFromOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'a res.partner record');
  if (bad) return bad;
  const r = input as OdooRecord;
  const errors: FieldError[] = [];
  const party: Obj = {};
  copy(party, 'externalId', r, 'ref');
  copy(party, 'odooId', r, 'id');
  if ('is_company' in r) party.kind = r.is_company ? 'company' : 'person';
  if ('customer_rank' in r || 'supplier_rank' in r) {
    const roles: string[] = [];
    if (Number(r.customer_rank) > 0) roles.push('customer');
    if (Number(r.supplier_rank) > 0) roles.push('supplier');
    party.roles = roles;
  }
  copy(party, 'name', r, 'name');
  copy(party, 'email', r, 'email');
  copy(party, 'phone', r, 'phone');
  copy(party, 'vat', r, 'vat');
  copy(party, 'note', r, 'comment');
  const address: Obj = {};
  copy(address, 'street', r, 'street');
  copy(address, 'street2', r, 'street2');
  copy(address, 'city', r, 'city');
  copy(address, 'zip', r, 'zip');
  if (typeof r.country_code === 'string' && r.country_code !== '') address.country = r.country_code;
  else if (present(r.country_id)) {
    const id = m2oId(r.country_id) as number;
    if (!ctx.resolver) errors.push({ path: 'addresses[0].country', message: `${NO_CONNECTION} the country code` });
    else {
      const code = (await ctx.resolver.countryCodes([id])).get(id);
      if (code) address.country = code;
      else errors.push({ path: 'addresses[0].country', message: `res.country ${id} has no code` });
    }
  }
  if (Object.keys(address).length > 0) party.addresses = [{ type: 'main', ...address }];
  return { output: party, errors };
}

// ---------- Product <-> product.product ----------

const PRODUCT_TYPE_TO_ODOO: Record<string, string> = { goods: 'consu', service: 'service', combo: 'combo' };
const PRODUCT_TYPE_FROM_ODOO: Record<string, string> = { consu: 'goods', product: 'goods', service: 'service', combo: 'combo' };

export async function productToOdoo(input: unknown): Promise<MappingResult> {
  const bad = notObject(input, 'a Product');
  if (bad) return bad;
  const p = input as Obj;
  const vals: Obj = {};
  copy(vals, 'default_code', p, 'sku');
  copy(vals, 'name', p, 'name');
  copy(vals, 'list_price', p, 'listPrice');
  copy(vals, 'barcode', p, 'barcode');
  if (typeof p.kind === 'string') vals.type = PRODUCT_TYPE_TO_ODOO[p.kind] ?? p.kind;
  if (typeof p.active === 'boolean') vals.active = p.active;
  return { output: vals, errors: [] };
}

export const PRODUCT_FIELDS = ['default_code', 'name', 'list_price', 'barcode', 'type', 'active'];

export async function productFromOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'a product.product record');
  if (bad) return bad;
  const r = input as OdooRecord;
  const p: Obj = {};
  copy(p, 'sku', r, 'default_code');
  copy(p, 'odooId', r, 'id');
  copy(p, 'name', r, 'name');
  if (typeof r.type === 'string') p.kind = PRODUCT_TYPE_FROM_ODOO[r.type] ?? r.type;
  copy(p, 'barcode', r, 'barcode');
  if (typeof r.list_price === 'number') p.listPrice = r.list_price;
  const currency = m2oName(r.currency_id) ?? ctx.defaultCurrency;
  if (currency && 'list_price' in r) p.currency = currency;
  if (typeof r.active === 'boolean') p.active = r.active;
  return { output: p, errors: [] };
}

// ---------- document lines, shared by sale.order and account.move ----------

interface LineShape {
  quantity: string;
  linesField: string;
}

async function linesToOdoo(lines: Obj[], shape: LineShape, requireProduct: boolean, ctx: OdooPresetContext, errors: FieldError[]): Promise<unknown[]> {
  const skus = lines.map((l) => (typeof l.sku === 'string' ? l.sku : undefined));
  let ids = new Map<string, number>();
  const wanted = skus.filter((s): s is string => s !== undefined);
  if (wanted.length > 0) {
    if (!ctx.resolver) errors.push({ path: 'lines', message: `${NO_CONNECTION} products by SKU` });
    else ids = await ctx.resolver.productIds(wanted);
  }
  return lines.map((line, i) => {
    const vals: Obj = {};
    const sku = skus[i];
    if (sku !== undefined) {
      const id = ids.get(sku);
      if (id !== undefined) vals.product_id = id;
      else if (ctx.resolver) errors.push({ path: `lines[${i}].sku`, message: `no product.product with default_code '${sku}'` });
    } else if (requireProduct) {
      errors.push({ path: `lines[${i}].sku`, message: 'is required to find the product (Odoo needs product_id on order lines)' });
    }
    copy(vals, 'name', line, 'name');
    copy(vals, shape.quantity, line, 'quantity');
    copy(vals, 'price_unit', line, 'unitPrice');
    if (typeof line.discountPercent === 'number' && line.discountPercent !== 0) vals.discount = line.discountPercent;
    return [0, 0, vals];
  });
}

async function partnerFor(customer: unknown, ctx: OdooPresetContext, errors: FieldError[]): Promise<number | undefined> {
  const ref = asObject(customer) as PartyReference;
  if (typeof ref.odooId === 'number') return ref.odooId;
  if (!ctx.resolver) {
    errors.push({ path: 'customer', message: `${NO_CONNECTION} the customer` });
    return undefined;
  }
  const id = await ctx.resolver.partnerId(ref);
  if (id === undefined) {
    const keys = [ref.externalId && `externalId '${ref.externalId}'`, ref.email && `email '${ref.email}'`].filter(Boolean).join(' or ');
    errors.push({ path: 'customer', message: keys ? `no res.partner matches ${keys}` : 'needs odooId, externalId or email' });
  }
  return id;
}

/** Reads the lines (ids -> records with the resolver, or records already embedded) and the SKUs of their products. */
async function linesFromOdoo(record: OdooRecord, model: string, shape: LineShape, fields: string[], ctx: OdooPresetContext, errors: FieldError[]): Promise<Obj[]> {
  const raw = asArray(record[shape.linesField]);
  let rows: OdooRecord[] = raw.filter((l): l is OdooRecord => l !== null && typeof l === 'object' && !Array.isArray(l));
  const ids = raw.filter((l): l is number => typeof l === 'number');
  if (ids.length > 0) {
    if (!ctx.resolver) {
      errors.push({ path: 'lines', message: `${NO_CONNECTION} ${shape.linesField} ids into lines` });
      return [];
    }
    const read = await ctx.resolver.read(model, ids, fields);
    const byId = new Map(read.map((r) => [r.id as number, r]));
    rows = ids.map((id) => byId.get(id)).filter((r): r is OdooRecord => r !== undefined);
  }
  const productIds = rows.map((r) => m2oId(r.product_id)).filter((id): id is number => id !== undefined);
  let skus = new Map<number, string>();
  if (productIds.length > 0 && ctx.resolver) skus = await ctx.resolver.productSkus(productIds);
  return rows.map((r) => {
    const line: Obj = {};
    const productId = m2oId(r.product_id);
    if (productId !== undefined && skus.has(productId)) line.sku = skus.get(productId);
    copy(line, 'name', r, 'name');
    if (typeof r[shape.quantity] === 'number') line.quantity = r[shape.quantity];
    if (typeof r.price_unit === 'number') line.unitPrice = r.price_unit;
    if (typeof r.discount === 'number' && r.discount !== 0) line.discountPercent = r.discount;
    if (typeof r.price_subtotal === 'number') line.lineTotal = r.price_subtotal;
    return line;
  });
}

async function customerFromOdoo(record: OdooRecord, ctx: OdooPresetContext): Promise<Obj | undefined> {
  const id = m2oId(record.partner_id);
  if (id === undefined) return undefined;
  const customer: Obj = { odooId: id };
  const name = m2oName(record.partner_id);
  if (name) customer.name = name;
  if (ctx.resolver) {
    const [partner] = await ctx.resolver.read('res.partner', [id], ['email', 'ref', 'phone']);
    if (partner) {
      copy(customer, 'externalId', partner, 'ref');
      copy(customer, 'email', partner, 'email');
      copy(customer, 'phone', partner, 'phone');
    }
  }
  return customer;
}

function currencyOf(record: OdooRecord, ctx: OdooPresetContext, errors: FieldError[]): string | undefined {
  const currency = m2oName(record.currency_id) ?? ctx.defaultCurrency;
  if (!currency) errors.push({ path: 'currency', message: 'the record has no currency_id and no default currency is set' });
  return currency;
}

// ---------- SalesOrder <-> sale.order ----------

const SALE_LINE: LineShape = { quantity: 'product_uom_qty', linesField: 'order_line' };
export const SALE_ORDER_FIELDS = ['name', 'partner_id', 'client_order_ref', 'date_order', 'state', 'order_line', 'amount_total', 'note'];
const SALE_LINE_FIELDS = ['product_id', 'name', 'product_uom_qty', 'price_unit', 'price_subtotal'];

export async function salesOrderToOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'a SalesOrder');
  if (bad) return bad;
  const order = input as Obj;
  const errors: FieldError[] = [];
  const vals: Obj = {};
  const partner = await partnerFor(order.customer, ctx, errors);
  if (partner !== undefined) vals.partner_id = partner;
  copy(vals, 'client_order_ref', order, 'externalId');
  if (present(order.orderDate)) attempt(errors, 'orderDate', () => (vals.date_order = toOdooDatetime(order.orderDate)));
  copy(vals, 'note', order, 'note');
  vals.order_line = await linesToOdoo(asArray(order.lines).map(asObject), SALE_LINE, true, ctx, errors);
  return { output: vals, errors };
}

const SALE_STATE: Record<string, string> = { draft: 'draft', sent: 'draft', sale: 'confirmed', done: 'confirmed', cancel: 'cancelled' };

export async function salesOrderFromOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'a sale.order record');
  if (bad) return bad;
  const r = input as OdooRecord;
  const errors: FieldError[] = [];
  const order: Obj = {};
  copy(order, 'externalId', r, 'client_order_ref');
  copy(order, 'number', r, 'name');
  copy(order, 'odooId', r, 'id');
  if (typeof r.state === 'string' && SALE_STATE[r.state]) order.status = SALE_STATE[r.state];
  if (present(r.date_order)) attempt(errors, 'orderDate', () => (order.orderDate = toIsoDatetime(r.date_order)));
  const currency = currencyOf(r, ctx, errors);
  if (currency) order.currency = currency;
  const customer = await customerFromOdoo(r, ctx);
  if (customer) order.customer = customer;
  order.lines = await linesFromOdoo(r, 'sale.order.line', SALE_LINE, SALE_LINE_FIELDS, ctx, errors);
  if (typeof r.amount_total === 'number') order.totalAmount = r.amount_total;
  copy(order, 'note', r, 'note');
  return { output: order, errors };
}

// ---------- Invoice <-> account.move ----------

const INVOICE_LINE: LineShape = { quantity: 'quantity', linesField: 'invoice_line_ids' };
export const INVOICE_FIELDS = ['name', 'move_type', 'partner_id', 'invoice_date', 'invoice_date_due', 'ref', 'state', 'invoice_line_ids', 'amount_total'];
const INVOICE_LINE_FIELDS = ['product_id', 'name', 'quantity', 'price_unit', 'price_subtotal'];
const MOVE_TYPE: Record<string, string> = { invoice: 'out_invoice', credit_note: 'out_refund' };
const MOVE_KIND: Record<string, string> = { out_invoice: 'invoice', out_refund: 'credit_note' };
const MOVE_STATE: Record<string, string> = { draft: 'draft', posted: 'posted', cancel: 'cancelled' };

export async function invoiceToOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'an Invoice');
  if (bad) return bad;
  const inv = input as Obj;
  const errors: FieldError[] = [];
  const vals: Obj = { move_type: MOVE_TYPE[String(inv.kind)] ?? 'out_invoice' };
  const partner = await partnerFor(inv.customer, ctx, errors);
  if (partner !== undefined) vals.partner_id = partner;
  copy(vals, 'ref', inv, 'externalId');
  if (present(inv.invoiceDate)) attempt(errors, 'invoiceDate', () => (vals.invoice_date = toIsoDate(inv.invoiceDate)));
  if (present(inv.dueDate)) attempt(errors, 'dueDate', () => (vals.invoice_date_due = toIsoDate(inv.dueDate)));
  copy(vals, 'invoice_origin', inv, 'salesOrderRef');
  vals.invoice_line_ids = await linesToOdoo(asArray(inv.lines).map(asObject), INVOICE_LINE, false, ctx, errors);
  return { output: vals, errors };
}

export async function invoiceFromOdoo(input: unknown, ctx: OdooPresetContext): Promise<MappingResult> {
  const bad = notObject(input, 'an account.move record');
  if (bad) return bad;
  const r = input as OdooRecord;
  const errors: FieldError[] = [];
  const inv: Obj = {};
  copy(inv, 'externalId', r, 'ref');
  if (typeof r.name === 'string' && r.name !== '/') inv.number = r.name;
  copy(inv, 'odooId', r, 'id');
  if (typeof r.move_type === 'string') {
    if (MOVE_KIND[r.move_type]) inv.kind = MOVE_KIND[r.move_type];
    else errors.push({ path: 'kind', message: `move_type '${r.move_type}' is not a customer invoice or credit note` });
  }
  if (typeof r.state === 'string' && MOVE_STATE[r.state]) inv.status = MOVE_STATE[r.state];
  if (present(r.invoice_date)) attempt(errors, 'invoiceDate', () => (inv.invoiceDate = toIsoDate(r.invoice_date)));
  if (present(r.invoice_date_due)) attempt(errors, 'dueDate', () => (inv.dueDate = toIsoDate(r.invoice_date_due)));
  const currency = currencyOf(r, ctx, errors);
  if (currency) inv.currency = currency;
  const customer = await customerFromOdoo(r, ctx);
  if (customer) inv.customer = customer;
  copy(inv, 'salesOrderRef', r, 'invoice_origin');
  inv.lines = await linesFromOdoo(r, 'account.move.line', INVOICE_LINE, INVOICE_LINE_FIELDS, ctx, errors);
  if (typeof r.amount_total === 'number') inv.totalAmount = r.amount_total;
  return { output: inv, errors };
}

