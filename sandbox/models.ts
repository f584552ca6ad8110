import { missingError, userError, validationError } from './errors';
import { isNull, type Orm } from './orm';
import type { FieldDef, KeyIndexDef, ModelDef, Row } from './types';

type Extra = Partial<FieldDef>;
const char = (string: string, extra: Extra = {}): FieldDef => ({ type: 'char', string, ...extra });
const text = (string: string, extra: Extra = {}): FieldDef => ({ type: 'text', string, ...extra });
const html = (string: string, extra: Extra = {}): FieldDef => ({ type: 'html', string, ...extra });
const integer = (string: string, extra: Extra = {}): FieldDef => ({ type: 'integer', string, ...extra });
const float = (string: string, extra: Extra = {}): FieldDef => ({ type: 'float', string, ...extra });
const monetary = (string: string, extra: Extra = {}): FieldDef => ({ type: 'monetary', string, ...extra });
const boolean = (string: string, extra: Extra = {}): FieldDef => ({ type: 'boolean', string, ...extra });
const date = (string: string, extra: Extra = {}): FieldDef => ({ type: 'date', string, ...extra });
const datetime = (string: string, extra: Extra = {}): FieldDef => ({ type: 'datetime', string, ...extra });
const selection = (string: string, options: Array<[string, string]>, extra: Extra = {}): FieldDef => ({
  type: 'selection',
  string,
  selection: options,
  ...extra,
});
const many2one = (relation: string, string: string, extra: Extra = {}): FieldDef => ({ type: 'many2one', relation, string, ...extra });
const one2many = (relation: string, inverseName: string, string: string): FieldDef => ({
  type: 'one2many',
  relation,
  inverseName,
  string,
});
const many2many = (relation: string, string: string): FieldDef => ({ type: 'many2many', relation, string });

const round2 = (n: number): number => Math.round(n * 100) / 100;
const active = (): FieldDef => boolean('Active', { default: () => true });

/** Fields every Odoo model has. */
function magic(): Record<string, FieldDef> {
  return {
    id: integer('ID', { readonly: true }),
    display_name: char('Display Name', { readonly: true }),
    create_date: datetime('Created on', { readonly: true }),
    create_uid: many2one('res.users', 'Created by', { readonly: true }),
    write_date: datetime('Last Updated on', { readonly: true }),
    write_uid: many2one('res.users', 'Last Updated by', { readonly: true }),
  };
}

function model(def: Omit<ModelDef, 'displayName' | 'nameSearchFields'> & Partial<ModelDef>): ModelDef {
  return {
    displayName: (_orm, row) => (isNull(row.name) ? '' : String(row.name)),
    nameSearchFields: ['name'],
    ...def,
    fields: { ...magic(), ...def.fields },
  };
}

/** Sum of quantity x price over the lines pointing at a document (no taxes in the sandbox). */
function sumOf(orm: Orm, model: string, inverse: string, id: number, quantity: string): number {
  const table = orm.table(model);
  let total = 0;
  for (const lineId of table.referencing(inverse, id) ?? []) {
    const line = table.rows.get(lineId);
    if (line) total += Number(line[quantity] ?? 0) * Number(line.price_unit ?? 0);
  }
  return round2(total);
}

/** Product defaults on a sale/invoice line: description from the product name, price from its list price. */
function lineFromProduct(orm: Orm, row: Row, vals: Record<string, unknown>): void {
  if (typeof row.product_id !== 'number') return;
  const product = orm.row('product.product', row.product_id);
  if (!product) throw missingError('product.product', [row.product_id], orm.uid);
  if (isNull(row.name)) row.name = orm.displayName('product.product', row.product_id);
  if (!('price_unit' in vals)) row.price_unit = Number(product.list_price ?? 0);
}

function partnerName(orm: Orm, row: Row): string {
  const own = isNull(row.name) ? '' : String(row.name);
  if (typeof row.parent_id !== 'number' || row.is_company) return own;
  const parent = orm.row('res.partner', row.parent_id);
  const parentName = parent && !isNull(parent.name) ? String(parent.name) : '';
  const label = own || (PARTNER_TYPES.find(([key]) => key === row.type)?.[1] ?? '');
  return parentName ? `${parentName}, ${label}` : label;
}

const PARTNER_TYPES: Array<[string, string]> = [
  ['contact', 'Contact'],
  ['invoice', 'Invoice Address'],
  ['delivery', 'Delivery Address'],
  ['other', 'Other Address'],
];

const MOVE_TYPES: Array<[string, string]> = [
  ['entry', 'Journal Entry'],
  ['out_invoice', 'Customer Invoice'],
  ['out_refund', 'Customer Credit Note'],
  ['in_invoice', 'Vendor Bill'],
  ['in_refund', 'Vendor Credit Note'],
  ['out_receipt', 'Sales Receipt'],
  ['in_receipt', 'Purchase Receipt'],
];

/** Journal code per move type, used in posted names: INV/2026/00001. */
/** Operation types of the sandbox's one warehouse (a stored selection; Odoo relates it to picking_type_id). */
const PICKING_TYPES: Array<[string, string]> = [['incoming', 'Receipt'], ['outgoing', 'Delivery'], ['internal', 'Internal Transfer']];
const PICKING_PREFIX: Record<string, string> = { incoming: 'IN', outgoing: 'OUT', internal: 'INT' };

export const MOVE_PREFIX: Record<string, string> = {
  entry: 'MISC',
  out_invoice: 'INV',
  out_refund: 'RINV',
  in_invoice: 'BILL',
  in_refund: 'RBILL',
  out_receipt: 'RCPT',
  in_receipt: 'PREC',
};

const MOVE_DRAFT_LABEL: Record<string, string> = {
  entry: 'Draft Entry',
  out_invoice: 'Draft Invoice',
  out_refund: 'Draft Credit Note',
  in_invoice: 'Draft Bill',
  in_refund: 'Draft Refund',
  out_receipt: 'Draft Sales Receipt',
  in_receipt: 'Draft Purchase Receipt',
};

export const MODELS: ModelDef[] = [
  model({
    name: 'res.partner',
    description: 'Contact',
    pythonClass: 'ResPartner',
    order: 'complete_name asc, id desc',
    nameSearchFields: ['complete_name', 'email', 'ref', 'vat'],
    displayName: partnerName,
    fields: {
      name: char('Name'),
      complete_name: char('Complete Name', { compute: partnerName }),
      type: selection('Address Type', PARTNER_TYPES, { default: () => 'contact' }),
      is_company: boolean('Is a Company', { default: () => false }),
      parent_id: many2one('res.partner', 'Related Company'),
      child_ids: one2many('res.partner', 'parent_id', 'Contact'),
      category_id: many2many('res.partner.category', 'Tags'),
      company_id: many2one('res.company', 'Company'),
      email: char('Email'),
      phone: char('Phone'),
      website: char('Website Link'),
      function: char('Job Position'),
      ref: char('Reference'),
      vat: char('Tax ID'),
      street: char('Street'),
      street2: char('Street2'),
      city: char('City'),
      zip: char('Zip'),
      country_id: many2one('res.country', 'Country', { ondelete: 'restrict' }),
      comment: html('Notes'),
      customer_rank: integer('Customer Rank'),
      supplier_rank: integer('Supplier Rank'),
      active: active(),
    },
    check: (orm, row) => {
      // Odoo's SQL check "res_partner_check_name": contacts need a name.
      if (row.type === 'contact' && (isNull(row.name) || row.name === '')) {
        throw validationError('The operation cannot be completed: Contacts require a name');
      }
      const seen = new Set<number>([row.id]);
      let parent = row.parent_id;
      while (typeof parent === 'number') {
        if (seen.has(parent)) throw validationError('You cannot create recursive Partner hierarchies.');
        seen.add(parent);
        parent = orm.row('res.partner', parent)?.parent_id;
      }
    },
  }),
  model({
    name: 'res.partner.category',
    description: 'Partner Tags',
    pythonClass: 'ResPartnerCategory',
    order: 'name asc',
    fields: {
      name: char('Name', { required: true }),
      color: integer('Color'),
      parent_id: many2one('res.partner.category', 'Parent Category', { ondelete: 'cascade' }),
      active: active(),
    },
  }),
  model({
    name: 'res.country',
    description: 'Country',
    pythonClass: 'ResCountry',
    order: 'name asc',
    nameSearchFields: ['name', 'code'],
    fields: {
      name: char('Country Name', { required: true }),
      code: char('Country Code', { help: 'The ISO country code in two chars.' }),
      phone_code: integer('Country Calling Code'),
    },
  }),
  model({
    name: 'res.company',
    description: 'Companies',
    pythonClass: 'ResCompany',
    order: 'sequence asc, name asc',
    fields: {
      name: char('Company Name', { required: true }),
      partner_id: many2one('res.partner', 'Partner', { ondelete: 'restrict' }),
      email: char('Email'),
      country_id: many2one('res.country', 'Country'),
      sequence: integer('Sequence', { default: () => 10 }),
      active: active(),
    },
  }),
  model({
    name: 'res.users',
    description: 'User',
    pythonClass: 'ResUsers',
    order: 'name asc, login asc',
    nameSearchFields: ['name', 'login'],
    fields: {
      name: char('Name', { required: true }),
      login: char('Login', { required: true }),
      partner_id: many2one('res.partner', 'Related Partner', { ondelete: 'restrict' }),
      company_id: many2one('res.company', 'Company'),
      active: active(),
    },
    indexes: [{ name: 'res_users_login_key', fields: ['login'], unique: true }],
    beforeUnlink: (_orm, rows) => {
      if (rows.some((r) => r.id === 1 || r.id === 2)) {
        throw userError(
          'You cannot delete the admin user because it is utilized in various places (such as security configurations,...). Instead, archive it.',
        );
      }
    },
  }),
  model({
    name: 'res.users.apikeys',
    description: 'Users API Keys',
    pythonClass: 'ResUsersApikeys',
    order: 'id asc',
    // The key itself is hashed in Odoo and never readable; the sandbox keeps it outside the table.
    fields: {
      name: char('Description', { required: true, readonly: true }),
      user_id: many2one('res.users', 'User', { required: true, readonly: true, ondelete: 'cascade' }),
      scope: char('Scope', { readonly: true }),
      expiration_date: datetime('Expiration Date', { readonly: true }),
    },
    ownRecordsField: 'user_id',
  }),
  model({
    name: 'ir.config_parameter',
    description: 'System Parameter',
    pythonClass: 'IrConfigParameter',
    order: 'key asc',
    nameSearchFields: ['key'],
    displayName: (_orm, row) => String(row.key ?? ''),
    fields: {
      key: char('Key', { required: true }),
      value: text('Value', { required: true }),
    },
    indexes: [{ name: 'ir_config_parameter_key_uniq', fields: ['key'], unique: true }],
  }),
  model({
    name: 'product.product',
    description: 'Product Variant',
    pythonClass: 'ProductProduct',
    order: 'default_code asc, name asc, id asc',
    nameSearchFields: ['default_code', 'name', 'barcode'],
    displayName: (_orm, row) => (isNull(row.default_code) ? String(row.name ?? '') : `[${String(row.default_code)}] ${String(row.name ?? '')}`),
    fields: {
      name: char('Name', { required: true }),
      default_code: char('Internal Reference'),
      barcode: char('Barcode'),
      list_price: float('Sales Price', { default: () => 1 }),
      standard_price: float('Cost'),
      type: selection('Product Type', [['consu', 'Goods'], ['service', 'Service'], ['combo', 'Combo']], { default: () => 'consu' }),
      sale_ok: boolean('Can be Sold', { default: () => true }),
      active: active(),
    },
  }),
  model({
    name: 'sale.order',
    description: 'Sales Order',
    pythonClass: 'SaleOrder',
    order: 'date_order desc, id desc',
    fields: {
      name: char('Order Reference', { required: true, default: () => 'New' }),
      partner_id: many2one('res.partner', 'Customer', { required: true }),
      client_order_ref: char('Customer Reference'),
      date_order: datetime('Order Date', { required: true, default: (orm) => orm.db.now() }),
      state: selection(
        'Status',
        [['draft', 'Quotation'], ['sent', 'Quotation Sent'], ['sale', 'Sales Order'], ['cancel', 'Cancelled']],
        { default: () => 'draft', readonly: true },
      ),
      locked: boolean('Locked', { default: () => false }),
      order_line: one2many('sale.order.line', 'order_id', 'Order Lines'),
      amount_untaxed: monetary('Untaxed Amount', { compute: (orm, row) => sumOf(orm, 'sale.order.line', 'order_id', row.id, 'product_uom_qty') }),
      amount_total: monetary('Total', { compute: (orm, row) => sumOf(orm, 'sale.order.line', 'order_id', row.id, 'product_uom_qty') }),
      note: html('Terms and conditions'),
      user_id: many2one('res.users', 'Salesperson'),
      company_id: many2one('res.company', 'Company', { default: () => 1 }),
    },
    prepareCreate: (orm, row) => {
      if (row.name === 'New' || isNull(row.name)) row.name = `S${String(orm.db.nextSequence('sale.order')).padStart(5, '0')}`;
    },
  }),
  model({
    name: 'sale.order.line',
    description: 'Sales Order Line',
    pythonClass: 'SaleOrderLine',
    order: 'order_id asc, sequence asc, id asc',
    displayName: (orm, row) => {
      const order = typeof row.order_id === 'number' ? orm.displayName('sale.order', row.order_id) : '';
      const label = String(row.name ?? '').split('\n')[0];
      return order ? `${order} - ${label}` : label;
    },
    fields: {
      order_id: many2one('sale.order', 'Order Reference', { required: true, ondelete: 'cascade' }),
      sequence: integer('Sequence', { default: () => 10 }),
      product_id: many2one('product.product', 'Product', { ondelete: 'restrict' }),
      name: text('Description', { required: true }),
      product_uom_qty: float('Quantity', { default: () => 1 }),
      price_unit: float('Unit Price'),
      price_subtotal: monetary('Subtotal', {
        compute: (_orm, row) => round2(Number(row.product_uom_qty ?? 0) * Number(row.price_unit ?? 0)),
      }),
    },
    prepareCreate: lineFromProduct,
  }),
  model({
    name: 'account.move',
    description: 'Journal Entry',
    pythonClass: 'AccountMove',
    order: 'invoice_date desc, name desc, id desc',
    displayName: (_orm, row) =>
      row.name && row.name !== '/' ? String(row.name) : `${MOVE_DRAFT_LABEL[String(row.move_type)] ?? 'Draft Entry'} (* ${row.id})`,
    fields: {
      name: char('Number', { default: () => '/', readonly: true }),
      move_type: selection('Type', MOVE_TYPES, { required: true, default: () => 'entry' }),
      partner_id: many2one('res.partner', 'Partner', { ondelete: 'restrict' }),
      invoice_date: date('Invoice/Bill Date'),
      state: selection('Status', [['draft', 'Draft'], ['posted', 'Posted'], ['cancel', 'Cancelled']], {
        required: true,
        default: () => 'draft',
        readonly: true,
      }),
      invoice_line_ids: one2many('account.move.line', 'move_id', 'Invoice lines'),
      amount_untaxed: monetary('Untaxed Amount', { compute: (orm, row) => sumOf(orm, 'account.move.line', 'move_id', row.id, 'quantity') }),
      amount_total: monetary('Total', { compute: (orm, row) => sumOf(orm, 'account.move.line', 'move_id', row.id, 'quantity') }),
      ref: char('Reference'),
      narration: html('Terms and Conditions'),
      company_id: many2one('res.company', 'Company', { default: () => 1 }),
    },
    beforeUnlink: (_orm, rows) => {
      if (rows.some((r) => r.state === 'posted')) throw userError('You cannot delete an entry which has been posted once.');
    },
  }),
  model({
    name: 'account.move.line',
    description: 'Journal Item',
    pythonClass: 'AccountMoveLine',
    order: 'move_id asc, sequence asc, id asc',
    fields: {
      move_id: many2one('account.move', 'Journal Entry', { required: true, ondelete: 'cascade' }),
      sequence: integer('Sequence', { default: () => 10 }),
      product_id: many2one('product.product', 'Product', { ondelete: 'restrict' }),
      name: char('Label'),
      quantity: float('Quantity', { default: () => 1 }),
      price_unit: float('Unit Price'),
      price_subtotal: monetary('Subtotal', {
        compute: (_orm, row) => round2(Number(row.quantity ?? 0) * Number(row.price_unit ?? 0)),
      }),
    },
    prepareCreate: lineFromProduct,
  }),
  model({
    name: 'stock.picking',
    description: 'Transfer',
    pythonClass: 'StockPicking',
    order: 'priority desc, scheduled_date asc, id desc',
    fields: {
      name: char('Reference', { default: () => '/', readonly: true }),
      picking_type_code: selection('Type of Operation', PICKING_TYPES, { required: true, default: () => 'outgoing' }),
      partner_id: many2one('res.partner', 'Contact'),
      origin: char('Source Document'),
      priority: selection('Priority', [['0', 'Normal'], ['1', 'Urgent']], { default: () => '0' }),
      state: selection(
        'Status',
        [['draft', 'Draft'], ['waiting', 'Waiting Another Operation'], ['confirmed', 'Waiting'], ['assigned', 'Ready'], ['done', 'Done'], ['cancel', 'Cancelled']],
        { default: () => 'draft', readonly: true },
      ),
      scheduled_date: datetime('Scheduled Date', { default: (orm) => orm.db.now() }),
      date_done: datetime('Date of Transfer', { readonly: true }),
      company_id: many2one('res.company', 'Company', { default: () => 1 }),
    },
    prepareCreate: (orm, row) => {
      if (row.name === '/' || isNull(row.name)) {
        const prefix = PICKING_PREFIX[String(row.picking_type_code)] ?? 'OUT';
        row.name = `WH/${prefix}/${String(orm.db.nextSequence(`stock.picking/${prefix}`)).padStart(5, '0')}`;
      }
    },
  }),
  model({
    name: 'ir.model.data',
    description: 'Model Data',
    pythonClass: 'IrModelData',
    order: 'module asc, model asc, name asc',
    nameSearchFields: ['name', 'module'],
    displayName: (_orm, row) => `${String(row.module)}.${String(row.name)}`,
    fields: {
      name: char('External Identifier', { required: true }),
      module: char('Module', { required: true, default: () => '' }),
      model: char('Model Name', { required: true }),
      res_id: { type: 'many2one_reference', string: 'Record ID' },
      complete_name: char('Complete ID', { compute: (_orm, row) => `${String(row.module)}.${String(row.name)}` }),
      noupdate: boolean('Non Updatable', { default: () => false }),
    },
    indexes: [
      { name: 'ir_model_data_module_name_uniq_index', fields: ['module', 'name'], unique: true },
      { name: 'ir_model_data_model_res_id_index', fields: ['model', 'res_id'], unique: false },
    ],
  }),
  model({
    name: 'ir.model',
    description: 'Models',
    pythonClass: 'IrModel',
    order: 'model',
    nameSearchFields: ['name', 'model'],
    fields: {
      name: char('Model Description', { required: true }),
      model: char('Model', { required: true, default: () => 'x_' }),
      info: text('Information'),
      state: selection('Type', [['manual', 'Custom Object'], ['base', 'Base Object']], { readonly: true, default: () => 'manual' }),
      transient: boolean('Transient Model', { default: () => false }),
      modules: char('In Apps', { compute: (_orm, row) => (row.state === 'base' ? moduleOf(String(row.model)) : ''), help: 'List of modules in which the object is defined or inherited' }),
    },
    indexes: [{ name: 'ir_model_obj_name_uniq', fields: ['model'], unique: true }],
  }),
  model({
    name: 'mail.message',
    description: 'Message',
    pythonClass: 'MailMessage',
    order: 'id desc',
    nameSearchFields: ['subject', 'body'],
    displayName: (_orm, row) => (isNull(row.subject) ? `${String(row.model)},${String(row.res_id)}` : String(row.subject)),
    fields: {
      subject: char('Subject'),
      body: html('Contents', { default: () => '' }),
      model: char('Related Document Model'),
      res_id: { type: 'many2one_reference', string: 'Related Document ID' },
      message_type: selection(
        'Type',
        [['email', 'Incoming Email'], ['comment', 'Comment'], ['email_outgoing', 'Outgoing Email'], ['notification', 'System notification'], ['auto_comment', 'Automated Targeted Notification'], ['user_notification', 'User Specific Notification']],
        { required: true, default: () => 'comment' },
      ),
      author_id: many2one('res.partner', 'Author'),
      date: datetime('Date', { default: (orm) => orm.db.now() }),
    },
  }),
];

/** The module a sandbox model comes from, as ir.model's "In Apps" shows it. */
function moduleOf(model: string): string {
  if (model.startsWith('sale.')) return 'sale';
  if (model.startsWith('account.')) return 'account';
  if (model.startsWith('product.')) return 'product';
  if (model === 'mail.message') return 'mail';
  return 'base';
}

/** The optional unique constraint on sale.order.client_order_ref (not in stock Odoo; see README). */
export function extraIndexes(options: { clientOrderRef?: boolean }): Record<string, KeyIndexDef[]> {
  return options.clientOrderRef
    ? { 'sale.order': [{ name: 'sale_order_client_order_ref_uniq', fields: ['client_order_ref'], unique: true }] }
    : {};
}
