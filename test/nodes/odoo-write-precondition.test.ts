import { strict as assert } from 'node:assert';
import { adminKey, callSandbox, caught, collect, connection, recordStatuses, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
import { PRECONDITION_PRESETS } from '../../nodes/lib/write/precondition';
import connectionNode = require('../../nodes/odoo-connection');
import writeNode = require('../../nodes/odoo-write');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

const outputs = [
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

function confirmNode(over: Record<string, unknown> = {}) {
  return {
    id: 'confirm',
    type: 'odoo-write',
    z: 'f1',
    connection: 'conn',
    operation: 'call',
    model: 'sale.order',
    modelType: 'str',
    method: 'action_confirm',
    methodType: 'str',
    precondition: '[["state","in",["draft","sent"]]]',
    preconditionType: 'json',
    ids: 'odoo.ids',
    idsType: 'msg',
    chunkSize: 100,
    keyType: 'none',
    wires: [['ok'], ['bad']],
    ...over,
  };
}

describe('odoo-write call with a precondition (real runtime, sandbox over HTTP)', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));

  const orderState = async (id: number): Promise<unknown> => (await callSandbox<Array<{ state: string }>>(sb, 'sale.order', 'read', { ids: [id], fields: ['state'] }))[0].state;
  const send = async (msg: Msg): Promise<Msg> => {
    const ok = collect('ok', 1);
    helper.getNode('confirm').receive(msg);
    return (await ok)[0];
  };

  for (const protocol of ['json2', 'jsonrpc'] as const) {
    it(`confirm twice = one confirmation; the second leaves by output 1 with msg.odoo.skipped (${protocol})`, async () => {
      const [order] = sb.insertRecords('sale.order', [{ partner_id: 8 }]);
      await helper.load([connectionNode, writeNode], [tab, connection(sb.url, protocol), confirmNode(), ...outputs], adminKey);
      const statuses = recordStatuses('confirm');
      sb.clearRequests();
      const first = await send({ payload: {}, odoo: { ids: [order] }, topic: 'kept' } as Msg);
      assert.equal(first.payload, true);
      assert.equal(first.topic, 'kept');
      assert.deepEqual((first.odoo as Record<string, unknown>).skipped, []);
      assert.deepEqual((first.odoo as Record<string, unknown>).ids, [order]);
      const second = await send({ payload: {}, odoo: { ids: [order] } } as Msg);
      assert.equal(second.payload, null);
      assert.deepEqual((second.odoo as Record<string, unknown>).skipped, [order]);
      assert.deepEqual((second.odoo as Record<string, unknown>).ids, [order], 'every id stays for the next step');
      assert.equal(await orderState(order), 'sale');
      assert.equal(sb.requests.filter((r) => r.odooMethod === 'action_confirm').length, 1, 'one confirmation reached Odoo');
      assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: 'action_confirm ok, 1 skipped' });
    });
  }

  it('a race: another process confirms between the check and the call; the UserError is reported as skipped, not failed', async () => {
    const [order] = sb.insertRecords('sale.order', [{ partner_id: 8 }]);
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), confirmNode(), ...outputs, ...caught], adminKey);
    let errors = 0;
    helper.getNode('errors').on('input', () => (errors += 1));
    sb.setFaults({ latencyMs: 300, faultModels: ['sale.order'], faultMethods: ['action_confirm'] });
    sb.clearRequests();
    try {
      const done = send({ payload: {}, odoo: { ids: [order] } } as Msg);
      const deadline = Date.now() + 3000;
      while (!sb.requests.some((r) => r.odooMethod === 'action_confirm')) {
        if (Date.now() > deadline) throw new Error('action_confirm never reached the sandbox');
        await new Promise((r) => setTimeout(r, 5));
      }
      sb.callMethod('sale.order', 'action_confirm', { ids: [order] });
      const msg = await done;
      assert.deepEqual((msg.odoo as Record<string, unknown>).skipped, [order]);
      assert.equal(msg.payload, null);
    } finally {
      sb.setFaults({});
    }
    const rejected = sb.requests.filter((r) => r.odooMethod === 'action_confirm');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].status, 422, 'Odoo did answer the call with its UserError');
    assert.equal(errors, 0);
  });

  it('without a precondition a second confirmation is still an error (today\'s behaviour)', async () => {
    const [order] = sb.insertRecords('sale.order', [{ partner_id: 8 }]);
    await helper.load([connectionNode, writeNode, catchNode], [tab, connection(sb.url), confirmNode({ precondition: '' }), ...outputs, ...caught], adminKey);
    await send({ payload: {}, odoo: { ids: [order] } } as Msg);
    const errors = collect('errors', 1);
    helper.getNode('confirm').receive({ payload: {}, odoo: { ids: [order] } } as Msg);
    const [msg] = await errors;
    assert.equal((msg.error as { code: string }).code, 'ODOO_USER');
  });

  it('a precondition from msg; a malformed one reaches a Catch node as MW_VALIDATION with no call made', async () => {
    const [order] = sb.insertRecords('sale.order', [{ partner_id: 8 }]);
    await helper.load(
      [connectionNode, writeNode, catchNode],
      [tab, connection(sb.url), confirmNode({ precondition: 'only', preconditionType: 'msg' }), ...outputs, ...caught],
      adminKey,
    );
    const confirmed = await send({ payload: {}, odoo: { ids: [order] }, only: [['state', '=', 'sent']] } as Msg);
    assert.deepEqual((confirmed.odoo as Record<string, unknown>).skipped, [order], 'a draft order does not match state = sent');
    assert.equal(await orderState(order), 'draft');
    sb.clearRequests();
    const errors = collect('errors', 1);
    helper.getNode('confirm').receive({ payload: {}, odoo: { ids: [order] }, only: [['state', 'is', 'draft']] } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string };
    assert.equal(error.code, 'MW_VALIDATION');
    assert.match(error.message, /precondition\[0\]: unknown operator/);
    // The connection's key-expiry check (res.users) may run meanwhile; no sale.order call was made.
    assert.equal(sb.requests.filter((r) => r.model === 'sale.order').length, 0);
  });

  it('the check is a search: a read allow-list without it refuses the message (ODOO_POLICY) before any confirmation', async () => {
    const [order] = sb.insertRecords('sale.order', [{ partner_id: 8 }]);
    const guarded = { ...connection(sb.url), allowRead: 'res.partner:*', allowWrite: 'sale.order:action_confirm' };
    await helper.load([connectionNode, writeNode, catchNode], [tab, guarded, confirmNode(), ...outputs, ...caught], adminKey);
    const errors = collect('errors', 1);
    helper.getNode('confirm').receive({ payload: {}, odoo: { ids: [order] } } as Msg);
    const [msg] = await errors;
    assert.equal((msg.error as { code: string }).code, 'ODOO_POLICY');
    assert.match((msg.error as { message: string }).message, /sale\.order/);
    assert.equal(await orderState(order), 'draft');
  });

  it('serves the presets to the editor', async () => {
    await helper.load([connectionNode, writeNode], [tab, connection(sb.url), confirmNode(), ...outputs], adminKey);
    const res = await helper.request().get('/odoo-write/precondition-presets').expect(200);
    const presets = res.body as Array<{ model: string; method: string; domain: unknown[] }>;
    assert.deepEqual(presets, JSON.parse(JSON.stringify(PRECONDITION_PRESETS)));
    const methods = presets.map((p) => `${p.model} ${p.method}`);
    for (const expected of ['sale.order action_confirm', 'sale.order action_cancel', 'sale.order action_draft', 'account.move action_post', 'account.move button_draft', 'account.move button_cancel', 'stock.picking action_confirm', 'stock.picking action_assign', 'stock.picking button_validate']) {
      assert.ok(methods.includes(expected), expected);
    }
  });
});
