/**
 * The Odoo dialogs in Chromium against `npm start` and its sandbox: model, field and method pickers, the domain
 * builder's live count, the values editor, the only connection picked for a new node; each dialog set through
 * the pickers, deployed, and its flow run over HTTP.
 */
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import type { Page } from 'playwright-core';
import { closeDialog, deploy, dropFromPalette, openEditor, openNode, pickCompletion, requireChromium, screenshotDialog, startEditorApp, type EditorApp, type EditorPage } from '../helpers/browser';
import { SANDBOX_DEFAULTS } from '../../sandbox';

const TAB = 'b0000000000000t1';
const CONNECTION = {
  id: 'b0000000000000c1',
  type: 'odoo-connection',
  name: 'Odoo sandbox',
  url: '${ODOO_URL}',
  database: '${ODOO_DB}',
  protocol: 'json2',
  login: '${ODOO_LOGIN}',
  timeout: 30,
  concurrency: 4,
  tlsVerify: true,
  apiKeyEnv: 'ODOO_API_KEY',
  passwordEnv: 'ODOO_PASSWORD',
};

const FLOWS = [
  { id: TAB, type: 'tab', label: 'Browser tests', info: 'Set through the editor by the browser tests.' },
  CONNECTION,
  { id: 'b00000000000hin1', type: 'http in', z: TAB, name: 'GET /browser/read', url: '/browser/read', method: 'get', x: 140, y: 80, wires: [['b0000000000read1']] },
  { id: 'b0000000000read1', type: 'odoo-read', z: TAB, name: '', connection: CONNECTION.id, operation: 'search_read', model: '', modelType: 'str', domain: '[]', domainType: 'json', domainBuilder: '', fields: '', fieldsType: 'str', ids: 'payload', idsType: 'msg', searchName: 'payload', searchNameType: 'msg', order: '', limit: '', offset: '', context: '{}', contextType: 'json', output: 'all', pageSize: 1000, maxRecords: 10000, incremental: false, includeArchived: false, x: 380, y: 80, wires: [['b00000000000res1']] },
  { id: 'b00000000000res1', type: 'http response', z: TAB, name: 'answer', statusCode: '', headers: {}, x: 600, y: 80, wires: [] },
  { id: 'b00000000000hin2', type: 'http in', z: TAB, name: 'POST /browser/write', url: '/browser/write', method: 'post', x: 140, y: 180, wires: [['b000000000write1']] },
  { id: 'b000000000write1', type: 'odoo-write', z: TAB, name: '', connection: CONNECTION.id, operation: 'create', model: 'res.partner', modelType: 'str', method: '', methodType: 'str', ids: 'odoo.ids', idsType: 'msg', chunkSize: 100, keyType: 'none', keyField: '', xmlidModule: '__import__', postCorrelation: false, values: [], x: 380, y: 180, wires: [['b00000000000res2'], ['b00000000000res2']] },
  { id: 'b00000000000res2', type: 'http response', z: TAB, name: 'answer', statusCode: '', headers: {}, x: 600, y: 180, wires: [] },
];

async function sandbox<T>(app: EditorApp, model: string, method: string, args: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${app.sandboxUrl}/json/2/${model}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `bearer ${SANDBOX_DEFAULTS.apiKey}` },
    body: JSON.stringify(args),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}

/** The text box of a typedInput (the original input is hidden and keeps the value). */
const typed = (page: Page, selector: string) => page.locator(`${selector} + .red-ui-typedInput-container input.red-ui-typedInput-input`);

/** Types into the model typedInput and picks `model` from the ir.model completions. */
async function pickModel(page: Page, text: string, model: string): Promise<void> {
  const input = typed(page, '#node-input-model');
  await input.fill('');
  await input.pressSequentially(text, { delay: 40 });
  await pickCompletion(page, model);
  await page.locator('.odoo-picker-status[data-state="ready"]', { hasText: `fields of ${model}` }).waitFor({ timeout: 10_000 });
}

describe('editor: Odoo pickers in Chromium against npm start', function () {
  this.timeout(180_000);
  let app: EditorApp | undefined;
  let editor: EditorPage | undefined;
  let page: Page;

  before(async function () {
    requireChromium(this);
    app = await startEditorApp(FLOWS);
    editor = await openEditor(app.base);
    page = editor.page;
  });

  after(async () => {
    await editor?.close();
    await app?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) await editor.page.screenshot({ path: `${os.tmpdir()}/odoo-mw-browser-failure.png` });
    if (this.currentTest?.state === 'failed' && editor) console.log(`      page errors: ${JSON.stringify(editor.errors)}\n${app?.output().slice(-3000)}`);
    const scriptErrors = editor?.errors.filter((e) => !e.startsWith('Failed to load resource')) ?? [];
    assert.deepEqual(scriptErrors, [], 'no script error in the editor');
  });

  it('a node dropped from the palette takes the only connection', async () => {
    const id = await dropFromPalette(page, 'odoo-read', 400, 320);
    const connection = await page.evaluate((nodeId) => (window as unknown as { RED: { nodes: { node(id: string): { connection: string } } } }).RED.nodes.node(nodeId).connection, id);
    assert.equal(connection, CONNECTION.id);
    await openNode(page, id);
    assert.equal(await page.locator('#node-input-connection').inputValue(), CONNECTION.id);
    await closeDialog(page, 'cancel');
    await page.evaluate((nodeId) => {
      const RED = (window as unknown as { RED: { nodes: { node(id: string): unknown; remove(id: string): void }; view: { redraw(full: boolean): void } } }).RED;
      RED.nodes.remove(nodeId);
      RED.view.redraw(true);
    }, id);
  });

  it('odoo-read: model searched by label, fields ticked from the list, an unknown field flagged, a domain built with a live count; the deployed flow answers', async () => {
    await openNode(page, 'b0000000000read1');
    await pickModel(page, 'Contac', 'res.partner');
    assert.equal(await page.locator('#node-input-model').inputValue(), 'res.partner');

    await page.locator('.odoo-picker-fields-button').click();
    const list = page.locator('.odoo-picker-field-list');
    await list.locator('.odoo-picker-filter').fill('mail');
    await list.locator('.odoo-picker-field[data-field="email"] input').check();
    await list.locator('.odoo-picker-filter').fill('');
    await list.locator('.odoo-picker-field[data-field="name"] input').check();
    assert.equal(await page.locator('#node-input-fields').inputValue(), 'email, name');
    assert.match(await list.locator('.odoo-picker-field[data-field="name"]').innerText(), /Name\s+name\s+char/);

    const fields = typed(page, '#node-input-fields');
    await fields.fill('email, name, nosuch_field');
    await fields.dispatchEvent('keyup');
    const warning = page.locator('.odoo-picker-warning', { hasText: 'res.partner has no field nosuch_field' });
    await warning.waitFor();
    await fields.fill('email, name');
    await fields.dispatchEvent('keyup');
    await warning.waitFor({ state: 'hidden' });

    await page.locator('.odoo-domain-add-condition').first().click();
    const condition = page.locator('.odoo-domain-condition').first();
    await condition.locator('.odoo-domain-field').pressSequentially('is_comp', { delay: 40 });
    await pickCompletion(page, 'is_company');
    await condition.locator('.red-ui-typedInput-type-select').click();
    await page.locator('.red-ui-typedInput-options:visible a', { hasText: 'boolean' }).first().click();
    await page.locator('.odoo-domain-count[data-count="7"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('.odoo-domain-count').innerText(), /^7 records match in res\.partner now$/);
    await screenshotDialog(page, 'odoo-read');
    await closeDialog(page);

    const saved = await page.evaluate(() => {
      const n = (window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } }).RED.nodes.node('b0000000000read1');
      return { model: n.model, fields: n.fields, domain: n.domain, domainType: n.domainType, valid: n.valid };
    });
    assert.deepEqual(saved, { model: 'res.partner', fields: 'email, name', domain: '[["is_company","=",true]]', domainType: 'json', valid: true });
    await deploy(page);
    const res = await fetch(`${app?.base}/browser/read`);
    const rows = (await res.json()) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 7);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['email', 'id', 'name']);
    assert.ok(rows.some((r) => r.name === 'Azure Interior'));
  });

  it('odoo-read: a field typed by hand that the model lacks marks the node invalid before deploy', async () => {
    await openNode(page, 'b0000000000read1');
    await page.locator('.odoo-picker-status[data-state="ready"]').waitFor();
    await typed(page, '#node-input-fields').fill('name, no_such');
    await typed(page, '#node-input-fields').dispatchEvent('change');
    await closeDialog(page);
    const valid = await page.evaluate(() => (window as unknown as { RED: { nodes: { node(id: string): { valid: boolean } } } }).RED.nodes.node('b0000000000read1').valid);
    assert.equal(valid, false);
    await openNode(page, 'b0000000000read1');
    await typed(page, '#node-input-fields').fill('email, name');
    await typed(page, '#node-input-fields').dispatchEvent('change');
    await closeDialog(page);
  });

  it('odoo-read: a condition valued from the message makes the domain an expression built per request; refresh asks Odoo again', async () => {
    await openNode(page, 'b0000000000read1');
    const status = page.locator('.odoo-picker-status[data-state="ready"]');
    await status.waitFor();
    const before = await status.innerText();
    await page.waitForTimeout(1100);
    await page.locator('.odoo-picker-refresh').click();
    await page.waitForFunction((old) => {
      const el = document.querySelector('.odoo-picker-status[data-state="ready"]');
      return el !== null && el.textContent !== old;
    }, before);
    assert.match(await status.innerText(), /^\d+ fields of res\.partner from Odoo \(as of \d\d:\d\d:\d\d\)$/);

    await page.locator('.odoo-domain-add-condition').first().click();
    const condition = page.locator('.odoo-domain-condition').last();
    await condition.locator('.odoo-domain-field').fill('name');
    await condition.locator('.odoo-domain-field').dispatchEvent('change');
    await condition.locator('.odoo-domain-operator').selectOption('ilike');
    await condition.locator('.red-ui-typedInput-type-select').click();
    await page.locator('.red-ui-typedInput-options:visible a', { hasText: 'msg.' }).first().click();
    const value = condition.locator('.odoo-domain-value + .red-ui-typedInput-container input.red-ui-typedInput-input');
    await value.fill('req.query.q');
    await value.dispatchEvent('change');
    await page.locator('.odoo-domain-count', { hasText: 'Values come from the message' }).waitFor();
    await closeDialog(page);
    const saved = await page.evaluate(() => {
      const n = (window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } }).RED.nodes.node('b0000000000read1');
      return { domain: n.domain, domainType: n.domainType };
    });
    assert.deepEqual(saved, { domain: '[["is_company", "=", true], ["name", "ilike", req.query.q]]', domainType: 'jsonata' });
    await deploy(page);
    const rows = (await (await fetch(`${app?.base}/browser/read?q=azure`)).json()) as Array<Record<string, unknown>>;
    assert.deepEqual(rows.map((r) => r.name), ['Azure Interior']);
    await openNode(page, 'b0000000000read1');
    assert.equal(await page.locator('.odoo-domain-condition').count(), 2, 'the builder reopens the expression it wrote');
    await page.locator('.odoo-domain-remove-condition').last().click();
    await page.locator('.odoo-domain-count[data-count="7"]').waitFor();
    await closeDialog(page);
    await deploy(page);
  });

  it('odoo-write: sale.order from the picker, values set row by row with a customer found by email and lines from the items; the deployed flow creates the order', async () => {
    await openNode(page, 'b000000000write1');
    await pickModel(page, 'sale.or', 'sale.order');
    const values = page.locator('#odoo-write-values-block');
    const addRow = async (field: string, type: string, value: string): Promise<ReturnType<Page['locator']>> => {
      await values.locator('.red-ui-editableList-addButton').click();
      const row = values.locator('.red-ui-editableList-item-content').last();
      await row.locator('.odoo-values-field').pressSequentially(field.slice(0, -2), { delay: 30 });
      await pickCompletion(page, field);
      if (type !== 'msg.') {
        await row.locator('.red-ui-typedInput-type-select').click();
        await page.locator('.red-ui-typedInput-options:visible a', { hasText: type }).first().click();
      }
      const text = row.locator(".odoo-values-value + .red-ui-typedInput-container input.red-ui-typedInput-input");
      await text.fill(value);
      await text.dispatchEvent('change');
      return row;
    };
    const ref = await addRow('client_order_ref', 'msg.', 'payload.ref');
    assert.match(await ref.locator('.odoo-values-info').innerText(), /Customer Reference · char/);
    await page.locator('#odoo-write-values-required', { hasText: 'Required for create, not set: partner_id (Customer)' }).waitFor();
    const partner = await addRow('partner_id', 'msg.', 'payload.email');
    await partner.locator('.odoo-values-lookup').selectOption('email');
    assert.match(await partner.locator('.odoo-values-info').innerText(), /Customer · many2one → res\.partner · required/);
    await page.locator('#odoo-write-values-required', { hasText: 'Every field create requires is set.' }).waitFor();
    const lines = await addRow('order_line', 'msg.', 'payload.items');
    await lines.locator('.odoo-values-lines-text').fill('product_id <- sku by name\nproduct_uom_qty <- qty');
    await lines.locator('.odoo-values-lines-text').dispatchEvent('change');
    await screenshotDialog(page, 'odoo-write');
    await closeDialog(page);
    await deploy(page);

    const res = await fetch(`${app?.base}/browser/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ref: 'BROWSER-1', email: 'deco_addict@yourcompany.example.com', items: [{ sku: 'FURN_7777', qty: 2 }] }),
    });
    const id = (await res.json()) as number;
    assert.equal(typeof id, 'number');
    const [order] = await sandbox<Array<Record<string, unknown>>>(app as EditorApp, 'sale.order', 'read', { ids: [id], fields: ['partner_id', 'client_order_ref', 'order_line'] });
    assert.deepEqual([(order.partner_id as [number, string])[1], order.client_order_ref], ['Deco Addict', 'BROWSER-1']);
    const [line] = await sandbox<Array<Record<string, unknown>>>(app as EditorApp, 'sale.order.line', 'read', { ids: order.order_line, fields: ['product_id', 'product_uom_qty'] });
    assert.deepEqual([(line.product_id as [number, string])[1], line.product_uom_qty], ['[FURN_7777] Office Chair', 2]);
  });

  it('odoo-write: the method picker offers the model actions, and the upsert key is limited to stored fields', async () => {
    await openNode(page, 'b000000000write1');
    await page.locator('.odoo-picker-status[data-state="ready"]', { hasText: 'sale.order' }).waitFor();
    await page.locator('#node-input-operation').selectOption('call');
    const method = typed(page, '#node-input-method');
    await method.fill('');
    await method.pressSequentially('action_c', { delay: 40 });
    await page.locator('.red-ui-autoComplete-container li', { hasText: 'action_cancel' }).waitFor();
    await pickCompletion(page, 'action_confirm');
    assert.equal(await method.inputValue(), 'action_confirm');
    await page.locator('#node-input-operation').selectOption('upsert');
    await page.locator('#node-input-keyType').selectOption('field');
    const key = page.locator('#node-input-keyField');
    await key.fill('amount_tot');
    await key.dispatchEvent('keyup');
    assert.equal(await page.locator('.red-ui-autoComplete-container li', { hasText: 'amount_total' }).count(), 0, 'computed fields are not offered as a key');
    await key.fill('amount_total');
    await key.dispatchEvent('keyup');
    await page.locator('.odoo-picker-warning', { hasText: 'amount_total is not stored' }).waitFor();
    await key.fill('client_order_ref');
    await key.dispatchEvent('keyup');
    await page.locator('.odoo-picker-warning').first().waitFor({ state: 'hidden' });
    const verdicts = await page.evaluate(() => {
      const RED = (window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown>; getType(t: string): { defaults: Record<string, { validate(v: unknown, opt: unknown): unknown }> } } } }).RED;
      const node = RED.nodes.node('b000000000write1');
      const check = RED.nodes.getType('odoo-write').defaults.values.validate;
      return [check.call(node, [{ field: 'partner_id' }, { field: 'no_such' }], {}), check.call(node, [{ field: 'partner_id' }], {})];
    });
    assert.deepEqual(verdicts, ['sale.order has no field no_such', true], 'a values row naming a field sale.order lacks makes the node invalid');
    await closeDialog(page, 'cancel');
  });

  it('falls back to free text, and says why, when Odoo is unreachable', async () => {
    await page.evaluate((tab) => {
      const RED = (window as unknown as { RED: { view: { importNodes(nodes: unknown[], opts: Record<string, unknown>): void }; workspaces: { show(id: string): void } } }).RED;
      RED.workspaces.show(tab);
      RED.view.importNodes([{ id: 'b0000000000down1', type: 'odoo-connection', name: 'Down', url: 'http://127.0.0.1:9', database: 'x', protocol: 'json2', login: 'admin', timeout: 2, concurrency: 1, tlsVerify: true }], { generateIds: false, addFlow: false });
    }, TAB);
    await deploy(page);
    await openNode(page, 'b0000000000read1');
    await page.locator('#node-input-connection').selectOption('b0000000000down1');
    await page.locator('.odoo-picker-status[data-state="error"]', { hasText: 'Lists from Odoo unavailable, type names by hand' }).waitFor({ timeout: 15_000 });
    const fields = typed(page, '#node-input-fields');
    await fields.fill('any_name');
    assert.equal(await fields.inputValue(), 'any_name');
    assert.equal(await page.locator('.odoo-picker-warning:visible').count(), 0, 'nothing is flagged without a field list');
    await closeDialog(page, 'cancel');
  });
});
