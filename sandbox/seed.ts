import { MODELS } from './models';
import type { Orm } from './orm';

/** Small but realistic demo data, with Odoo's well-known ids: company partner 1, admin uid 2 / partner 3. */
export function seedDemoData(orm: Orm): void {
  const countries: Array<[string, string, number]> = [
    ['Belgium', 'BE', 32],
    ['France', 'FR', 33],
    ['Germany', 'DE', 49],
    ['United States', 'US', 1],
    ['United Kingdom', 'GB', 44],
    ['Netherlands', 'NL', 31],
    ['Spain', 'ES', 34],
    ['Italy', 'IT', 39],
  ];
  const country: Record<string, number> = {};
  for (const [name, code, phone] of countries) country[code] = orm.createOne('res.country', { name, code, phone_code: phone });

  orm.createOne('res.partner', { name: 'YourCompany', is_company: true, email: 'info@yourcompany.com', city: 'Tracy', country_id: country.US }, 1);
  orm.createOne('res.partner', { name: 'OdooBot', email: 'odoobot@example.com', active: false }, 2);
  orm.createOne('res.partner', { name: 'Mitchell Admin', email: 'admin@yourcompany.example.com', city: 'Tracy', country_id: country.US }, 3);
  orm.createOne('res.partner', { name: 'Marc Demo', email: 'mark.brown23@example.com', country_id: country.US }, 7);
  orm.createOne('res.company', { name: 'YourCompany', partner_id: 1, email: 'info@yourcompany.com', country_id: country.US }, 1);
  for (const id of [1, 2, 3, 7]) orm.writeRows('res.partner', [id], { company_id: 1 });

  orm.createOne('res.users', { name: 'OdooBot', login: '__system__', partner_id: 2, company_id: 1, active: false }, 1);
  orm.createOne('res.users', { name: 'Mitchell Admin', login: 'admin', partner_id: 3, company_id: 1 }, 2);
  orm.createOne('res.users', { name: 'Marc Demo', login: 'demo', partner_id: 7, company_id: 1 }, 6);

  const tags: Record<string, number> = {};
  for (const name of ['Customer', 'Vendor', 'Prospect']) tags[name] = orm.createOne('res.partner.category', { name });

  const companies: Array<[string, string, string, string, string[]]> = [
    ['Azure Interior', 'azure.Interior24@example.com', 'Fremont', 'US', ['Brandon Freeman', 'Colleen Diaz']],
    ['Deco Addict', 'deco_addict@yourcompany.example.com', 'Pleasant Hill', 'US', ['Addison Olson', 'Douglas Fletcher']],
    ['Gemini Furniture', 'gemini_furniture@fake.geminifurniture.com', 'Liverpool', 'GB', ['Edwin Hansen', 'Jesse Brown']],
    ['Lumber Inc', 'lumber-inv92@example.com', 'Stockton', 'US', ['Lorraine Douglas']],
    ['Ready Mat', 'ready.mat28@example.com', 'Brussels', 'BE', ['Billy Fox', 'Kim Snyder']],
    ['Wood Corner', 'wood.corner26@example.com', 'Lyon', 'FR', ['Ron Gibson', 'Willie Burke']],
  ];
  const partnerByName: Record<string, number> = {};
  companies.forEach(([name, email, city, code, contacts], i) => {
    const id = orm.createOne('res.partner', {
      name,
      email,
      city,
      is_company: true,
      country_id: country[code],
      ref: `C${String(i + 1).padStart(4, '0')}`,
      customer_rank: 1,
      category_id: [[6, 0, [tags.Customer]]],
    });
    partnerByName[name] = id;
    for (const contact of contacts) {
      const login = contact.toLowerCase().replace(/\s+/g, '.');
      orm.createOne('res.partner', { name: contact, parent_id: id, email: `${login}@example.com`, function: 'Buyer', country_id: country[code] });
    }
  });

  const products: Array<[string, string, number, string]> = [
    ['Office Chair', 'FURN_7777', 70, 'consu'],
    ['Office Lamp', 'FURN_8888', 40, 'consu'],
    ['Desk Combination', 'FURN_7800', 450, 'consu'],
    ['Large Cabinet', 'E-COM07', 320, 'consu'],
    ['Customizable Desk', 'FURN_0096', 750, 'consu'],
    ['Virtual Home Staging', 'SERV_001', 25, 'service'],
  ];
  const product: Record<string, number> = {};
  products.forEach(([name, code, price, type], i) => {
    product[code] = orm.createOne('product.product', { name, default_code: code, list_price: price, type, barcode: `60123456789${i}` });
  });

  orm.createOne('sale.order', {
    partner_id: partnerByName['Gemini Furniture'],
    client_order_ref: 'GEM-001',
    order_line: [
      [0, 0, { product_id: product.FURN_7777, product_uom_qty: 3 }],
      [0, 0, { product_id: product.FURN_8888, product_uom_qty: 2, price_unit: 38.5 }],
    ],
  });
  const confirmed = orm.createOne('sale.order', {
    partner_id: partnerByName['Deco Addict'],
    order_line: [[0, 0, { product_id: product.FURN_7800, product_uom_qty: 1 }]],
  });
  orm.writeRows('sale.order', [confirmed], { state: 'sale' });

  orm.createOne('account.move', {
    move_type: 'out_invoice',
    partner_id: partnerByName['Azure Interior'],
    ref: 'AZ-2026-01',
    invoice_line_ids: [[0, 0, { product_id: product['E-COM07'], quantity: 2 }]],
  });

  orm.createOne('ir.config_parameter', { key: 'web.base.url', value: 'http://localhost:8069' });
  orm.createOne('ir.config_parameter', { key: 'database.uuid', value: '6f1d3c2e-5a0b-4c7e-9a31-0d2b8e4f7a10' });
  orm.createOne('ir.model.data', { module: 'base', name: 'main_company', model: 'res.company', res_id: 1 });
  orm.createOne('ir.model.data', { module: 'base', name: 'main_partner', model: 'res.partner', res_id: 1 });
  orm.createOne('ir.model.data', { module: 'base', name: 'user_admin', model: 'res.users', res_id: 2 });
  orm.createOne('ir.model.data', { module: 'base', name: 'user_demo', model: 'res.users', res_id: 6 });
  for (const [code, id] of Object.entries(country)) {
    orm.createOne('ir.model.data', { module: 'base', name: code.toLowerCase(), model: 'res.country', res_id: id });
  }
  for (const def of MODELS) orm.createOne('ir.model', { model: def.name, name: def.description, state: 'base' });
}
