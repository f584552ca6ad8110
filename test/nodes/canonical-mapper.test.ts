import { strict as assert } from 'node:assert';
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node } from 'node-red';
import mapperNode = require('../../nodes/canonical-mapper');
import connectionNode = require('../../nodes/odoo-connection');
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import { canonicalId } from '../../nodes/lib/canonical/schemas';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

type Msg = Record<string, unknown> & { payload?: unknown };
type TestNode = Node & { receive(msg: Msg): void };

const RULES = [
  { target: 'sku', source: { kind: 'path', path: 'code' }, transforms: ['trim', 'upper'] },
  { target: 'name', source: { kind: 'path', path: 'title' } },
  { target: 'listPrice', source: { kind: 'path', path: 'price' }, transforms: [{ type: 'currency', currency: 'EUR' }] },
];

type Flows = Parameters<typeof helper.load>[1];

function flow(mapper: Record<string, unknown>, extra: Array<Record<string, unknown>> = []): Flows {
  return [
    { id: 'm1', type: 'canonical-mapper', name: 'mapper', wires: [['ok'], ['bad']], ...mapper },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    ...extra,
  ] as Flows;
}

/** Status badges of node `id` as the runtime reports them to the editor (its "node-status" events). */
function recordStatuses(id: string): { list: unknown[]; stop(): void } {
  const events = (helper as unknown as { _events: EventEmitter })._events;
  const list: unknown[] = [];
  const listener = (e: { id: string; status: unknown }) => {
    if (e.id === id) list.push(e.status);
  };
  events.on('node-status', listener);
  return { list, stop: () => events.off('node-status', listener) };
}

/** Resolves with the first message a helper node receives, failing if another given node gets one first. */
function next(id: string, forbidden: string[] = []): Promise<Msg> {
  return new Promise((resolve, reject) => {
    helper.getNode(id).on('input', (msg: Msg) => resolve(msg));
    for (const other of forbidden) helper.getNode(other).on('input', (msg: Msg) => reject(new Error(`unexpected message on ${other}: ${JSON.stringify(msg)}`)));
  });
}

describe('canonical-mapper node', function () {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  });

  afterEach(async () => {
    await helper.unload();
  });

  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await sandbox.close();
  });

  it('custom rules: a valid payload leaves by output 1 with source and canonical info', async () => {
    await helper.load(mapperNode, flow({ mode: 'rules', rules: RULES, schemaType: 'canonical', schema: canonicalId('product') }));
    const got = next('ok', ['bad', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: { code: ' ab-1 ', title: 'Apple', price: '1.234,50' }, topic: 't' });
    const msg = await got;
    assert.deepEqual(msg.payload, { sku: 'AB-1', name: 'Apple', listPrice: 1234.5 });
    assert.deepEqual(msg.source, { code: ' ab-1 ', title: 'Apple', price: '1.234,50' });
    assert.deepEqual(msg.canonical, { schema: 'product', version: '1.0.0' });
    assert.equal(msg.topic, 't', 'other properties are kept');
  });

  it('invalid data leaves by output 2 with {kind, stage, errors: [{path, message}]} and the payload untouched', async () => {
    await helper.load(mapperNode, flow({ mode: 'rules', rules: RULES, schemaType: 'canonical', schema: canonicalId('product') }));
    const got = next('bad', ['ok', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: { code: 'A', price: 'cheap' } });
    const msg = await got;
    assert.deepEqual(msg.payload, { code: 'A', price: 'cheap' });
    assert.deepEqual(msg.error, {
      kind: 'validation',
      stage: 'mapping',
      errors: [
        { path: 'listPrice', message: "expected an amount, got 'cheap'" },
        { path: 'name', message: 'is required' },
      ],
    });

    const schemaFail = next('bad', ['ok', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: { code: 'A' } });
    const second = await schemaFail;
    assert.deepEqual(second.error, { kind: 'validation', stage: 'output', errors: [{ path: 'name', message: 'is required' }] });
  });

  it('a preset maps a shop order to a SalesOrder', async () => {
    await helper.load(mapperNode, flow({ mode: 'preset', preset: 'woocommerce-order', schemaType: 'canonical', schema: '' }));
    const got = next('ok', ['bad', 'caught']);
    (helper.getNode('m1') as TestNode).receive({
      payload: { id: 5, currency: 'EUR', date_created_gmt: '2026-01-15T10:20:30', billing: { email: 'a@b.io', first_name: 'A' }, line_items: [{ name: 'X', sku: 'X', quantity: 1, price: 2 }] },
    });
    const msg = await got;
    assert.equal((msg.payload as { externalId: string }).externalId, '5');
    assert.deepEqual(msg.canonical, { schema: 'sales-order', version: '1.0.0', preset: 'woocommerce-order' });
  });

  it('a broken mapping shows a red status and logs at deploy; a message then reaches a Catch node with the code', async () => {
    const statuses = recordStatuses('m1');
    await helper.load(mapperNode, flow({ mode: 'rules', rules: [{ target: 'a', source: { kind: 'jsonata', expr: '$sum(' } }], schemaType: 'none' }));
    statuses.stop();
    assert.deepEqual(statuses.list, [{ fill: 'red', shape: 'ring', text: 'invalid mapping' }]);
    const node = helper.getNode('m1');
    const logged = helper.log().args.filter((a: unknown[]) => (a[0] as { type?: string; level?: number }).type === 'canonical-mapper');
    assert.ok(logged.some((a: unknown[]) => /rules\[0\] \(target 'a'\): source\.expr: JSONata syntax error/.test(String((a[0] as { msg: unknown }).msg))), 'error logged at deploy');
    const caught = next('caught', ['ok', 'bad']);
    (node as TestNode).receive({ payload: {} });
    const msg = await caught;
    const error = msg.error as { message: string; source: { id: string }; code?: string };
    assert.match(error.message, /^MappingCompileError: Invalid mapping/);
    assert.equal(error.code, 'MW_MAPPING');
    assert.equal(error.source.id, 'm1');
  });

  it('sales-order-to-odoo through a real odoo-connection and the sandbox; Odoo failures go to Catch with ODOO_ codes', async () => {
    const conn = { id: 'conn', type: 'odoo-connection', url: sandbox.url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', timeout: 5, concurrency: 2, tlsVerify: true };
    await helper.load([mapperNode, connectionNode], flow({ mode: 'preset', preset: 'sales-order-to-odoo', connection: 'conn', schemaType: 'none', cacheTtl: 60 }, [conn]), { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } });
    const client = (helper.getNode('conn') as unknown as { client: { call(m: string, me: string, a: object): Promise<number[]> } }).client;
    const [partner] = await client.call('res.partner', 'create', { vals_list: [{ name: 'Node Buyer', email: 'node@buyer.example' }] });
    const [product] = await client.call('product.product', 'create', { vals_list: [{ name: 'Node widget', default_code: 'NODE-W' }] });
    const order = { externalId: 'N-1', orderDate: '2026-01-15T10:20:30Z', currency: 'EUR', customer: { email: 'node@buyer.example' }, lines: [{ sku: 'NODE-W', name: 'Node widget', quantity: 3, unitPrice: 2 }] };
    const got = next('ok', ['bad', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: order });
    const msg = await got;
    assert.deepEqual(msg.payload, {
      partner_id: partner,
      client_order_ref: 'N-1',
      date_order: '2026-01-15 10:20:30',
      order_line: [[0, 0, { product_id: product, name: 'Node widget', product_uom_qty: 3, price_unit: 2 }]],
    });
    assert.deepEqual(msg.canonical, { schema: 'sales-order', version: '1.0.0', preset: 'sales-order-to-odoo', model: 'sale.order' });

    const unknown = next('bad', ['ok', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: { ...order, customer: { email: 'nobody@x.example' } } });
    const bad = await unknown;
    assert.deepEqual((bad.error as { errors: unknown }).errors, [{ path: 'customer', message: "no res.partner matches email 'nobody@x.example'" }]);

    const invalid = next('bad', ['ok', 'caught']);
    (helper.getNode('m1') as TestNode).receive({ payload: { ...order, currency: 'euro' } });
    assert.equal(((await invalid).error as { stage: string }).stage, 'input');

    sandbox.setFaults({ unavailableRate: 1 });
    try {
      const caught = next('caught', ['ok', 'bad']);
      (helper.getNode('m1') as TestNode).receive({ payload: { ...order, customer: { email: 'other@x.example' } } });
      const failure = await caught;
      const error = failure.error as { code: string; cause: { kind: string; retryable: boolean } };
      assert.equal(error.code, 'ODOO_UNAVAILABLE');
      assert.equal(error.cause.retryable, true);
    } finally {
      sandbox.setFaults({});
    }
  });

  it('a preset that needs Odoo without a connection fails at deploy with a clear error', async () => {
    await helper.load(mapperNode, flow({ mode: 'preset', preset: 'sales-order-to-odoo', schemaType: 'none' }));
    const caught = next('caught', ['ok', 'bad']);
    (helper.getNode('m1') as TestNode).receive({ payload: {} });
    const msg = await caught;
    assert.match((msg.error as { message: string }).message, /needs an Odoo connection/);
  });

  it('POST /canonical-mapper/preview returns {output, errors} for rules or a preset, 400 for a broken mapping', async () => {
    await helper.load(mapperNode, flow({ mode: 'rules', rules: RULES, schemaType: 'none' }));
    const ok = await helper.request().post('/canonical-mapper/preview').send({ rules: RULES, schema: canonicalId('product'), sample: { code: 'x', title: 'X', price: '2,50' } }).expect(200);
    assert.deepEqual(ok.body, { output: { sku: 'X', name: 'X', listPrice: 2.5 }, errors: [], canonical: { schema: 'product', version: '1.0.0' } });
    const invalid = await helper.request().post('/canonical-mapper/preview').send({ rules: RULES, schema: canonicalId('product'), sample: { code: 'x' } }).expect(200);
    assert.deepEqual(invalid.body, { output: { sku: 'X' }, errors: [{ path: 'name', message: 'is required' }], stage: 'output' });
    const preset = await helper.request().post('/canonical-mapper/preview').send({ preset: 'odoo-to-product', sample: { id: 1, default_code: 'P', name: 'P', list_price: 3 }, defaultCurrency: 'EUR' }).expect(200);
    assert.deepEqual(preset.body.output, { sku: 'P', odooId: 1, name: 'P', listPrice: 3, currency: 'EUR' });
    const broken = await helper.request().post('/canonical-mapper/preview').send({ rules: [{ target: '', source: { kind: 'path', path: 'x' } }], sample: {} }).expect(400);
    assert.equal(broken.body.error.code, 'MW_MAPPING');
    assert.equal(broken.body.error.problems[0].rule, 'rules[0]');
    const catalog = await helper.request().get('/canonical-mapper/catalog').expect(200);
    assert.ok(catalog.body.presets.some((p: { id: string }) => p.id === 'shopify-order'));
    assert.equal(catalog.body.schemas.length, 6);
  });

  it('the preview reads schema files only from the schema folders: ../, absolute paths and symlinks out are refused', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-mapper-user-'));
    const link = path.join(userDir, 'schemas', 'out.json');
    fs.mkdirSync(path.dirname(link));
    fs.symlinkSync('/etc/passwd', link);
    helper.settings({ userDir });
    try {
      await helper.load(mapperNode, flow({ mode: 'rules', rules: RULES, schemaType: 'none' }));
      const probe = (value: string) =>
        helper.request().post('/canonical-mapper/preview').send({ rules: RULES, schema: { type: 'file', value }, sample: { code: 'x', title: 'X' } }).expect(400);
      for (const value of ['../../../../../../etc/passwd', '/etc/passwd', `schemas/${path.basename(link)}`]) {
        const res = await probe(value);
        assert.equal(res.body.error.code, 'MW_VALIDATION', value);
        assert.match(res.body.error.message, /refused: .*schema files are read only from/, value);
        assert.doesNotMatch(JSON.stringify(res.body), /root:|\/bin\//, value);
      }
      const packaged = await helper.request().post('/canonical-mapper/preview').send({ rules: RULES, schema: { type: 'file', value: 'schemas/canonical/product-1.0.0.json' }, sample: { code: 'x' } }).expect(200);
      assert.deepEqual(packaged.body.errors, [{ path: 'name', message: 'is required' }]);
    } finally {
      helper.settings({});
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('shows throttled counts and clears the status on close', async () => {
    const statuses = recordStatuses('m1');
    try {
      await helper.load(mapperNode, flow({ mode: 'rules', rules: RULES, schemaType: 'none' }));
      const node = helper.getNode('m1') as TestNode;
      for (const payload of [{ code: 'a', title: 'A' }, { code: 'b', title: 'B' }, { code: 5 }]) {
        const got = next(typeof payload.code === 'string' ? 'ok' : 'bad');
        node.receive({ payload });
        await got;
      }
      for (let i = 0; i < 40 && statuses.list.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(statuses.list, [{ fill: 'green', shape: 'dot', text: '2 mapped, 1 invalid' }], 'one throttled badge for three messages');
      await helper.unload();
      assert.deepEqual(statuses.list[statuses.list.length - 1], {});
    } finally {
      statuses.stop();
    }
  });
});
