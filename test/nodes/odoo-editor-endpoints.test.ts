/**
 * The endpoints behind the editor's Odoo pickers (models, fields, methods, live count), against the sandbox: in
 * the test helper's runtime, and under adminAuth in a real Node-RED.
 */
import { strict as assert } from 'node:assert';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';
import { adminKey, connection, tab, unreachableUrl, useSandbox } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');

initRuntime();

interface FieldEntry {
  name: string;
  label: string;
  type: string;
  required: boolean;
  hasDefault: boolean;
  stored: boolean;
  relation?: string;
}

describe('odoo-connection picker endpoints', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));

  it('searches models by technical name or label, from the cache until refresh', async () => {
    await helper.load([connectionNode], [tab, connection(sb.url)], adminKey);
    sb.clearRequests();
    const byName = await helper.request().get('/odoo-connection/conn/models').query({ q: 'sale.or' }).expect(200);
    assert.deepEqual(byName.body.items.map((m: { model: string }) => m.model), ['sale.order', 'sale.order.line']);
    const byLabel = await helper.request().get('/odoo-connection/conn/models').query({ q: 'Journal' }).expect(200);
    assert.deepEqual(byLabel.body.items, [{ model: 'account.move', name: 'Journal Entry', transient: false }, { model: 'account.move.line', name: 'Journal Item', transient: false }]);
    await helper.request().get('/odoo-connection/conn/models').query({ q: 'sale.or' }).expect(200);
    assert.equal(sb.requests.filter((r) => r.model === 'ir.model').length, 2, 'the repeated search came from the cache');
    await helper.request().get('/odoo-connection/conn/models').query({ q: 'sale.or', refresh: '1' }).expect(200);
    assert.equal(sb.requests.filter((r) => r.model === 'ir.model').length, 3, 'refresh asked Odoo again');
  });

  it('lists fields with label, type, required and stored, and the model actions', async () => {
    await helper.load([connectionNode], [tab, connection(sb.url)], adminKey);
    const res = await helper.request().get('/odoo-connection/conn/fields').query({ model: 'sale.order' }).expect(200);
    const fields = res.body.items as FieldEntry[];
    const partner = fields.find((f) => f.name === 'partner_id') as FieldEntry;
    assert.deepEqual([partner.label, partner.type, partner.required, partner.stored, partner.relation], ['Customer', 'many2one', true, true, 'res.partner']);
    assert.equal(partner.hasDefault, false);
    assert.equal((fields.find((f) => f.name === 'name') as FieldEntry).hasDefault, true, 'the order number comes from a sequence');
    const total = fields.find((f) => f.name === 'amount_total') as FieldEntry;
    assert.equal(total.stored, false, 'computed amounts are not stored');
    const methods = await helper.request().get('/odoo-connection/conn/methods').query({ model: 'sale.order' }).expect(200);
    assert.ok(methods.body.items.some((m: { name: string }) => m.name === 'action_confirm'));
  });

  it('counts the records a domain matches, and rejects a bad domain with a short error', async () => {
    await helper.load([connectionNode], [tab, connection(sb.url)], adminKey);
    const companies = await helper.request().post('/odoo-connection/conn/count').send({ model: 'res.partner', domain: [['is_company', '=', true]] }).expect(200);
    assert.equal(companies.body.count, 7);
    const bad = await helper.request().post('/odoo-connection/conn/count').send({ model: 'res.partner', domain: [['nofield', '=', 1]] }).expect(502);
    assert.match(bad.body.error.message, /nofield/);
    assert.doesNotMatch(JSON.stringify(bad.body), /Traceback/);
    await helper.request().post('/odoo-connection/conn/count').send({ model: 'res.partner', domain: 'garbage' }).expect(400);
  });

  it('answers 404 for a connection that is not deployed and 502 when Odoo is unreachable', async () => {
    await helper.load([connectionNode], [tab, { ...connection(await unreachableUrl()), timeout: 2 } as ReturnType<typeof connection>], adminKey);
    const missing = await helper.request().get('/odoo-connection/other/fields').query({ model: 'res.partner' }).expect(404);
    assert.equal(missing.body.error.code, 'MW_NOT_DEPLOYED');
    const down = await helper.request().get('/odoo-connection/conn/models').query({ q: 'res' }).expect(502);
    assert.equal(typeof down.body.error.code, 'string');
    assert.equal(typeof down.body.error.message, 'string');
  });
});

describe('odoo-connection picker endpoints with adminAuth', function () {
  this.timeout(30000);
  let red: AdminAuthRed | undefined;
  let sb: Sandbox | undefined;

  before(async () => {
    sb = await startSandbox({ port: 0 });
    process.env.ODOO_PICKER_TEST_KEY = SANDBOX_DEFAULTS.apiKey;
    const url = sb.url;
    red = await startAdminAuthRed({
      prefix: 'odoo-pickers-auth-',
      types: ['odoo-connection'],
      flows: () => [{ id: 'f1', type: 'tab', label: 'pickers' }, { ...connection(url), apiKeyEnv: 'ODOO_PICKER_TEST_KEY' }],
    });
  });

  after(async () => {
    delete process.env.ODOO_PICKER_TEST_KEY;
    await red?.stop();
    await sb?.close();
  });

  it('answers 401 without a token and lists models for a read-only user', async () => {
    const base = (red as AdminAuthRed).base;
    assert.equal((await fetch(`${base}/odoo-connection/conn/models?q=res`)).status, 401);
    assert.equal((await fetch(`${base}/odoo-connection/conn/count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"res.partner"}' })).status, 401);
    const viewer = await (red as AdminAuthRed).tokenFor('viewer', 'read');
    const res = await fetch(`${base}/odoo-connection/conn/models?q=res.part`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: Array<{ model: string }> };
    assert.deepEqual(body.items.map((m) => m.model), ['res.partner', 'res.partner.category']);
  });
});
