/** A signed webhook-in whose secret is missing says so in its status from deploy on, and names the variable. */
import { strict as assert } from 'node:assert';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeAPI } from 'node-red';
import webhookInNode = require('../../nodes/webhook-in');
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

describe('webhook-in without its secret', function () {
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

  it('says "no secret set" without a variable, and is idle once the variable is set', async () => {
    const statuses = statusesOf('w1');
    try {
      await helper.load(webhookInNode, node({}));
      assert.deepEqual(statuses.list.at(-1), { fill: 'red', shape: 'ring', text: 'no secret set' });
      await helper.unload();
      process.env[VARIABLE] = 'present';
      await helper.load(webhookInNode, node({ secretEnv: VARIABLE }));
      assert.deepEqual(statuses.list.at(-1), { fill: 'grey', shape: 'ring', text: 'POST /hooks/secretless' });
    } finally {
      statuses.stop();
    }
  });
});
