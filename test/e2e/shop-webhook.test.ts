/**
 * The shipped "Shop webhook" tab run as `npm start` runs it: a signed shop order goes through signature check,
 * correlation tracer and both canonical mappers into one sale.order written exactly once by key, with the correlation id on the Odoo
 * chatter and every hop visible in the trace.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callSandbox } from '../helpers/odoo';
import { freePort, getJson, startProcess, type RunningProcess } from '../helpers/process';

const root = path.resolve(__dirname, '..', '..', '..');
const SECRET = 'shop-webhook-test-secret';

function shopOrder(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    email: `shopper.${id}@example.com`,
    created_at: '2026-01-15T10:20:30-05:00',
    currency: 'EUR',
    total_price: '209.00',
    total_tax: '0.00',
    customer: { id: 700000 + id, first_name: 'Bob', last_name: `Norman ${id}` },
    billing_address: { first_name: 'Bob', last_name: 'Norman', address1: 'Chestnut Street 92', city: 'Louisville', zip: '40202', country_code: 'US' },
    line_items: [
      { sku: 'FURN_7777', title: 'Office Chair', quantity: 1, price: '199.00' },
      { sku: 'FURN_8888', title: 'Office Lamp', quantity: 2, price: '5,00' },
    ],
    ...overrides,
  };
}

describe('Shop webhook flow (signed webhook -> mapper -> Odoo, traced)', function () {
  this.timeout(60_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  let odoo: { url: string };
  const run = Date.now() % 1_000_000;

  const send = (body: string, signature: string, correlationId?: string) =>
    getJson(`${base}/hooks/shop-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signature, ...(correlationId ? { 'x-correlation-id': correlationId } : {}) },
      body,
    });
  const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-shop-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SANDBOX_PORT: '0', NODE_RED_USER_DIR: userDir, SHOP_WEBHOOK_SECRET: SECRET };
    for (const name of ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_PASSWORD', 'NODE_RED_ADMIN_PASSWORD']) delete env[name];
    red = await startProcess(process.execPath, [path.join(root, 'dist', 'scripts', 'start.js')], { env, ready: /Started flows/, timeoutMs: 45_000 });
    const url = /Odoo sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(red.output());
    assert.ok(url, red.output());
    odoo = { url: url[1] };
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('a signed order becomes one sale.order with the correlation id on its chatter, and every hop is traced', async function () {
    const order = shopOrder(run);
    const body = JSON.stringify(order);
    const correlationId = `shop-${run}`;
    const answer = await send(body, sign(body), correlationId);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const { id } = answer.body as { id: number; correlationId: string };
    assert.deepEqual(answer.body, { id, correlationId });

    const orders = await callSandbox<Array<{ id: number; order_line: number[]; partner_id: [number, string] }>>(odoo, 'sale.order', 'search_read', {
      domain: [['client_order_ref', '=', String(run)]],
      fields: ['order_line', 'partner_id'],
    });
    assert.deepEqual(orders.map((o) => o.id), [id]);
    assert.equal(orders[0].order_line.length, 2);
    const notes = await callSandbox<Array<{ body: string }>>(odoo, 'mail.message', 'search_read', {
      domain: [['model', '=', 'sale.order'], ['res_id', '=', id]],
      fields: ['body'],
    });
    assert.ok(notes.some((n) => n.body.includes(correlationId)), JSON.stringify(notes));

    const trace = await getJson(`${base}/odoo-middleware/traces/${correlationId}`);
    assert.equal(trace.status, 200, JSON.stringify(trace.body));
    const types = (trace.body as { spans: Array<{ nodeType: string }> }).spans.map((s) => s.nodeType);
    for (const type of ['correlation-tracer', 'canonical-mapper', 'odoo-write']) {
      assert.ok(types.includes(type), `no ${type} hop in ${types.join(', ')}`);
    }

    const resend = await send(body, sign(body), correlationId);
    assert.equal(resend.status, 200);
    assert.deepEqual(resend.body, answer.body);
    const after = await callSandbox<unknown[]>(odoo, 'sale.order', 'search_read', { domain: [['client_order_ref', '=', String(run)]], fields: ['id'] });
    assert.equal(after.length, 1);
  });

  it('a bad signature is refused with 401 before the flow', async function () {
    const body = JSON.stringify(shopOrder(run + 1));
    const answer = await send(body, sign(body, 'wrong-secret'));
    assert.equal(answer.status, 401);
    const none = await callSandbox<unknown[]>(odoo, 'sale.order', 'search_read', { domain: [['client_order_ref', '=', String(run + 1)]], fields: ['id'] });
    assert.equal(none.length, 0);
  });

  it('an order that is not a valid SalesOrder answers 422 with the validation errors, and its id can be sent again', async function () {
    const bad = JSON.stringify(shopOrder(run + 2, { created_at: 'someday', currency: 'euro' }));
    const answer = await send(bad, sign(bad));
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    const errors = (answer.body as { error: { code: string; errors: Array<{ path: string; message: string }> } }).error;
    assert.equal(errors.code, 'ORDER_INVALID');
    assert.ok(errors.errors.length > 0 && errors.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string'), JSON.stringify(errors));

    const fixed = JSON.stringify(shopOrder(run + 2));
    const retried = await send(fixed, sign(fixed));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
  });
});
