import { strict as assert } from 'node:assert';
import type { Node } from 'node-red';
import { adminKey, callSandbox, caught, collect, connection, recordStatuses, tab, unreachableUrl, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
// The core join and catch nodes, loaded from the runtime under test.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const joinNode = require('@node-red/nodes/core/sequence/17-split.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

type Records = Array<Record<string, unknown>>;

function read(over: Record<string, unknown>) {
  return {
    id: 'read',
    type: 'odoo-read',
    z: 'f1',
    connection: 'conn',
    operation: 'search_read',
    model: 'res.partner',
    modelType: 'str',
    domain: '[["name","like","ReadTest"]]',
    domainType: 'json',
    fields: 'name,email',
    fieldsType: 'str',
    output: 'all',
    pageSize: 1000,
    maxRecords: 10000,
    wires: [['out']],
    ...over,
  };
}

const out = { id: 'out', type: 'helper', z: 'f1' };

const ids = (records: Records) => records.map((r) => r.id as number);

describe('odoo-read node (real runtime, sandbox over HTTP)', function () {
  let sb: Sandbox;
  let seeded: number[];

  useSandbox((started) => (sb = started));
  before(() => {
    seeded = sb.insertRecords('res.partner', Array.from({ length: 25 }, (_, i) => ({ name: `ReadTest ${String(i).padStart(2, '0')}`, email: `rt${i}@example.com` })));
  });

  for (const protocol of ['json2', 'jsonrpc'] as const) {
    it(`search_read in "all" mode returns every record (${protocol}) and forwards the correlation id`, async () => {
      await helper.load([connectionNode, readNode], [tab, connection(sb.url, protocol), read({}), out], adminKey);
      const got = collect('out', 1);
      sb.clearRequests();
      helper.getNode('read').receive({ payload: 'go', correlationId: `corr-${protocol}`, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } as Msg);
      const [msg] = await got;
      assert.deepEqual(ids(msg.payload as Records), seeded);
      assert.deepEqual(Object.keys((msg.payload as Records)[0]).sort(), ['email', 'id', 'name']);
      const odoo = msg.odoo as Record<string, unknown>;
      assert.equal(odoo.model, 'res.partner');
      assert.equal(odoo.method, 'search_read');
      assert.equal(odoo.count, 25);
      assert.equal(typeof odoo.durationMs, 'number');
      const call = sb.requests.find((r) => r.odooMethod === 'search_read');
      assert.equal(call?.correlationId, `corr-${protocol}`);
      assert.equal(call?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    });
  }

  it('page mode sends one message per page that a core join node reassembles', async () => {
    const join = { id: 'joiner', type: 'join', z: 'f1', mode: 'auto', build: 'array', wires: [['joined']] };
    await helper.load([connectionNode, readNode, joinNode], [tab, connection(sb.url), read({ output: 'page', pageSize: 10, wires: [['out', 'joiner']] }), out, join, { id: 'joined', type: 'helper', z: 'f1' }], adminKey);
    const pages = collect('out', 3);
    const joined = collect('joined', 1);
    helper.getNode('read').receive({ payload: 'go' } as Msg);
    const msgs = await pages;
    assert.deepEqual(msgs.map((m) => (m.payload as Records).length), [10, 10, 5]);
    assert.deepEqual(msgs.map((m) => (m.odoo as { page: { index: number } }).page.index), [0, 1, 2]);
    assert.equal((msgs[2].parts as { count: number }).count, 3);
    const [whole] = await joined;
    assert.deepEqual(ids(whole.payload as Records), seeded);
  });

  it('record mode sends one message per record with parts a join reassembles', async () => {
    const join = { id: 'joiner', type: 'join', z: 'f1', mode: 'auto', build: 'array', wires: [['joined']] };
    await helper.load([connectionNode, readNode, joinNode], [tab, connection(sb.url), read({ output: 'record', pageSize: 7, wires: [['out', 'joiner']] }), out, join, { id: 'joined', type: 'helper', z: 'f1' }], adminKey);
    const records = collect('out', 25);
    const joined = collect('joined', 1);
    helper.getNode('read').receive({ payload: 'go' } as Msg);
    const msgs = await records;
    assert.deepEqual(msgs.map((m) => (m.payload as { id: number }).id), seeded);
    assert.deepEqual(msgs.map((m) => (m.parts as { index: number }).index), Array.from({ length: 25 }, (_, i) => i));
    const [whole] = await joined;
    assert.deepEqual(ids(whole.payload as Records), seeded);
  });

  it('"all" mode refuses more than max records with a validation error naming page mode', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), read({ maxRecords: 10 }), out, ...caught], adminKey);
    const errors = collect('errors', 1);
    helper.getNode('read').receive({ payload: 'go' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string; cause: { kind: string } };
    assert.equal(error.code, 'MW_VALIDATION');
    assert.match(error.message, /page/);
  });

  it('incremental mode picks up only records changed since the last run, and msg.reset starts over', async () => {
    const name = `Incr ${Date.now()}`;
    const [a, b] = sb.insertRecords('res.partner', [{ name: `${name} A` }, { name: `${name} B` }]);
    await helper.load(
      [connectionNode, readNode],
      [tab, connection(sb.url), read({ domain: JSON.stringify([['name', 'like', name]]), incremental: true, includeArchived: true }), out],
      adminKey,
    );
    const readOnce = async (msg: Msg): Promise<number[]> => {
      const got = collect('out', 1);
      helper.getNode('read').receive(msg);
      return ids((await got)[0].payload as Records);
    };
    assert.deepEqual(await readOnce({ payload: 1 }), [a, b]);
    assert.deepEqual(await readOnce({ payload: 2 }), []);
    await new Promise((r) => setTimeout(r, 1100)); // write_date has a one-second resolution
    await callSandbox(sb, 'res.partner', 'write', { ids: [a], vals: { email: 'changed@example.com' } });
    assert.deepEqual(await readOnce({ payload: 3 }), [a]);
    const stored = helper.getNode('read').context().get('watermarks') as Record<string, { id: number }>;
    assert.equal(stored['res.partner'].id, a);
    assert.deepEqual(await readOnce({ payload: 4, reset: true }), [b, a]);
  });

  it('search_count, read, fields_get and name_search', async () => {
    const flow = [
      tab,
      connection(sb.url),
      read({ id: 'count', operation: 'search_count' }),
      read({ id: 'byIds', operation: 'read', ids: 'payload', idsType: 'msg', fields: 'name' }),
      read({ id: 'fields', operation: 'fields_get', fields: '["name","email"]', fieldsType: 'json' }),
      read({ id: 'names', operation: 'name_search', searchName: 'ReadTest 0', searchNameType: 'str', limit: 3 }),
      out,
    ];
    await helper.load([connectionNode, readNode], flow, adminKey);
    const ask = async (id: string, msg: Msg): Promise<unknown> => {
      const got = collect('out', 1);
      helper.getNode(id).receive(msg);
      return (await got)[0].payload;
    };
    assert.equal(await ask('count', { payload: 1 }), 25);
    assert.deepEqual(await ask('byIds', { payload: [seeded[0], seeded[1]] }), [{ id: seeded[0], name: 'ReadTest 00' }, { id: seeded[1], name: 'ReadTest 01' }]);
    const fields = (await ask('fields', { payload: 1 })) as Record<string, { type: string }>;
    assert.deepEqual(Object.keys(fields).sort(), ['email', 'name']);
    assert.equal(fields.name.type, 'char');
    const names = (await ask('names', { payload: 1 })) as Array<[number, string]>;
    assert.equal(names.length, 3);
    assert.deepEqual(names[0], [seeded[0], 'ReadTest 00']);
  });

  it('an unknown model reaches a Catch node as not_found', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), read({ model: 'res.partnerx' }), out, ...caught], adminKey);
    const errors = collect('errors', 1);
    helper.getNode('read').receive({ payload: 'go', topic: 'kept' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string; cause: { kind: string; retryable: boolean } };
    assert.equal(error.code, 'ODOO_NOT_FOUND');
    assert.equal(error.cause.kind, 'not_found');
    assert.equal(error.cause.retryable, false);
    assert.equal(msg.topic, 'kept', 'the Catch node gets the message in flight');
  });

  it('a wrong API key fails with kind auth and the status "authentication failed"', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), read({}), out, ...caught], { conn: { apiKey: 'wrong-key' } });
    const statuses = recordStatuses('read');
    const errors = collect('errors', 1);
    helper.getNode('read').receive({ payload: 'go' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; cause: { kind: string } };
    assert.equal(error.code, 'ODOO_AUTH');
    assert.equal(error.cause.kind, 'auth');
    assert.deepEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'authentication failed' });
    assert.ok(statuses.some((s) => s.fill === 'blue'), 'busy while calling');
  });

  it('an unreachable server fails with kind network and the status "disconnected"', async () => {
    const deadUrl = await unreachableUrl();
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(deadUrl), read({}), out, ...caught], adminKey);
    const statuses = recordStatuses('read');
    const errors = collect('errors', 1);
    helper.getNode('read').receive({ payload: 'go' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; cause: { kind: string; retryable: boolean } };
    assert.equal(error.cause.kind, 'network');
    assert.equal(error.cause.retryable, true);
    assert.deepEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'disconnected' });
  });

  it('bad input is a validation error naming the property, before any call', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), read({ domain: 'payload', domainType: 'msg' }), out, ...caught], adminKey);
    const errors = collect('errors', 1);
    sb.clearRequests();
    helper.getNode('read').receive({ payload: 'garbage' } as Msg);
    const [msg] = await errors;
    const error = msg.error as { code: string; message: string };
    assert.equal(error.code, 'MW_VALIDATION');
    assert.match(error.message, /domain/);
    assert.equal(sb.requests.filter((r) => r.odooMethod === 'search_read').length, 0);
  });

  it('shows a green count on success and clears its status on close (removed or not)', async () => {
    for (const removed of [false, true]) {
      await helper.load([connectionNode, readNode], [tab, connection(sb.url), read({}), out], adminKey);
      const statuses = recordStatuses('read');
      const got = collect('out', 1);
      helper.getNode('read').receive({ payload: 'go' } as Msg);
      await got;
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: '25 records' });
      await (helper.getNode('read') as Node & { close(removed: boolean): Promise<void> }).close(removed);
      assert.deepEqual(statuses[statuses.length - 1], {});
      await helper.unload();
    }
  });
});
