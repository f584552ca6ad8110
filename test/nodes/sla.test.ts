import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import storeNode = require('../../nodes/middleware-store');
import slaNode = require('../../nodes/sla');
import slaOpenNode = require('../../nodes/sla-open');
import slaCloseNode = require('../../nodes/sla-close');
import tracerNode = require('../../nodes/correlation-tracer');
import { middlewareMetrics } from '../../nodes/lib/ops/metrics';
import { installTracing, type TracingHost, type TracingRuntime } from '../../nodes/lib/trace/runtime';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

const nodeRedDir = path.dirname(require.resolve('node-red/package.json'));
/** The hook registry the runtime's Flow and Node classes trigger (the test helper does not expose RED.hooks). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = (require(require.resolve('@node-red/util', { paths: [nodeRedDir] })) as { hooks: TracingHost['hooks'] }).hooks;
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as never;

type Msg = Record<string, any>; // a message is an open bag of properties
const nodes = [storeNode, slaNode, slaOpenNode, slaCloseNode] as never[];

function flow(file: string, deadlineSeconds: number) {
  return [
    { id: 'f1', type: 'tab', label: 'orders' },
    { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: file },
    { id: 'sla1', type: 'sla', name: 'order', deadline: deadlineSeconds, deadlineUnit: 's', store: 'store1' },
    { id: 'open', type: 'sla-open', z: 'f1', name: 'open order SLA', sla: 'sla1', key: 'payload.ref', keyType: 'msg', wires: [['opened'], ['breached']] },
    { id: 'close', type: 'sla-close', z: 'f1', name: 'close order SLA', sla: 'sla1', key: 'payload.ref', keyType: 'msg', wires: [['closed']] },
    { id: 'opened', type: 'helper', z: 'f1' },
    { id: 'breached', type: 'helper', z: 'f1' },
    { id: 'closed', type: 'helper', z: 'f1' },
    { id: 'catch1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

function next(id: string, timeoutMs = 8000): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message reached ${id} within ${timeoutMs} ms`)), timeoutMs);
    helper.getNode(id).once('input', (msg: Msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

function collect(id: string): Msg[] {
  const seen: Msg[] = [];
  helper.getNode(id).on('input', (msg: Msg) => seen.push(msg));
  return seen;
}

async function getJson(urlPath: string): Promise<{ status: number; body: any }> { // the endpoint's JSON, checked field by field
  const res = await helper.request().get(urlPath);
  return { status: res.status, body: res.body };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sla, sla-open and sla-close nodes', function () {
  this.timeout(20_000);
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sla-'));
    file = path.join(dir, 'store.sqlite');
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('across a runtime restart, reports the key left open as breached once and not the one closed in time', async () => {
    await helper.load([...nodes, catchNode], flow(file, 2) as never);
    const opened1 = next('opened');
    helper.getNode('open').receive({ payload: { ref: 'S1' }, correlationId: 'corr-S1' } as never);
    assert.equal((await opened1).sla.opened, true);
    const opened2 = next('opened');
    helper.getNode('open').receive({ payload: { ref: 'S2' } } as never);
    await opened2;
    const closed = next('closed');
    helper.getNode('close').receive({ payload: { ref: 'S2', id: 7 } } as never);
    const closedMsg = await closed;
    assert.equal(closedMsg.sla.found, true);
    assert.equal(closedMsg.sla.withinDeadline, true);
    assert.equal(closedMsg.sla.businessKey, 'order S2');
    assert.deepEqual(closedMsg.payload, { ref: 'S2', id: 7 }, 'the message passes on unchanged');

    // A real restart: flows stopped, the runtime stopped, both started again on the same SQLite file.
    await helper.unload();
    await helper.stopServer();
    await helper.startServer();
    await helper.load([...nodes, catchNode], flow(file, 2) as never);
    const breaches = collect('breached');
    const listed = await getJson('/odoo-middleware/slas');
    assert.equal(listed.status, 200);
    const order = listed.body.slas.find((s: Msg) => s.sla === 'sla1');
    assert.deepEqual(order.items.map((i: Msg) => i.key), ['S1'], 'S1 is still open after the restart, S2 is not');

    const breach = await next('breached');
    assert.equal(breach.sla.key, 'S1');
    assert.equal(breach.topic, 'order S1');
    assert.equal(breach.sla.deadlineMs, 2000);
    assert.ok(breach.sla.ageMs >= 2000, `age ${breach.sla.ageMs} ms is past the deadline`);
    assert.equal(breach.correlationId, 'corr-S1');
    assert.deepEqual(breach.payload, breach.sla);
    assert.equal(breach.sla.lastHop.source, 'opened', 'no trace survives the restart: the opening node is named');
    assert.equal(breach.sla.lastHop.nodeId, 'open');
    await sleep(1200);
    assert.equal(breaches.length, 1, 'the breach is reported once');

    const exposition = await middlewareMetrics.metrics();
    assert.match(exposition, /^odoo_middleware_sla_open\{sla="order"\} 1$/m);
    assert.match(exposition, /^odoo_middleware_sla_breaches_total\{sla="order"\} [1-9]\d*$/m);
    const after = await getJson('/odoo-middleware/slas');
    const afterOrder = after.body.slas.find((s: Msg) => s.sla === 'sla1');
    assert.equal(afterOrder.open, 1);
    assert.equal(afterOrder.breachedOpen, 1);

    const late = next('closed');
    helper.getNode('close').receive({ payload: { ref: 'S1' } } as never);
    const lateMsg = await late;
    assert.equal(lateMsg.sla.found, true);
    assert.equal(lateMsg.sla.withinDeadline, false);
    assert.equal(lateMsg.sla.breached, true);
    const again = next('closed');
    helper.getNode('close').receive({ payload: { ref: 'S2' } } as never);
    assert.equal((await again).sla.found, false, 'S2 was closed before the restart');
  });

  it('names the last node the traced message reached', async () => {
    let red: NodeAPI | undefined;
    const tracedFlow = [
      ...flow(file, 1).filter((n) => n.id !== 'opened'),
      { id: 'tracer', type: 'correlation-tracer', z: 'f1', name: 'trace in', wires: [['open']] },
      { id: 'opened', type: 'helper', z: 'f1', name: 'write sale.order (stuck)' },
    ];
    await helper.load([...nodes, catchNode, tracerNode, (api: NodeAPI) => { red = api; }] as never, tracedFlow as never);
    const tracing: TracingRuntime = installTracing({ hooks, httpAdmin: (red as NodeAPI).httpAdmin as never, settings: {} }, {});
    try {
      const breach = next('breached');
      helper.getNode('tracer').receive({ payload: { ref: 'S9' } } as never);
      const msg = await breach;
      assert.equal(msg.sla.key, 'S9');
      assert.equal(msg.sla.lastHop.source, 'trace');
      assert.equal(msg.sla.lastHop.nodeId, 'opened');
      assert.equal(msg.sla.lastHop.nodeName, 'write sale.order (stuck)');
      assert.equal(typeof msg.correlationId, 'string');
    } finally {
      await tracing.close();
    }
  });

  it('sends a message without a business key to Catch with a specific error, and opens nothing', async () => {
    await helper.load([...nodes, catchNode], flow(file, 60) as never);
    const caught = next('caught');
    helper.getNode('open').receive({ payload: { other: 1 } } as never);
    const msg = await caught;
    assert.equal(msg.error.code, 'MW_VALIDATION');
    assert.match(msg.error.message, /business key \(msg\.payload\.ref\) must be a non-empty string or a number, got undefined/);
    const listed = await getJson('/odoo-middleware/slas');
    assert.equal(listed.body.slas.find((s: Msg) => s.sla === 'sla1').open, 0);
  });

  it('reports a bad deadline on the nodes using the SLA', async () => {
    const bad = flow(file, 60).map((n) => (n.id === 'sla1' ? { ...n, deadline: 'soon' } : n));
    await helper.load([...nodes, catchNode], bad as never);
    const caught = next('caught');
    helper.getNode('open').receive({ payload: { ref: 'S1' } } as never);
    assert.match((await caught).error.message, /property deadline must be a number greater than 0, got "soon"/);
  });
});
