import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { adminKey, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import storeNode = require('../../nodes/middleware-store');
import retryNode = require('../../nodes/middleware-retry');
import slaNode = require('../../nodes/sla');
import slaOpenNode = require('../../nodes/sla-open');
import operationsPlugin = require('../../nodes/operations-plugin');
import { anomalyMonitor } from '../../nodes/lib/runtime/anomaly';

initRuntime();

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const nodeRedDir = path.dirname(require.resolve('node-red/package.json'));
/** The hook registry the runtime's Flow and Node classes trigger; the real runtime hands it to nodes as RED.hooks, the test helper does not. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = (require(require.resolve('@node-red/util', { paths: [nodeRedDir] })) as { hooks: unknown }).hooks;

describe('Operations sidebar endpoint (real runtime, sandbox)', function () {
  let sb: Sandbox;
  let dir: string;
  useSandbox((started) => (sb = started));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ops-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows per-connection calls, errors, p95 and circuit, open SLAs and dead letters by error', async () => {
    let red: NodeAPI | undefined;
    const capture = (api: NodeAPI): void => {
      (api as unknown as { hooks: unknown }).hooks = hooks;
      red = api;
    };
    const flow = [
      tab,
      { ...connection(sb.url), name: 'sandbox odoo' },
      {
        id: 'read', type: 'odoo-read', z: 'f1', name: 'read partners', connection: 'conn', operation: 'search_read', model: 'model', modelType: 'msg',
        domain: '[]', domainType: 'json', fields: 'name', fieldsType: 'str', output: 'all', pageSize: 100, maxRecords: 100, wires: [['out']],
      },
      { id: 'out', type: 'helper', z: 'f1' },
      ...caught,
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
      { id: 'sla1', type: 'sla', name: 'order', deadline: 15, deadlineUnit: 'min', store: 'store1' },
      { id: 'open', type: 'sla-open', z: 'f1', sla: 'sla1', key: 'payload', keyType: 'msg', wires: [[], []] },
      {
        id: 'retry1', type: 'middleware-retry', z: 'f1', name: 'retry', store: 'store1', maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100,
        multiplier: 2, maxTotalMs: 60000, retryOn: '', deadLetterOn: '', unknownErrors: 'retry', replayRate: 10, wires: [[], ['parked']],
      },
      { id: 'parked', type: 'helper', z: 'f1' },
    ];
    await helper.load([capture, connectionNode, readNode, storeNode, retryNode, slaNode, slaOpenNode, catchNode] as never, flow as never, adminKey);
    const api = red as NodeAPI;
    let added: { onadd(): void } | undefined;
    operationsPlugin({ ...api, plugins: { registerPlugin: (_id: string, def: { onadd(): void }) => (added = def) } } as unknown as NodeAPI);
    added?.onadd();
    const monitor = anomalyMonitor(api);
    await monitor.tick();

    const reads = collect('out', 4);
    for (let i = 0; i < 4; i++) helper.getNode('read').receive({ model: 'res.partner' } as never);
    await reads;
    const failed = collect('errors', 1);
    helper.getNode('read').receive({ model: 'res.partnerx' } as never);
    const [error] = await failed;
    const parked = collect('parked', 1);
    helper.getNode('retry1').receive({ payload: {}, error: (error as Msg).error } as never);
    await parked;
    helper.getNode('open').receive({ payload: 'S77' } as never);
    await new Promise((r) => setTimeout(r, 100));
    await monitor.tick();

    const res = await helper.request().get('/odoo-middleware/operations').expect(200);
    const [conn] = res.body.connections;
    assert.equal(conn.name, 'sandbox odoo');
    assert.equal(conn.circuit, 'closed');
    assert.equal(conn.paused, null);
    const last = conn.windows.at(-1);
    assert.equal(last.calls, 5);
    assert.equal(last.errors, 1);
    assert.equal(typeof last.p95Ms, 'number');
    assert.equal(last.circuit, 'closed');
    assert.equal(res.body.windowMs, 60_000);
    const order = res.body.slas.find((s: Msg) => s.sla === 'sla1');
    assert.equal(order.open, 1);
    assert.equal(order.items[0].key, 'S77');
    assert.equal(res.body.deadLetters.clusters.length, 1);
    assert.equal(res.body.deadLetters.clusters[0].kind, 'not_found');
    assert.match(res.body.deadLetters.clusters[0].signature, /model '<v>' does not exist/);
    assert.deepEqual(res.body.alerts, []);
  });
});
