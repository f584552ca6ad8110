import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import opsAlertNode = require('../../nodes/ops-alert');
import { anomalyMonitor } from '../../nodes/lib/runtime/anomaly';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

const functionNode = require('@node-red/nodes/core/function/10-function.js') as never;
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as never;
const nodeRedDir = path.dirname(require.resolve('node-red/package.json'));
/** The hook registry the runtime's Flow and Node classes trigger; the real runtime hands it to nodes as RED.hooks, the test helper does not. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = (require(require.resolve('@node-red/util', { paths: [nodeRedDir] })) as { hooks: unknown }).hooks;

type Msg = Record<string, any>; // a message is an open bag of properties

describe('ops-alert node', function () {
  let red: NodeAPI | undefined;
  const capture = (api: NodeAPI): void => {
    (api as unknown as { hooks: unknown }).hooks = hooks;
    red = api;
  };

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    // Windows are closed by the test (tick), not by the clock.
    helper.settings({ odooMiddleware: { anomaly: { windowSeconds: 3600, warmupWindows: 3 } } } as never);
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  const flow = (alert: Msg = {}) => [
    { id: 'f1', type: 'tab' },
    { id: 'step', type: 'function', z: 'f1', name: 'flaky step', func: "if (msg.fail) throw new Error('Odoo said no to ' + msg.payload.ref); return msg;", outputs: 1, wires: [['passed']] },
    { id: 'passed', type: 'helper', z: 'f1' },
    { id: 'catcher', type: 'catch', z: 'f1', scope: ['step'], uncaught: false, wires: [['passed']] },
    { id: 'alert', type: 'ops-alert', z: 'f1', name: 'page on-call', failureRate: true, dlqInflow: true, backlogGrowth: true, subject: '^node ', coolDown: 3600, wires: [['out']], ...alert },
    { id: 'out', type: 'helper', z: 'f1' },
  ];

  async function window(calls: number, failures: number): Promise<void> {
    let seen = 0;
    const count = (): void => {
      seen += 1;
    };
    helper.getNode('passed').on('input', count);
    for (let i = 0; i < calls; i++) helper.getNode('step').receive({ payload: { ref: `S${i}` }, fail: i < failures } as never);
    for (let i = 0; i < 500 && seen < calls; i++) await new Promise((r) => setTimeout(r, 10));
    helper.getNode('passed').removeListener('input', count);
    assert.equal(seen, calls, 'every message went through the step or its Catch');
    await anomalyMonitor(red as NodeAPI).tick();
    // Alerts are delivered like any message, asynchronously.
    await new Promise((r) => setTimeout(r, 50));
  }

  it('sends an explained alert when a node fails far above its baseline, and one when it resolves; then keeps the cool-down', async () => {
    await helper.load([capture, functionNode, catchNode, opsAlertNode] as never, flow() as never);
    const alerts: Msg[] = [];
    helper.getNode('out').on('input', (msg: Msg) => alerts.push(msg));
    for (let w = 0; w < 4; w++) await window(40, 1);
    assert.equal(alerts.length, 0, 'steady failures raise nothing');
    await window(40, 20);
    assert.equal(alerts.length, 1);
    const opened = alerts[0];
    assert.equal(opened.alert.kind, 'failure_rate');
    assert.equal(opened.alert.state, 'open');
    assert.equal(opened.alert.subject, 'node flaky step');
    assert.equal(opened.alert.value, 0.5);
    assert.equal(opened.alert.baseline.toFixed(3), '0.025');
    assert.ok(opened.alert.threshold > opened.alert.baseline && opened.alert.threshold < 0.5);
    assert.equal(typeof opened.alert.since, 'number');
    assert.equal(opened.topic, 'failure_rate node flaky step');
    assert.equal(opened.payload, opened.alert.explanation);
    assert.match(opened.payload, /^node flaky step: 20 of 40 calls failed in the last 60 min \(50\.0%\)/);
    await window(40, 20);
    assert.equal(alerts.length, 1, 'no repeat while open');
    await window(40, 1);
    assert.equal(alerts.length, 2);
    assert.equal(alerts[1].alert.state, 'resolved');
    assert.equal(alerts[1].alert.since, opened.alert.since);
    await window(40, 20);
    assert.equal(alerts.length, 2, 'inside the cool-down the same alert stays quiet');
  });

  it('keeps only the kinds and subjects it is set to', async () => {
    const extra = [
      { id: 'noRates', type: 'ops-alert', z: 'f1', failureRate: false, dlqInflow: true, backlogGrowth: true, subject: '', coolDown: 0, wires: [['outNoRates']] },
      { id: 'connections', type: 'ops-alert', z: 'f1', failureRate: true, dlqInflow: true, backlogGrowth: true, subject: '^connection ', coolDown: 0, wires: [['outConnections']] },
      { id: 'outNoRates', type: 'helper', z: 'f1' },
      { id: 'outConnections', type: 'helper', z: 'f1' },
    ];
    await helper.load([capture, functionNode, catchNode, opsAlertNode] as never, [...flow(), ...extra] as never);
    const seen: Record<string, number> = { out: 0, outNoRates: 0, outConnections: 0 };
    for (const id of Object.keys(seen)) helper.getNode(id).on('input', () => (seen[id] += 1));
    for (let w = 0; w < 4; w++) await window(40, 1);
    await window(40, 30);
    assert.deepEqual(seen, { out: 1, outNoRates: 0, outConnections: 0 });
  });
});
