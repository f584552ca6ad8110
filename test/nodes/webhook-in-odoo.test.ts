/** webhook-in's `odoo` scheme on a real runtime: token in the URL, msg.odoo, Odoo's repeated POSTs counted once. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import webhookInNode = require('../../nodes/webhook-in');
import middlewareStoreNode = require('../../nodes/middleware-store');
import busNode = require('../../nodes/event-bus');
import ackNode = require('../../nodes/event-ack');
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpInModule = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'network', '21-httpin.js')) as (red: NodeAPI) => void;

let httpNode: http.RequestListener | undefined;
const captureHttpNode = (red: NodeAPI): void => {
  httpNode = red.httpNode as unknown as http.RequestListener;
};

const TOKEN = 'odoo-hook-token-1';
const OLD_TOKEN = 'odoo-hook-token-0';
const odooBody = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ _action: 'Send partner webhook(#354)', _id: 43, _model: 'res.partner', email: 'probe1@example.com', id: 43, name: 'Webhook Probe 1', write_date: '2026-12-01 07:45:18.084537', ...overrides });

let base = '';
async function post(urlPath: string, body: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${base}${urlPath}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'python-requests/2.28.1' } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('webhook-in node: scheme odoo', function () {
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
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-odoo-'));
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function load(extra: Record<string, unknown> = {}, responseMode = 'ack'): Promise<{ received: Record<string, any>[]; warnings: string[] }> {
    const flow = [
      { id: 'store', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.db') },
      { id: 'hook', type: 'webhook-in', path: '/odoo/partner', method: 'post', scheme: 'odoo', store: 'store', responseMode, contentTypes: 'application/json', wires: [['sink']], ...extra },
      { id: 'sink', type: 'helper' },
    ];
    await helper.load([webhookInNode, middlewareStoreNode, captureHttpNode, httpInModule], flow as never, { hook: { secret: TOKEN, previousSecret: OLD_TOKEN } });
    const received: Record<string, any>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, any>) => received.push(msg));
    const warnings: string[] = [];
    const hook = helper.getNode('hook') as unknown as { warn: (m: unknown) => void };
    const warn = hook.warn.bind(hook);
    hook.warn = (m: unknown) => {
      warnings.push(String(m));
      warn(m);
    };
    return { received, warnings };
  }

  it('accepts the token in the query: msg.payload is the body, msg.odoo = {model, id, action}, the token is nowhere in the message', async () => {
    const { received } = await load();
    const reply = await post(`/odoo/partner?token=${TOKEN}&source=odoo`, odooBody());
    assert.equal(reply.status, 202);
    await until(() => received.length === 1);
    const msg = received[0];
    assert.equal(msg.payload._model, 'res.partner');
    assert.equal(msg.payload.write_date, '2026-12-01 07:45:18.084537');
    assert.deepEqual(msg.odoo, { model: 'res.partner', id: 43, action: 'Send partner webhook(#354)' });
    assert.equal(msg.webhook.scheme, 'odoo');
    assert.equal(msg.webhook.verified, true);
    assert.equal(msg.webhook.deliveryId, 'res.partner:43:2026-12-01 07:45:18.084537');
    assert.equal(msg.req.url, '/odoo/partner?source=odoo');
    assert.deepEqual(msg.req.query, { source: 'odoo' });
    assert.ok(!JSON.stringify(msg).includes(TOKEN), 'no secret in the message');
  });

  it('accepts the token as the last path segment, and the previous token during a rotation', async () => {
    const { received } = await load();
    assert.equal((await post(`/odoo/partner/${TOKEN}`, odooBody())).status, 202);
    assert.equal((await post(`/odoo/partner/${OLD_TOKEN}`, odooBody({ write_date: '2026-12-01 07:46:00.000001' }))).status, 202);
    await until(() => received.length === 2);
    assert.equal(received[0].req.url, '/odoo/partner');
    assert.ok(!JSON.stringify(received).includes(TOKEN) && !JSON.stringify(received).includes(OLD_TOKEN));
  });

  it('refuses a missing or wrong token with 401 before reading the body as Odoo', async () => {
    const { received, warnings } = await load();
    const missing = await post('/odoo/partner', odooBody());
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'WEBHOOK_SIGNATURE_MISSING');
    const wrong = await post('/odoo/partner?token=guess', odooBody());
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'WEBHOOK_SIGNATURE_INVALID');
    assert.equal((await post('/odoo/partner/guess', odooBody())).status, 401);
    assert.equal(received.length, 0);
    assert.ok(warnings.every((w) => !w.includes('guess')), 'the presented token is not logged');
  });

  it("counts Odoo's 13 repeated POSTs of one create as one event; a new write_date is a new event", async () => {
    const { received } = await load();
    const replies = [];
    for (let i = 0; i < 13; i++) replies.push(await post(`/odoo/partner?token=${TOKEN}`, odooBody()));
    assert.equal(replies[0].status, 202);
    for (const r of replies.slice(1)) assert.deepEqual([r.status, r.body.duplicate], [200, true]);
    assert.equal((await post(`/odoo/partner?token=${TOKEN}`, odooBody({ write_date: '2026-12-01 07:47:02.500000' }))).status, 202);
    await until(() => received.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 2);
  });

  it('refuses a body that is not Odoo (400) and, deduplicating, one without write_date (422)', async () => {
    const { received } = await load();
    const notOdoo = await post(`/odoo/partner?token=${TOKEN}`, JSON.stringify({ id: 1 }));
    assert.equal(notOdoo.status, 400);
    assert.equal(notOdoo.body.error.code, 'WEBHOOK_NOT_ODOO_EVENT');
    const noDate = await post(`/odoo/partner?token=${TOKEN}`, JSON.stringify({ _model: 'res.partner', _id: 1, id: 1 }));
    assert.equal(noDate.status, 422);
    assert.equal(noDate.body.error.code, 'WEBHOOK_ODOO_WRITE_DATE_MISSING');
    assert.match(noDate.body.error.message, /write_date/);
    assert.equal(received.length, 0);
  });

  it('flow mode: an event the flow answered 5xx is not marked seen, so a later POST of it goes through', async () => {
    const { received } = await load({ responseTimeout: 5 }, 'flow');
    const first = post(`/odoo/partner?token=${TOKEN}`, odooBody());
    await until(() => received.length === 1);
    received[0].res._res.status(503).json({ failed: true });
    assert.equal((await first).status, 503);
    const second = post(`/odoo/partner?token=${TOKEN}`, odooBody());
    await until(() => received.length === 2);
    received[1].res._res.status(200).json({ ok: true });
    assert.equal((await second).status, 200);
    const third = await post(`/odoo/partner?token=${TOKEN}`, odooBody());
    assert.deepEqual([third.status, third.body.duplicate], [200, true]);
  });

  it('ack mode with a durable inbox: msg.odoo comes through the bus, the stored event holds no token, repeats are refused', async () => {
    const flow = [
      { id: 'store', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.db') },
      { id: 'bus', type: 'event-bus', backend: 'sqlite', path: path.join(dir, 'events.db') },
      { id: 'hook', type: 'webhook-in', path: '/odoo/inbox', method: 'post', scheme: 'odoo', store: 'store', responseMode: 'ack', inbox: 'bus', contentTypes: 'application/json', wires: [['acker']] },
      { id: 'acker', type: 'event-ack', action: 'ack', wires: [['sink']] },
      { id: 'sink', type: 'helper' },
    ];
    await helper.load([webhookInNode, middlewareStoreNode, busNode, ackNode, captureHttpNode, httpInModule], flow as never, { hook: { secret: TOKEN } });
    const received: Record<string, any>[] = [];
    helper.getNode('sink').on('input', (msg: Record<string, any>) => received.push(msg));
    const first = await post(`/odoo/inbox?token=${TOKEN}`, odooBody());
    assert.equal(first.status, 202);
    assert.ok(first.body.eventId, 'answered once the event is on the bus');
    const repeat = await post(`/odoo/inbox?token=${TOKEN}`, odooBody());
    assert.deepEqual([repeat.status, repeat.body.duplicate], [200, true]);
    await until(() => received.length === 1);
    assert.deepEqual(received[0].odoo, { model: 'res.partner', id: 43, action: 'Send partner webhook(#354)' });
    assert.equal(received[0].req.url, '/odoo/inbox');
    assert.ok(!fs.readFileSync(path.join(dir, 'events.db')).includes(TOKEN), 'the token is not on the bus');
  });

  it('warns that repeats are not deduplicated without a store', async () => {
    const flow = [
      { id: 'hook', type: 'webhook-in', path: '/odoo/plain', method: 'post', scheme: 'odoo', responseMode: 'ack', contentTypes: 'application/json', wires: [['sink']] },
      { id: 'sink', type: 'helper' },
    ];
    const logged: string[] = [];
    await helper.load([webhookInNode, captureHttpNode], flow as never, { hook: { secret: TOKEN } });
    helper.log().args.forEach((a: unknown[]) => logged.push(JSON.stringify(a)));
    assert.ok(logged.some((l) => l.includes('not deduplicated')), logged.join('\n'));
  });
});
