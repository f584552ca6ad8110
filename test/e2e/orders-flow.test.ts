/**
 * The shipped "Orders" tab run as `npm start` runs it (sandbox started by start.js): an order becomes exactly one
 * sale.order with the correlation id on its chatter, resends and concurrent duplicates do not add records, and bad
 * data is parked in the dead-letter queue with a 202. The order SLA is open from the webhook until the write.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SANDBOX_DEFAULTS } from '../../sandbox';
import { freePort, getJson, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';

const ORDER_SLA = 'a2f0c0de000000c3';

interface Answer {
  status: number;
  body: unknown;
}

describe('Orders flow (POST /api/orders against the sandbox)', function () {
  this.timeout(60_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  let odooUrl: string;
  const run = Date.now().toString(36);
  const API_TOKEN = `orders-${run}`;

  const order = (orderId: string, lines: unknown[] = [{ sku: 'FURN_0001', description: 'Desk', qty: 2, price: 150 }, { description: 'Delivery', qty: 1, price: 20 }]) => ({
    order_id: orderId,
    customer: { email: `${orderId}@example.com`, name: `Customer ${orderId}` },
    lines,
  });

  const post = (body: unknown, correlationId?: string): Promise<Answer> =>
    getJson(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}`, ...(correlationId ? { 'x-correlation-id': correlationId } : {}) },
      body: JSON.stringify(body),
    });

  /** JSON-2 straight to the sandbox, as an Odoo admin would check. */
  async function odoo<T>(model: string, method: string, args: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${odooUrl}/json/2/${model}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_DEFAULTS.apiKey}` },
      body: JSON.stringify(args),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as T;
  }

  /** Keys the Orders tab's "order" SLA holds open (the store's list, as the Operations sidebar shows it). */
  const openOrderSlas = async (): Promise<string[]> => {
    const listed = await getJson(`${base}/odoo-middleware/slas`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const order = (listed.body as { slas: Array<{ sla: string; items: Array<{ key: string }> }> }).slas.find((s) => s.sla === ORDER_SLA);
    assert.ok(order, JSON.stringify(listed.body));
    return order.items.map((i) => i.key);
  };

  const ordersWithRef = (ref: string) =>
    odoo<Array<{ id: number; client_order_ref: string; order_line: number[] }>>('sale.order', 'search_read', {
      domain: [['client_order_ref', '=', ref]],
      fields: ['client_order_ref', 'order_line'],
    });

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-orders-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({ userDir, port, env: { API_TOKEN } });
    const url = /Odoo sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(red.output());
    assert.ok(url, red.output());
    odooUrl = url[1];
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('loads the Orders tab with no error', function () {
    const out = red?.output() ?? '';
    assert.doesNotMatch(out, /\[error\]/, out);
    assert.doesNotMatch(out, /Waiting for missing types/, out);
  });

  it('creates one sale.order per order id with its lines and the correlation id on the chatter; a resend answers the same id', async function () {
    const ref = `ORD-${run}-1`;
    const correlationId = `corr-${run}-1`;
    const first = await post(order(ref), correlationId);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const { id, order_id } = first.body as { id: number; order_id: string };
    assert.equal(order_id, ref);
    assert.equal(typeof id, 'number');

    const records = await ordersWithRef(ref);
    assert.deepEqual(records.map((r) => r.id), [id]);
    assert.equal(records[0].order_line.length, 2);
    const lines = await odoo<Array<{ name: string; product_uom_qty: number; price_unit: number }>>('sale.order.line', 'search_read', {
      domain: [['order_id', '=', id]],
      fields: ['name', 'product_uom_qty', 'price_unit'],
    });
    assert.deepEqual(
      lines.map((l) => [l.name, l.product_uom_qty, l.price_unit]),
      [['[FURN_0001] Desk', 2, 150], ['Delivery', 1, 20]],
    );
    const notes = await odoo<Array<{ body: string }>>('mail.message', 'search_read', {
      domain: [['model', '=', 'sale.order'], ['res_id', '=', id]],
      fields: ['body'],
    });
    assert.ok(notes.some((n) => n.body.includes(correlationId)), JSON.stringify(notes));
    const partners = await odoo<unknown[]>('res.partner', 'search_read', { domain: [['email', '=', `${ref}@example.com`]], fields: ['name'] });
    assert.equal(partners.length, 1);

    assert.ok(!(await openOrderSlas()).includes(ref), 'the SLA opened for the order was closed by its write');

    const again = await post(order(ref), correlationId);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { id, order_id: ref });
    assert.equal((await ordersWithRef(ref)).length, 1);
    assert.ok(!(await openOrderSlas()).includes(ref), 'a resend answered from the store closes the SLA it opened');
  });

  it('a concurrent double send makes one record; the loser gets 409 in progress or the same answer', async function () {
    const ref = `ORD-${run}-2`;
    const answers = await Promise.all([post(order(ref), `corr-${run}-2`), post(order(ref), `corr-${run}-2`)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.ok(statuses[0] === 200 && (statuses[1] === 200 || statuses[1] === 409), JSON.stringify(answers));
    const conflict = answers.find((a) => a.status === 409);
    if (conflict) assert.equal((conflict.body as { error: { reason: string } }).error.reason, 'in_progress');
    const ok = answers.find((a) => a.status === 200) as Answer;
    // The provider resends after a 409; by then the first delivery has finished.
    const resend = await post(order(ref), `corr-${run}-2`);
    assert.equal(resend.status, 200);
    assert.deepEqual(resend.body, ok.body);
    const records = await ordersWithRef(ref);
    assert.deepEqual(records.map((r) => r.id), [(ok.body as { id: number }).id]);
  });

  it('the same order id with another body is refused with 409 fingerprint_mismatch', async function () {
    const ref = `ORD-${run}-1`;
    const other = await post(order(ref, [{ description: 'Something else', qty: 1, price: 1 }]));
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal((other.body as { error: { reason: string } }).error.reason, 'fingerprint_mismatch');
  });

  it('an order Odoo rejects (qty of the wrong type) is parked: 202, in the dead-letter queue, nothing written', async function () {
    const ref = `ORD-${run}-3`;
    const correlationId = `corr-${run}-3`;
    const parked = await post(order(ref, [{ description: 'Desk', qty: 'two', price: 150 }]), correlationId);
    assert.equal(parked.status, 202, JSON.stringify(parked.body));
    const body = parked.body as { parked: boolean; order_id: string; deadLetterId: string };
    assert.equal(body.parked, true);
    assert.equal(body.order_id, ref);

    const letters = await getJson(`${base}/odoo-middleware/dead-letters?correlationId=${encodeURIComponent(correlationId)}`);
    assert.equal(letters.status, 200);
    const items = (letters.body as { items: Array<{ id: string; status: string; errorMessage: string }> }).items;
    assert.deepEqual(items.map((i) => [i.id, i.status]), [[body.deadLetterId, 'dead']]);
    assert.match(items[0].errorMessage, /could not convert string to float: 'two'/);
    assert.equal((await ordersWithRef(ref)).length, 0);
    assert.ok((await openOrderSlas()).includes(ref), 'the parked order keeps its SLA open (it is breached if nothing writes it in time)');

    // The key was released: a corrected resend is processed, not answered 409.
    const fixed = await post(order(ref, [{ description: 'Desk', qty: 2, price: 150 }]), correlationId);
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal((await ordersWithRef(ref)).length, 1);
    assert.ok(!(await openOrderSlas()).includes(ref), 'the write of the corrected order closed it');
  });

  it('answers 400 for an order without order_id or without lines', async function () {
    const noId = await post({ customer: { email: 'x@example.com' }, lines: [{ description: 'Desk', qty: 1, price: 1 }] });
    assert.equal(noId.status, 400, JSON.stringify(noId.body));
    assert.equal((noId.body as { error: { code: string } }).error.code, 'MW_VALIDATION');

    const ref = `ORD-${run}-4`;
    const noLines = await post({ order_id: ref, customer: { email: `${ref}@example.com` }, lines: [] });
    assert.equal(noLines.status, 400, JSON.stringify(noLines.body));
    assert.match((noLines.body as { error: { message: string } }).error.message, /lines must be a non-empty array/);
    // Released, so the same request is judged again (400), not held as "in progress".
    assert.equal((await post({ order_id: ref, customer: { email: `${ref}@example.com` }, lines: [] })).status, 400);
    assert.equal((await ordersWithRef(ref)).length, 0);
  });
});
