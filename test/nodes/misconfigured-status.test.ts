/**
 * Nodes whose settings cannot work say why in their status from deploy on: a signed webhook-in names its missing
 * secret variable, the guard, complete and retry nodes name the setting at fault.
 */
import { strict as assert } from 'node:assert';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeAPI } from 'node-red';
import webhookInNode = require('../../nodes/webhook-in');
import guardNode = require('../../nodes/idempotency-guard');
import completeNode = require('../../nodes/idempotency-complete');
import retryNode = require('../../nodes/middleware-retry');
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

const VARIABLE = 'WEBHOOK_IN_SECRET_TEST_VAR';

/** The helper builds a fresh httpNode app per load and does not serve it; this server forwards to it. */
let httpNode: http.RequestListener | undefined;
const captureHttpNode = (red: NodeAPI): void => {
  httpNode = red.httpNode as unknown as http.RequestListener;
};

function statusesOf(id: string): { list: Array<Record<string, unknown>>; stop(): void } {
  const events = (helper as unknown as { _events: EventEmitter })._events;
  const list: Array<Record<string, unknown>> = [];
  const listener = (e: { id: string; status: Record<string, unknown> }) => {
    if (e.id === id) list.push(e.status);
  };
  events.on('node-status', listener);
  return { list, stop: () => events.off('node-status', listener) };
}

describe('status of a node whose settings cannot work', function () {
  const node = (extra: Record<string, unknown>) => [{ id: 'w1', type: 'webhook-in', path: '/hooks/secretless', method: 'post', scheme: 'hmac', hmacHeader: 'X-Signature', hmacPrefix: 'sha256=', contentTypes: 'application/json', wires: [[]], ...extra }];

  let server: http.Server;
  let base = '';
  before((done) => {
    server = http.createServer((req, res) => httpNode?.(req, res));
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      helper.startServer(done);
    });
  });
  afterEach(async () => {
    delete process.env[VARIABLE];
    await helper.unload();
  });
  after((done) => {
    server.close();
    helper.stopServer(done);
  });

  it('shows a red ring naming the unset variable, and keeps it when requests are refused', async () => {
    delete process.env[VARIABLE];
    const statuses = statusesOf('w1');
    try {
      await helper.load([webhookInNode, captureHttpNode], node({ secretEnv: VARIABLE }));
      assert.deepEqual(statuses.list.at(-1), { fill: 'red', shape: 'ring', text: `${VARIABLE} not set` });
      const res = await fetch(`${base}/hooks/secretless`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': 'sha256=00' }, body: '{}' });
      assert.equal(res.status, 500);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'WEBHOOK_SECRET_MISSING');
      assert.deepEqual(statuses.list.at(-1), { fill: 'red', shape: 'ring', text: `${VARIABLE} not set · rejected 1` });
    } finally {
      statuses.stop();
    }
  });

  it('says "no secret set" without a variable, and shows the path once the variable is set', async () => {
    const statuses = statusesOf('w1');
    try {
      await helper.load(webhookInNode, node({}));
      assert.deepEqual(statuses.list.at(-1), { fill: 'red', shape: 'ring', text: 'no secret set' });
      await helper.unload();
      process.env[VARIABLE] = 'present';
      await helper.load(webhookInNode, node({ secretEnv: VARIABLE }));
      // Ack mode without an event bus: the status also says acknowledged events are held in memory only.
      assert.deepEqual(statuses.list.at(-1), { fill: 'yellow', shape: 'ring', text: 'POST /hooks/secretless · memory only' });
    } finally {
      statuses.stop();
    }
  });

  it('the guard, complete and retry nodes without a store name the store setting', async () => {
    const ids = ['g1', 'c1', 'r1'];
    const recorders = ids.map((id) => statusesOf(id));
    try {
      await helper.load([guardNode, completeNode, retryNode], [
        { id: 'g1', type: 'idempotency-guard', store: '', namespace: 'orders', keyType: 'msg', key: 'payload.id', wires: [[], [], []] },
        { id: 'c1', type: 'idempotency-complete', store: '', wires: [[]] },
        { id: 'r1', type: 'middleware-retry', store: '', wires: [[], []] },
      ] as unknown as Parameters<typeof helper.load>[1]);
      for (const recorder of recorders) assert.deepEqual(recorder.list.at(-1), { fill: 'red', shape: 'ring', text: 'check store' });
    } finally {
      for (const recorder of recorders) recorder.stop();
    }
  });
});
