import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../nodes/lib/sqlite-database';
import type { NodeAPI } from 'node-red';
import type { Sandbox } from '../../sandbox';
import storeNode = require('../../nodes/middleware-store');
import retryNode = require('../../nodes/middleware-retry');
import tracerNode = require('../../nodes/correlation-tracer');
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import { installTracing, type TracingHost, type TracingRuntime } from '../../nodes/lib/trace/runtime';
import { adminKey, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

const nodeRedDir = path.dirname(require.resolve('node-red/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = (require(require.resolve('@node-red/util', { paths: [nodeRedDir] })) as { hooks: TracingHost['hooks'] }).hooks;

const KEY = 'b'.repeat(64);
const ORIGINAL = {
  customer: { name: 'Jane Doe', email: 'jane@example.com', phone: '+32 470 12 34 56', street: 'Main St 1' },
  order: { ref: 'S1', note: 'gift wrap' },
  comment: 'pay with 4111 1111 1111 1111 or DE89 3704 0044 0532 0130 00',
};

describe('PII masking and encrypted dead letters through a real runtime', function () {
  let dir = '';
  beforeEach((done) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-masking-'));
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function dlqFlow(file: string) {
    return [
      { id: 'f1', type: 'tab' },
      { id: 'store1', type: 'middleware-store', name: 'orders store', backend: 'sqlite', path: file },
      { id: 'retrier', type: 'middleware-retry', z: 'f1', store: 'store1', maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, multiplier: 2, maxTotalMs: 60000, retryOn: '', deadLetterOn: '', unknownErrors: 'retry', replayRate: 10, wires: [['replayed'], ['dead']] },
      { id: 'replayed', type: 'helper', z: 'f1' },
      { id: 'dead', type: 'helper', z: 'f1' },
    ];
  }

  async function park(): Promise<string> {
    const parked = collect('dead', 1);
    helper.getNode('retrier').receive({ payload: ORIGINAL, error: { message: 'partner jane@example.com refused', code: 'ODOO_VALIDATION', cause: { kind: 'validation', retryable: false } } } as Msg);
    return ((await parked)[0].deadLetter as { id: string }).id;
  }

  it('an encrypted dead letter: sealed in the file, masked in the views, replayed intact', async () => {
    const file = path.join(dir, 'store.sqlite');
    helper.settings({ odooMiddleware: { masking: { paths: ['payload.order.note'] } } } as never);
    await helper.load([storeNode, retryNode], dlqFlow(file) as never, { store1: { deadLetterKey: KEY } } as never);
    const id = await park();

    const db = openDatabase(file, { readonly: true });
    const row = db.prepare('SELECT message, error, history FROM dead_letters WHERE id = ?').get(id) as { message: string; error: string; history: string };
    db.close();
    const stored = `${row.message}${row.error}${row.history}`;
    assert.match(row.message, /__sealed/);
    for (const clear of ['jane@example.com', 'Jane Doe', '4111', 'Main St']) assert.ok(!stored.includes(clear), `${clear} is not stored in clear`);

    const one = (await helper.request().get(`/odoo-middleware/dead-letters/${id}`).expect(200)).body as { message: { payload: typeof ORIGINAL }; error: { message: string } };
    assert.deepEqual(one.message.payload, {
      customer: { name: 'Jane Doe', email: '***', phone: '***', street: '***' },
      order: { ref: 'S1', note: '***' },
      comment: 'pay with [card] or [iban]',
    });
    assert.doesNotMatch(JSON.stringify(one), /jane@example\.com/);
    const list = (await helper.request().get('/odoo-middleware/dead-letters').expect(200)).body as { items: Array<{ errorMessage: string }> };
    assert.match(list.items[0].errorMessage, /partner \[email\] refused/);
    const stores = (await helper.request().get('/odoo-middleware/stores').expect(200)).body.stores as Array<{ id: string; deadLetterEncryption: string }>;
    assert.deepEqual(stores.map((s) => [s.id, s.deadLetterEncryption]), [['store1', 'aes-256-gcm']]);

    const replayed = collect('replayed', 1);
    await helper.request().post(`/odoo-middleware/dead-letters/${id}/replay`).expect(200);
    assert.deepEqual((await replayed)[0].payload, ORIGINAL);
  });

  it('without a key the letter is stored as before and the store says so', async () => {
    const file = path.join(dir, 'plain.sqlite');
    await helper.load([storeNode, retryNode], dlqFlow(file) as never);
    const id = await park();
    const db = openDatabase(file, { readonly: true });
    const row = db.prepare('SELECT message FROM dead_letters WHERE id = ?').get(id) as { message: string };
    db.close();
    assert.equal((JSON.parse(row.message) as { payload: typeof ORIGINAL }).payload.customer.email, 'jane@example.com');
    const stores = (await helper.request().get('/odoo-middleware/stores').expect(200)).body.stores as Array<{ deadLetterEncryption: string }>;
    assert.deepEqual(stores.map((s) => s.deadLetterEncryption), ['none']);
    const logged = (helper.log().args as unknown[][]).map((a) => String((a[0] as { msg: unknown }).msg));
    assert.ok(logged.some((line) => /dead letters are stored unencrypted/.test(line)));
    const one = (await helper.request().get(`/odoo-middleware/dead-letters/${id}`).expect(200)).body as { message: { payload: typeof ORIGINAL } };
    assert.equal(one.message.payload.customer.email, '***', 'the view masks also without encryption');
  });

  it('masking: false shows dead letters in clear', async () => {
    helper.settings({ odooMiddleware: { masking: false } } as never);
    await helper.load([storeNode, retryNode], dlqFlow(path.join(dir, 'clear.sqlite')) as never);
    const id = await park();
    const one = (await helper.request().get(`/odoo-middleware/dead-letters/${id}`).expect(200)).body as { message: { payload: typeof ORIGINAL } };
    assert.deepEqual(one.message.payload, ORIGINAL);
  });

  describe('trace spans', () => {
    let tracing: TracingRuntime | undefined;
    let red: NodeAPI | undefined;
    afterEach(async () => {
      await tracing?.close();
      tracing = undefined;
    });

    it('masks span errors and names in the traces endpoint and in the OTLP export', async () => {
      const bodies: string[] = [];
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const failingStep = (api: NodeAPI): void => {
          red = api;
          api.nodes.registerType('failing-step', function (this: never, def: never) {
            api.nodes.createNode(this, def);
            (this as unknown as { on: (e: string, cb: (m: unknown, s: unknown, d: (e?: Error) => void) => void) => void }).on('input', (_m, _s, done) => done(new Error('customer jane@example.com has no VAT')));
          });
        };
        await helper.load([tracerNode, failingStep], [
          { id: 'flow1', type: 'tab' },
          { id: 'tracer', type: 'correlation-tracer', z: 'flow1', wires: [['bad']] },
          { id: 'bad', type: 'failing-step', z: 'flow1', name: 'notify jane@example.com', wires: [[]] },
        ] as never);
        const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
        const runtime = installTracing({ hooks, httpAdmin: (red as unknown as TracingHost).httpAdmin, settings: { odooMiddleware: { tracing: { otlpEndpoint: endpoint }, masking: {} } } }, {});
        tracing = runtime;
        helper.getNode('tracer').receive({ payload: {}, req: { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }, correlationId: 'masked-trace' } as never);
        for (let i = 0; i < 200 && runtime.ring.byCorrelation('masked-trace').filter((s) => s.end !== undefined).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        const spans = (await helper.request().get('/odoo-middleware/traces/masked-trace').expect(200)).body.spans as Array<{ nodeId: string; nodeName?: string; error?: string }>;
        const bad = spans.find((s) => s.nodeId === 'bad');
        assert.equal(bad?.error, 'customer [email] has no VAT');
        assert.equal(bad?.nodeName, 'notify [email]');
        await runtime.flush();
        for (let i = 0; i < 200 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        const exported = bodies.join('\n');
        assert.match(exported, /customer \[email\] has no VAT/);
        assert.ok(!exported.includes('jane@example.com'), 'no e-mail address leaves over OTLP');
      } finally {
        await tracing?.close();
        tracing = undefined;
        await new Promise((resolve) => receiver.close(resolve));
      }
    });
  });

  describe('node log lines', () => {
    let sb: Sandbox;
    useSandbox((started) => (sb = started));

    it('an Odoo error quoting an e-mail address is logged and caught masked', async () => {
      await helper.load([connectionNode, readNode, catchNode], [
        tab,
        connection(sb.url),
        { id: 'reader', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_read', model: 'res.partner', modelType: 'str', domain: '[["x_mail", "=", "jane@example.com"]]', domainType: 'json', output: 'all', wires: [['ok']] },
        { id: 'ok', type: 'helper', z: 'f1' },
        ...caught,
      ] as never, adminKey);
      const failed = collect('errors', 1);
      helper.getNode('reader').receive({ payload: 1 } as Msg);
      const error = (await failed)[0].error as { message: string };
      assert.match(error.message, /x_mail.*\[email\]/);
      const logged = (helper.log().args as unknown[][]).map((a) => String((a[0] as { msg: unknown }).msg)).filter((line) => /x_mail/.test(line));
      assert.ok(logged.length > 0, 'the failure is logged');
      assert.ok(logged.every((line) => !line.includes('jane@example.com')), logged.join('\n'));
    });
  });
});
