import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { SANDBOX_UIDS } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import writeNode = require('../../nodes/odoo-write');
import webhookInNode = require('../../nodes/webhook-in');
import storeNode = require('../../nodes/middleware-store');
import guardNode = require('../../nodes/idempotency-guard');
import retryNode = require('../../nodes/middleware-retry');
import { adminKey, caught, collect, connection, tab, useSandbox, type Msg } from '../helpers/odoo';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';
import { has, parseExposition, valueOf, type Sample } from '../helpers/metrics';
import { helper } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

/** The helper builds fresh admin and node apps per load and serves neither: this server forwards to the current ones. */
let apps: { admin?: http.RequestListener; node?: http.RequestListener } = {};
const captureApps = (red: NodeAPI): void => {
  apps = { admin: red.httpAdmin as unknown as http.RequestListener, node: red.httpNode as unknown as http.RequestListener };
};

const P = 'odoo_middleware_';

describe('metrics through a real runtime, the sandbox and an HTTP scrape', function () {
  let sb: Sandbox;
  const servers: http.Server[] = [];
  let adminBase = '';
  let nodeBase = '';
  let dir = '';
  useSandbox((started) => (sb = started));

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-metrics-'));
    const listen = (pick: () => http.RequestListener | undefined) =>
      new Promise<string>((resolve) => {
        const s = http.createServer((req, res) => {
          const app = pick();
          if (app) app(req, res);
          else res.writeHead(503).end();
        });
        servers.push(s);
        s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
      });
    adminBase = await listen(() => apps.admin);
    nodeBase = await listen(() => apps.node);
  });
  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function scrape(base = adminBase): Promise<Sample[]> {
    const res = await fetch(`${base}/odoo-middleware/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/plain;.*version=0\.0\.4/);
    return parseExposition(await res.text());
  }

  function flow() {
    return [
      tab,
      { ...connection(sb.url), name: 'erp' },
      { id: 'counter', type: 'odoo-read', z: 'f1', name: 'count partners', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']] },
      { id: 'missing', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'x.missing', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']] },
      { id: 'writer', type: 'odoo-write', z: 'f1', connection: 'conn', operation: 'create', model: 'res.partner', modelType: 'str', chunkSize: 100, keyType: 'none', wires: [['ok'], ['ok']] },
      { id: 'hook', type: 'webhook-in', z: 'f1', name: 'shop hook', path: '/metrics-hook', method: 'post', scheme: 'none', responseMode: 'ack', maxBody: '', contentTypes: 'application/json', wires: [[]] },
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
      { id: 'guard', type: 'idempotency-guard', z: 'f1', store: 'store1', namespace: 'orders', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['ok'], ['ok'], ['ok']] },
      { id: 'retrier', type: 'middleware-retry', z: 'f1', name: 'retry orders', store: 'store1', maxAttempts: 3, baseDelayMs: 600000, maxDelayMs: 600000, multiplier: 2, maxTotalMs: 3600000, retryOn: '', deadLetterOn: '', unknownErrors: 'retry', replayRate: 10, wires: [['ok'], ['dead']] },
      { id: 'ok', type: 'helper', z: 'f1' },
      { id: 'dead', type: 'helper', z: 'f1' },
      ...caught,
    ];
  }

  const load = (settings: Record<string, unknown> = {}) => {
    helper.settings(settings);
    return helper.load([captureApps, connectionNode, readNode, writeNode, webhookInNode, storeNode, guardNode, retryNode, catchNode], flow(), adminKey);
  };

  afterEach(() => helper.settings({}));

  it('each counter moves by exactly the traffic sent, and the gauges show the connection and the dead letters', async () => {
    const expiresAt = Date.now() + 3 * 86_400_000;
    const key = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'metrics', expiresAt });
    await helper.load([captureApps, connectionNode, readNode, writeNode, webhookInNode, storeNode, guardNode, retryNode, catchNode], flow(), { conn: { apiKey: key.key } });
    const before = await scrape();
    const count = (s: Sample[], model: string, method: string, outcome: string) => valueOf(s, `${P}odoo_calls_total`, { connection: 'erp', model, method, outcome });
    const durations = (s: Sample[], model: string, method: string) => valueOf(s, `${P}odoo_call_duration_seconds_count`, { connection: 'erp', model, method });

    for (let i = 0; i < 3; i++) {
      const got = collect('ok', 1);
      helper.getNode('counter').receive({ payload: i } as Msg);
      await got;
    }
    for (let i = 0; i < 2; i++) {
      const got = collect('ok', 1);
      helper.getNode('writer').receive({ payload: { name: `Metrics ${i}` } } as Msg);
      await got;
    }
    const failed = collect('errors', 1);
    helper.getNode('missing').receive({ payload: 1 } as Msg);
    const kind = String(((await failed)[0].error as { cause: { kind: string } }).cause.kind);

    const post = (body: string, type = 'application/json') => fetch(`${nodeBase}/metrics-hook`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal((await post('{"id":1}')).status, 202);
    assert.equal((await post('{"id":2}')).status, 202);
    assert.equal((await post('id=3', 'application/x-www-form-urlencoded')).status, 415);

    for (const id of ['A', 'A', 'B']) {
      const got = collect('ok', 1);
      helper.getNode('guard').receive({ payload: { id } } as Msg);
      await got;
    }

    helper.getNode('retrier').receive({ payload: 1, error: { message: 'reset', code: 'ODOO_NETWORK', cause: { kind: 'network', retryable: true } } } as Msg);
    const parked = collect('dead', 1);
    helper.getNode('retrier').receive({ payload: 2, error: { message: 'bad', code: 'ODOO_VALIDATION', cause: { kind: 'validation', retryable: false } } } as Msg);
    await parked;

    // The key check runs after the first successful call.
    for (let i = 0; i < 100 && !has(await scrape(), `${P}api_key_expiry_seconds`, { connection: 'erp' }); i++) await new Promise((r) => setTimeout(r, 20));
    const after = await scrape();

    assert.equal(count(after, 'res.partner', 'search_count', 'ok') - count(before, 'res.partner', 'search_count', 'ok'), 3);
    assert.equal(durations(after, 'res.partner', 'search_count') - durations(before, 'res.partner', 'search_count'), 3);
    assert.equal(count(after, 'res.partner', 'create', 'ok') - count(before, 'res.partner', 'create', 'ok'), 2);
    assert.equal(count(after, 'x.missing', 'search_count', kind) - count(before, 'x.missing', 'search_count', kind), 1);
    const hook = (s: Sample[], outcome: string) => valueOf(s, `${P}webhook_requests_total`, { node: 'shop hook', outcome });
    assert.equal(hook(after, 'accepted') - hook(before, 'accepted'), 2);
    assert.equal(hook(after, 'unsupported_media_type') - hook(before, 'unsupported_media_type'), 1);
    const guard = (s: Sample[], outcome: string) => valueOf(s, `${P}guard_decisions_total`, { outcome });
    assert.equal(guard(after, 'first') - guard(before, 'first'), 2);
    // The first A is still in progress (nothing completed it): the second A is a conflict.
    assert.equal(guard(after, 'conflict') - guard(before, 'conflict'), 1);
    assert.equal(guard(after, 'duplicate') - guard(before, 'duplicate'), 0);
    assert.equal(valueOf(after, `${P}retries_total`, { node: 'retry orders' }) - valueOf(before, `${P}retries_total`, { node: 'retry orders' }), 1);
    assert.equal(valueOf(after, `${P}dead_letters`, { status: 'dead' }) - valueOf(before, `${P}dead_letters`, { status: 'dead' }), 1);
    assert.equal(valueOf(after, `${P}circuit_state`, { connection: 'erp' }), 0);
    assert.equal(valueOf(after, `${P}connection_paused`, { connection: 'erp' }), 0);
    const expiry = valueOf(after, `${P}api_key_expiry_seconds`, { connection: 'erp' });
    assert.ok(Math.abs(expiry - (expiresAt - Date.now()) / 1000) < 120, `expiry gauge ${expiry}`);
    // Bounded labels: no payload value, record id or key appears anywhere in the exposition.
    assert.ok(after.every((s) => !Object.values(s.labels).some((v) => v.includes(key.key) || /Metrics \d/.test(v))));
  });

  it('the connection gauges go away when the connection is removed', async () => {
    await load();
    assert.ok(has(await scrape(), `${P}circuit_state`, { connection: 'erp' }));
    await helper.unload();
    await helper.load([captureApps, webhookInNode], [tab, { id: 'hook', type: 'webhook-in', z: 'f1', path: '/h', method: 'post', scheme: 'none', responseMode: 'ack', contentTypes: 'application/json', wires: [[]] }] as never);
    assert.ok(!has(await scrape(), `${P}circuit_state`, { connection: 'erp' }));
  });

  it('serves the metrics on the HTTP node root only when the settings ask for it', async () => {
    await load();
    assert.equal((await fetch(`${nodeBase}/odoo-middleware/metrics`)).status, 404);
    await helper.unload();
    await load({ odooMiddleware: { metricsOnHttpNode: true } });
    const samples = await scrape(nodeBase);
    assert.ok(has(samples, `${P}circuit_state`, { connection: 'erp' }));
  });
});

describe('metrics endpoint under adminAuth', function () {
  this.timeout(30_000);
  let red: AdminAuthRed;
  before(async () => {
    red = await startAdminAuthRed({ prefix: 'ops-metrics-auth-', types: ['odoo-connection'] });
  });
  after(() => red?.stop());

  it('refuses an anonymous scrape and serves a user with read permission', async () => {
    assert.equal((await fetch(`${red.base}/odoo-middleware/metrics`)).status, 401);
    const viewer = await red.tokenFor('viewer', 'read');
    const res = await fetch(`${red.base}/odoo-middleware/metrics`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /# TYPE odoo_middleware_odoo_calls_total counter/);
  });
});
