/**
 * The shipped "Shop webhook" tab run as `npm start` runs it, against a sandbox this test controls: a signed shop
 * order is answered 202 once it is on the tab's durable inbox, before its Odoo write; from the bus it goes through
 * the correlation tracer, the order SLA and both canonical mappers into one sale.order written exactly once by key,
 * with the correlation id on the Odoo chatter and every hop visible in the trace. The SLA's deadline is cut to a few
 * seconds (the only change to the tab), so a write held back by the sandbox breaches it.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callSandbox } from '../helpers/odoo';
import { freePort, getJson, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../sandbox';

const root = path.resolve(__dirname, '..', '..', '..');
const SECRET = 'shop-webhook-test-secret';
const SHOP_SLA = 'a3f0c0de000000c3';
const DEADLINE_S = 4;

type Json = Record<string, any>; // answers and Odoo rows, checked field by field

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

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Shop webhook flow (signed webhook -> inbox 202 -> mapper -> Odoo, SLA, traced)', function () {
  this.timeout(90_000);
  let userDir: string;
  let sandbox: Sandbox;
  let red: RunningProcess | undefined;
  let base: string;
  const run = Date.now() % 1_000_000;

  const send = (body: string, signature: string, correlationId?: string) =>
    getJson(`${base}/hooks/shop-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signature, ...(correlationId ? { 'x-correlation-id': correlationId } : {}) },
      body,
    });
  const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const ordersWithRef = (ref: number) => callSandbox<Json[]>(sandbox, 'sale.order', 'search_read', { domain: [['client_order_ref', '=', String(ref)]], fields: ['order_line', 'partner_id'] });
  const openShopSlas = async (): Promise<Json[]> => {
    const listed = await getJson(`${base}/odoo-middleware/slas`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    return ((listed.body as Json).slas as Json[]).find((s) => s.sla === SHOP_SLA)?.items ?? [];
  };
  const slaOf = async (ref: number): Promise<Json | undefined> => (await openShopSlas()).find((i) => i.key === String(ref));
  const spans = async (correlationId: string): Promise<Json[]> => {
    const trace = await getJson(`${base}/odoo-middleware/traces/${correlationId}`);
    return trace.status === 200 ? ((trace.body as Json).spans as Json[]) : [];
  };

  before(async function () {
    sandbox = await startSandbox({ port: 0 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-shop-'));
    // The shipped flows with the shop order SLA's deadline cut from 15 minutes to a few seconds.
    // The circuit that an Odoo down for a while opens closes after 2 s instead of 30, for the replay below.
    const flows = (JSON.parse(fs.readFileSync(path.join(root, 'flows', 'flows.json'), 'utf8')) as Json[]).map((n) =>
      n.id === SHOP_SLA ? { ...n, deadline: DEADLINE_S, deadlineUnit: 's' } : n.type === 'odoo-connection' ? { ...n, circuitCoolDown: 2 } : n,
    );
    const flowFile = path.join(userDir, 'flows.json');
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({
      userDir,
      port,
      env: {
        NODE_RED_FLOW_FILE: flowFile,
        SHOP_WEBHOOK_SECRET: SECRET,
        ODOO_URL: sandbox.url,
        ODOO_DB: SANDBOX_DEFAULTS.database,
        ODOO_LOGIN: SANDBOX_DEFAULTS.login,
        ODOO_API_KEY: SANDBOX_DEFAULTS.apiKey,
        ODOO_PASSWORD: SANDBOX_DEFAULTS.password,
      },
    });
  });

  after(async function () {
    await red?.stop();
    await sandbox?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  afterEach(() => sandbox.setFaults({}));

  it('answers 202 once the order is on the inbox, before the write; the order reaches Odoo once, its SLA is opened and closed, every hop is traced', async function () {
    const order = shopOrder(run);
    const body = JSON.stringify(order);
    const correlationId = `shop-${run}`;
    // Odoo takes its time over the sale.order create: the webhook's answer must not wait for it.
    sandbox.setFaults({ latencyMs: 1000, faultModels: ['sale.order'], faultMethods: ['create'] });
    const answer = await send(body, sign(body), correlationId);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const accepted = answer.body as Json;
    assert.equal(accepted.accepted, true);
    assert.equal(accepted.correlationId, correlationId);
    assert.equal(typeof accepted.eventId, 'string');
    assert.deepEqual(await ordersWithRef(run), [], 'answered before the order is in Odoo');

    const open = await until('the order SLA opened', () => slaOf(run));
    assert.equal(open.correlationId, correlationId);
    assert.equal(open.deadlineAt - open.openedAt, DEADLINE_S * 1000);

    const [written] = await until('the sale.order in Odoo', async () => {
      const rows = await ordersWithRef(run);
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(written.order_line.length, 2);
    await until('the order SLA closed', async () => ((await slaOf(run)) === undefined ? true : undefined));
    assert.deepEqual((await ordersWithRef(run)).map((o) => o.id), [written.id], 'written exactly once');

    const notes = await callSandbox<Json[]>(sandbox, 'mail.message', 'search_read', { domain: [['model', '=', 'sale.order'], ['res_id', '=', written.id]], fields: ['body'] });
    assert.ok(notes.some((n) => String(n.body).includes(correlationId)), JSON.stringify(notes));
    const types = (await until('the ack in the trace', async () => {
      const hops = await spans(correlationId);
      return hops.some((s) => s.nodeType === 'event-ack') ? hops : undefined;
    })).map((s) => s.nodeType);
    for (const type of ['correlation-tracer', 'sla-open', 'canonical-mapper', 'odoo-write', 'sla-close', 'event-ack']) {
      assert.ok(types.includes(type), `no ${type} hop in ${types.join(', ')}`);
    }
    const letters = await getJson(`${base}/odoo-middleware/dead-letters?correlationId=${encodeURIComponent(correlationId)}`);
    assert.deepEqual((letters.body as Json).items, []);

    // The shop sends it again: accepted, answered from the write's store, and still one sale.order.
    const resendId = `${correlationId}-resend`;
    assert.equal((await send(body, sign(body), resendId)).status, 202);
    const resent = await until('the resend acked', async () => {
      const hops = await spans(resendId);
      return hops.some((s) => s.nodeType === 'event-ack') ? hops : undefined;
    });
    assert.ok(resent.some((s) => s.nodeType === 'sla-close'));
    assert.deepEqual((await ordersWithRef(run)).map((o) => o.id), [written.id], 'a resend writes nothing new');
  });

  it('an order whose write is held past the deadline leaves the SLA breach with key, deadline, age and last hop; the late write closes it', async function () {
    const ref = run + 3;
    const body = JSON.stringify(shopOrder(ref));
    sandbox.setFaults({ latencyMs: (DEADLINE_S + 3) * 1000, faultModels: ['sale.order'], faultMethods: ['create'] });
    assert.equal((await send(body, sign(body), `shop-${ref}`)).status, 202);
    const breached = await until('the breach', async () => {
      const sla = await slaOf(ref);
      return sla?.breached === true ? sla : undefined;
    }, (DEADLINE_S + 5) * 1000);
    assert.equal(breached.correlationId, `shop-${ref}`);
    assert.deepEqual(await ordersWithRef(ref), [], 'breached while the write is still held');
    // The breach output goes to the "SLA breached" debug node, which logs it.
    const logged = await until('the breach in the log', async () => {
      const out = red?.output() ?? '';
      const at = out.indexOf(`businessKey: 'shop order ${ref}'`);
      return at >= 0 ? out.slice(out.lastIndexOf('SLA breached', at), at + 1000) : undefined;
    }, 5000);
    assert.match(logged, /SLA breached: shop order not in Odoo within 15 min/);
    assert.match(logged, new RegExp(`deadlineMs: ${DEADLINE_S * 1000}`));
    assert.match(logged, /ageMs: \d+/);
    assert.match(logged, /lastHop: \{[^}]*nodeType: 'odoo-write'/, 'the order was last seen in the Odoo write');

    await until('the late write', async () => ((await ordersWithRef(ref)).length === 1 ? true : undefined), 20_000);
    await until('the SLA closed after the late write', async () => ((await slaOf(ref)) === undefined ? true : undefined));
  });

  it('a bad signature is refused with 401 before the inbox', async function () {
    const body = JSON.stringify(shopOrder(run + 1));
    const answer = await send(body, sign(body, 'wrong-secret'));
    assert.equal(answer.status, 401);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await slaOf(run + 1), undefined, 'nothing reached the flow');
    assert.equal((await ordersWithRef(run + 1)).length, 0);
  });

  it('an order that is not a valid SalesOrder is nacked, delivered again and dead-lettered with the validation errors; its id can be sent again', async function () {
    const correlationId = `shop-${run + 2}-invalid`;
    const bad = JSON.stringify(shopOrder(run + 2, { created_at: 'someday', currency: 'euro' }));
    assert.equal((await send(bad, sign(bad), correlationId)).status, 202);
    const letter = await until('the dead letter', async () => {
      const letters = await getJson(`${base}/odoo-middleware/dead-letters?correlationId=${encodeURIComponent(correlationId)}`);
      return ((letters.body as Json).items as Json[])[0];
    }, 40_000);
    assert.equal(letter.status, 'dead');
    const detail = await getJson(`${base}/odoo-middleware/dead-letters/${letter.id}`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    const parked = detail.body as Json;
    assert.equal(parked.error.reason, 'max_deliveries');
    assert.equal(parked.error.code, 'ORDER_INVALID');
    assert.match(parked.error.message, /^not a valid order: .*(created_at|currency)/);
    assert.equal(parked.history.length, 5, 'delivered as often as the inbox allows');
    assert.equal((await ordersWithRef(run + 2)).length, 0);
    assert.ok(await slaOf(run + 2), 'its SLA stays open');

    const fixed = JSON.stringify(shopOrder(run + 2));
    assert.equal((await send(fixed, sign(fixed))).status, 202);
    await until('the corrected order in Odoo', async () => ((await ordersWithRef(run + 2)).length === 1 ? true : undefined));
    await until('its SLA closed', async () => ((await slaOf(run + 2)) === undefined ? true : undefined));
  });

  it('an order Odoo keeps refusing is retried and parked by the write, its event acked; a replay writes it and closes its SLA', async function () {
    const ref = run + 4;
    const correlationId = `shop-${ref}-parked`;
    const body = JSON.stringify(shopOrder(ref));
    sandbox.setFaults({ unavailableRate: 1, faultModels: ['sale.order'], faultMethods: ['create'] });
    assert.equal((await send(body, sign(body), correlationId)).status, 202);
    const letter = await until('the write\'s dead letter', async () => {
      const letters = await getJson(`${base}/odoo-middleware/dead-letters?correlationId=${encodeURIComponent(correlationId)}`);
      return ((letters.body as Json).items as Json[])[0];
    }, 40_000);
    assert.equal(letter.nodeId, 'a3f0c0de00000006', 'parked by the odoo write, not by the inbox');
    const hops = await until('the parked event acked', async () => {
      const all = await spans(correlationId);
      return all.some((h) => h.nodeType === 'event-ack') ? all : undefined;
    });
    assert.ok(hops.some((h) => h.nodeName === 'ack: parked, a replay writes it'), JSON.stringify(hops.map((h) => h.nodeName)));
    assert.equal((await ordersWithRef(ref)).length, 0);
    assert.ok(await slaOf(ref), 'its SLA stays open while it is parked');

    sandbox.setFaults({});
    await new Promise((r) => setTimeout(r, 2500)); // the circuit's cool-down
    const replay = await getJson(`${base}/odoo-middleware/dead-letters/${letter.id}/replay`, { method: 'POST' });
    assert.ok(replay.status >= 200 && replay.status < 300, JSON.stringify(replay.body));
    await until('the replayed order in Odoo', async () => ((await ordersWithRef(ref)).length === 1 ? true : undefined));
    await until('its SLA closed by the replay', async () => ((await slaOf(ref)) === undefined ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(red?.output() ?? '', /\[error\].*not in hand/, 'the replay reaches the ack with nothing left to settle');
  });
});
