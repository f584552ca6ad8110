import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeAPI } from 'node-red';
import * as os from 'node:os';
import * as path from 'node:path';
import { useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import writeNode = require('../../nodes/odoo-write');
import storeNode = require('../../nodes/middleware-store');
import slaNode = require('../../nodes/sla');
import slaOpenNode = require('../../nodes/sla-open');
import slaCloseNode = require('../../nodes/sla-close');
import webhookNode = require('../../nodes/webhook-in');
import tracerNode = require('../../nodes/correlation-tracer');
import retryNode = require('../../nodes/middleware-retry');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require('@node-red/nodes/core/function/15-change.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const linkNodes = require('@node-red/nodes/core/common/60-link.js');

const SECRET = 'sla-example-secret';

initRuntime();

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** POSTs JSON to the runtime's httpNode app (the helper builds it per load and does not serve it). */
async function postJson(app: http.RequestListener, urlPath: string, body: unknown): Promise<number> {
  const text = JSON.stringify(body);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${urlPath}`, {
      method: 'POST',
      body: text,
      headers: { 'content-type': 'application/json', 'x-signature': `sha256=${createHmac('sha256', SECRET).update(text).digest('hex')}` },
    });
    await res.text();
    return res.status;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function first(id: string): Promise<Msg> {
  return new Promise((resolve) => helper.getNode(id).once('input', (msg: Msg) => resolve(msg)));
}

describe('sla.json example (sandbox)', function () {
  this.timeout(20_000);
  let sb: Sandbox;
  let dir: string;
  useSandbox((started) => (sb = started));
  before(() => {
    process.env.ODOO_URL = sb.url;
    process.env.ODOO_DB = SANDBOX_DEFAULTS.database;
    process.env.ODOO_API_KEY = SANDBOX_DEFAULTS.apiKey;
    process.env.SLA_WEBHOOK_SECRET = SECRET;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sla-example-'));
  });
  after(() => {
    delete process.env.ODOO_URL;
    delete process.env.ODOO_DB;
    delete process.env.ODOO_API_KEY;
    delete process.env.SLA_WEBHOOK_SECRET;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes the SLA of an order written to Odoo in time; one whose write fails is parked and its SLA stays open', async () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'flows', 'examples', 'sla.json');
    const flow = (JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[]).map((n) => {
      if (n.type === 'debug') return { id: n.id, type: 'helper', z: n.z };
      if (n.type === 'middleware-store') return { ...n, path: path.join(dir, 'store.sqlite') };
      return n;
    });
    let red: NodeAPI | undefined;
    const capture = (api: NodeAPI): void => {
      red = api;
    };
    await helper.load([connectionNode, writeNode, storeNode, slaNode, slaOpenNode, slaCloseNode, webhookNode, tracerNode, retryNode, changeNode, catchNode, linkNodes, capture] as never, flow as never, {});
    const app = (red as NodeAPI).httpNode as unknown as http.RequestListener;
    const [partner] = sb.insertRecords('res.partner', [{ name: 'SLA example customer' }]);
    const closed = first('5a1a0e0000000016');
    assert.equal(await postJson(app, '/examples/sla-orders', { id: 'S1234', partnerId: partner }), 202);
    const msg = await closed;
    assert.equal((msg.sla as Msg).businessKey, 'order S1234');
    assert.equal((msg.sla as Msg).found, true);
    assert.equal((msg.sla as Msg).withinDeadline, true);

    const failed = first('5a1a0e0000000031');
    assert.equal(await postJson(app, '/examples/sla-orders', { id: 'S1235', partnerId: 999_999 }), 202);
    const parked = await failed;
    assert.equal(typeof (parked.deadLetter as Msg).id, 'string', 'the failed write is parked in the dead-letter queue');
    const listed = await helper.request().get('/odoo-middleware/slas').expect(200);
    const order = (listed.body.slas as Msg[]).find((s) => s.sla === '5a1a0e0000000003') as Msg;
    assert.deepEqual((order.items as Msg[]).map((i) => i.key), ['S1235']);
    assert.equal(order.deadlineMs, 900_000);
  });
});
