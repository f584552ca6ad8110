/**
 * webhook-in's durable inbox and claim-based replay protection through a real runtime: a real SQLite event bus and
 * middleware store, the real http response node, real HTTP.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as amqp from 'amqplib';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '../../nodes/lib/sqlite-database';
import type { NodeAPI } from 'node-red';
import webhookInNode = require('../../nodes/webhook-in');
import busNode = require('../../nodes/event-bus');
import ackNode = require('../../nodes/event-ack');
import storeNode = require('../../nodes/middleware-store');
import type { NodeStatus } from '../../nodes/lib/status';
import { deleteRabbitObjects, RABBITMQ_URL, requireRabbit, uniqueRabbitPrefix } from '../helpers/rabbitmq';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpInModule = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'network', '21-httpin.js')) as (red: NodeAPI) => void;
const functionNode = require('@node-red/nodes/core/function/10-function.js') as never;

type Msg = Record<string, any>; // a message is an open bag of properties

let httpNode: http.RequestListener | undefined;
const captureHttpNode = (red: NodeAPI): void => {
  httpNode = red.httpNode as unknown as http.RequestListener;
};

let base = '';
async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Msg; headers: Headers }> {
  const res = await fetch(`${base}/orders`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Msg) : {}, headers: res.headers };
}

async function until(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (msg: Msg) => got.push(msg));
  return got;
}

describe('webhook-in durable inbox and replay claims', function () {
  this.timeout(20_000);
  let server: http.Server;
  let dir: string;

  before(async () => {
    await helper.startServer();
    server = http.createServer((req, res) => (httpNode ? httpNode(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await helper.stopServer();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-inbox-'));
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const busFile = (): string => path.join(dir, 'events.sqlite');
  const inboxFlow = (handle: string, bus: Record<string, unknown> = { backend: 'sqlite', path: busFile() }): Array<Record<string, unknown>> => [
    { id: 'bus1', type: 'event-bus', ...bus },
    { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
    {
      id: 'hook', type: 'webhook-in', path: '/orders', method: 'post', scheme: 'none', responseMode: 'ack', contentTypes: 'application/json',
      replay: true, store: 'store1', deliveryIdHeader: 'X-Delivery', inbox: 'bus1', inboxConcurrency: 2, inboxLease: 5, inboxMaxDeliveries: 3,
      wires: [['handle']],
    },
    { id: 'handle', type: 'function', func: handle, wires: [['ack1']] },
    { id: 'ack1', type: 'event-ack', action: 'ack', wires: [['sink']] },
    { id: 'sink', type: 'helper' },
  ];
  const load = (flow: Array<Record<string, unknown>>): Promise<void> =>
    helper.load([webhookInNode, busNode, ackNode, storeNode, functionNode, captureHttpNode, httpInModule] as never[], flow as never, {} as never) as unknown as Promise<void>;

  it('answers 202 once the event is on the bus; the flow gets it with msg.event, without credential headers; a resend is a duplicate', async () => {
    await load(inboxFlow('return msg;'));
    const sink = collect('sink');
    const reply = await post('{"order":7}', { 'x-delivery': 'd-7', 'x-correlation-id': 'corr-7', authorization: 'Bearer abc', 'x-signature': 'sig', 'x-shop': 'eu' });
    assert.equal(reply.status, 202);
    assert.equal(reply.body.accepted, true);
    assert.equal(typeof reply.body.eventId, 'string');
    await until(() => sink.length === 1, 'the event in the flow');
    const msg = sink[0];
    assert.deepEqual(msg.payload, { order: 7 });
    assert.equal(msg.correlationId, 'corr-7');
    assert.equal(msg.webhook.deliveryId, 'd-7');
    assert.equal(msg.event.id, reply.body.eventId);
    assert.equal(msg.event.outcome, 'acked');
    assert.equal(msg.req.headers['x-shop'], 'eu');
    assert.equal(msg.req.headers.authorization, undefined);
    assert.equal(msg.req.headers['x-signature'], undefined);

    const again = await post('{"order":7}', { 'x-delivery': 'd-7' });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.length, 1, 'a duplicate never reaches the flow');
  });

  it('an acknowledged event survives a restart before the flow handled it', async () => {
    // The first runtime drops every event (as if killed before the Odoo write).
    await load(inboxFlow('return null;'));
    const statuses: NodeStatus[] = [];
    (helper.getNode('hook') as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: NodeStatus[] }) => statuses.push(call.args[0]));
    assert.equal((await post('{"order":9}', { 'x-delivery': 'd-9' })).status, 202);
    const db = openDatabase(busFile(), { readonly: true });
    try {
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM bus_deliveries').get() as { n: number }).n, 1, 'on disk when 202 was sent');
    } finally {
      db.close();
    }
    await until(() => statuses.some((s) => /in flight/.test(s.text ?? '')), 'the event in flight in the status');
    await helper.unload();
    await load(inboxFlow('return msg;'));
    const sink = collect('sink');
    await until(() => sink.length === 1, 'the event after the restart');
    assert.deepEqual(sink[0].payload, { order: 9 });
  });

  it('answers 503 until the inbox has joined its group, rather than 202 for an event its group never gets; joins once the bus lets it', async function () {
    this.timeout(30_000);
    await requireRabbit(this);
    // The group's queue exists with other settings (classic, not bound): the inbox cannot join, while the exchange
    // would take and confirm a publish, and drop it, as it does before a new group's queue is declared.
    const prefix = uniqueRabbitPrefix('inbox-join');
    const queue = `${prefix}webhook.orders.webhook-in`;
    const conn = await amqp.connect(RABBITMQ_URL);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true });
      await load(inboxFlow('return msg;', { backend: 'rabbitmq', amqpUrl: RABBITMQ_URL, amqpPrefix: prefix }));
      const sink = collect('sink');
      const refused = await post('{"order":11}', { 'x-delivery': 'join-11' });
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'WEBHOOK_INBOX_UNAVAILABLE');

      await ch.deleteQueue(queue);
      let resent = refused;
      for (let i = 0; i < 40 && resent.status !== 202; i++) {
        await new Promise((r) => setTimeout(r, 250));
        resent = await post('{"order":11}', { 'x-delivery': 'join-11' });
      }
      assert.equal(resent.status, 202, 'accepted once the inbox joined on its retry');
      await until(() => sink.length === 1, 'the event in the flow');
      assert.deepEqual(sink[0].payload, { order: 11 });
    } finally {
      await helper.unload();
      await conn.close().catch(() => undefined);
      await deleteRabbitObjects(prefix, [queue]);
    }
  });

  it('answers 503 when the bus cannot take the event, and frees the delivery id for the resend', async () => {
    await load(inboxFlow('return msg;', { backend: 'rabbitmq', amqpUrl: 'amqp://127.0.0.1:1' }));
    const first = await post('{"order":3}', { 'x-delivery': 'd-3' });
    assert.equal(first.status, 503);
    assert.equal(first.body.error.code, 'WEBHOOK_INBOX_UNAVAILABLE');
    assert.equal(first.headers.get('retry-after'), '5');
    const resend = await post('{"order":3}', { 'x-delivery': 'd-3' });
    assert.equal(resend.body.error.code, 'WEBHOOK_INBOX_UNAVAILABLE', 'the resend is tried again, not refused as a duplicate or in progress');
  });

  it('flow mode: a 5xx answer releases the delivery id, a 2xx marks it done', async () => {
    const flow = [
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
      {
        id: 'hook', type: 'webhook-in', path: '/orders', method: 'post', scheme: 'none', responseMode: 'flow', responseTimeout: 5, contentTypes: 'application/json',
        replay: true, store: 'store1', deliveryIdHeader: 'X-Delivery', wires: [['answer']],
      },
      // Odoo is down for the first attempt: the flow answers 503.
      { id: 'answer', type: 'function', func: 'const n = (context.get("n") || 0) + 1; context.set("n", n); msg.statusCode = n === 1 ? 503 : 200; msg.payload = { attempt: n }; return msg;', wires: [['respond']] },
      { id: 'respond', type: 'http response', wires: [] },
      { id: 'sink', type: 'helper' },
    ];
    await load(flow);
    assert.equal((await post('{"order":5}', { 'x-delivery': 'd-5' })).status, 503);
    const resend = await post('{"order":5}', { 'x-delivery': 'd-5' });
    assert.equal(resend.status, 200, 'the resend after a 5xx is processed');
    assert.deepEqual(resend.body, { attempt: 2 });
    const third = await post('{"order":5}', { 'x-delivery': 'd-5' });
    assert.equal(third.body.duplicate, true, 'after a 2xx the id is done');
  });

  it('without a bus, ack mode says in its status that events are held in memory only', async () => {
    await load([{ id: 'hook', type: 'webhook-in', path: '/orders', method: 'post', scheme: 'none', responseMode: 'ack', contentTypes: 'application/json', wires: [['sink']] }, { id: 'sink', type: 'helper' }]);
    const statuses: NodeStatus[] = [];
    (helper.getNode('hook') as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: NodeStatus[] }) => statuses.push(call.args[0]));
    assert.equal((await post('{"order":1}')).status, 202);
    await until(() => statuses.some((s) => /memory only/.test(s.text ?? '')), 'the memory-only status');
  });
});
