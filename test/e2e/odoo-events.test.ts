/**
 * Odoo as an event source, end to end on a real runtime: the editor's endpoint creates the automation rule in the
 * sandbox, a change in the sandbox reaches the flow through webhook-in (token in the URL), Odoo's repeats count
 * once, and a change whose POST was dropped (receiver down) is caught by the sweep, exactly once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { startSandbox, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import storeNode = require('../../nodes/middleware-store');
import webhookInNode = require('../../nodes/webhook-in');
import { adminKey, callSandbox, connection, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

const TOKEN = 'e2e-odoo-token';

let httpNode: http.RequestListener | undefined;
const captureHttpNode = (red: NodeAPI): void => {
  httpNode = red.httpNode as unknown as http.RequestListener;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await sleep(10);
  assert.ok(check(), `timed out waiting for ${what}`);
}
/** The sweep reads changes older than now to the second: wait until the current second is over. */
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 20);

describe('e2e: Odoo as an event source (sandbox -> webhook-in -> flow, and the sweep)', function () {
  this.timeout(20_000);
  let sb: Sandbox;
  let server: http.Server;
  let base = '';
  /** Receiver down: the sandbox's POST finds a closed door. */
  let down = false;
  let dir: string;
  let clockOffset = 0;

  before(async () => {
    await helper.startServer();
    server = http.createServer((req, res) => {
      if (down) req.socket.destroy();
      else if (httpNode) httpNode(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await helper.stopServer();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-events-e2e-'));
    down = false;
    // The seed data is two hours old: outside the sweep's first look-back.
    clockOffset = -2 * 3600_000;
    sb = await startSandbox({ now: () => Date.now() + clockOffset });
    clockOffset = 0;
  });
  afterEach(async () => {
    await helper.unload();
    await sb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function load(): Promise<{ events: Msg[]; swept: Msg[] }> {
    const flow = [
      { id: 'f1', type: 'tab' },
      connection(sb.url),
      { id: 'store', type: 'middleware-store', z: 'f1', backend: 'sqlite', path: path.join(dir, 'store.db') },
      { id: 'hook', type: 'webhook-in', z: 'f1', path: '/odoo/partner', method: 'post', scheme: 'odoo', store: 'store', odooNamespace: 'partners', responseMode: 'ack', contentTypes: 'application/json', wires: [['events']] },
      { id: 'events', type: 'helper', z: 'f1' },
      { id: 'sweep', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_read', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', fields: 'name,email', fieldsType: 'str', output: 'page', pageSize: 100, maxRecords: 10000, incremental: true, sweep: true, sweepStore: 'store', sweepNamespace: 'partners', sweepSettle: 0, sweepLookback: 3600, wires: [['swept']] },
      { id: 'swept', type: 'helper', z: 'f1' },
    ];
    await helper.load([connectionNode, readNode, storeNode, webhookInNode, captureHttpNode], flow as never, { ...adminKey, hook: { secret: TOKEN } });
    const events: Msg[] = [];
    const swept: Msg[] = [];
    helper.getNode('events').on('input', (m: Msg) => events.push(m));
    helper.getNode('swept').on('input', (m: Msg) => swept.push(m));
    return { events, swept };
  }

  const ruleRequest = (over: Record<string, unknown> = {}) => ({ connection: 'conn', model: 'res.partner', trigger: 'on_create_or_write', triggerFields: ['name', 'email'], fields: ['name', 'email'], url: `${base}/odoo/partner`, ...over });

  async function sweep(swept: Msg[]): Promise<number> {
    const before = swept.length;
    const node = helper.getNode('sweep');
    const finished = new Promise<void>((resolve) => {
      const original = node.status.bind(node);
      node.status = ((s: { text?: string }) => {
        original(s as never);
        if (typeof s.text === 'string' && s.text.endsWith('missed')) resolve();
      }) as never;
    });
    node.receive({ payload: 'tick' });
    await finished;
    return swept.length - before;
  }

  it('the editor button creates the rule once and updates it after; Odoo changes reach the flow once; a dropped POST is swept once', async () => {
    const { events, swept } = await load();

    const created = await helper.request().post('/webhook-in/hook/odoo-rule').send(ruleRequest()).expect(200);
    assert.equal(created.body.created, true);
    assert.ok(!JSON.stringify(created.body).includes(TOKEN), 'the token is not sent back to the editor');
    const updated = await helper.request().post('/webhook-in/hook/odoo-rule').send(ruleRequest({ fields: ['name', 'email', 'phone'] })).expect(200);
    assert.deepEqual([updated.body.created, updated.body.ruleId, updated.body.actionId], [false, created.body.ruleId, created.body.actionId]);
    const rules = await callSandbox<Array<Record<string, any>>>(sb, 'base.automation', 'search_read', { domain: [], fields: ['name', 'trigger', 'trigger_field_ids', 'action_server_ids'] });
    assert.equal(rules.length, 1, 'idempotent: one rule');
    assert.equal(rules[0].action_server_ids.length, 1, 'one webhook action');
    const [action] = await callSandbox<Array<Record<string, any>>>(sb, 'ir.actions.server', 'read', { ids: rules[0].action_server_ids, fields: ['state', 'webhook_url', 'webhook_field_ids'] });
    assert.equal(action.state, 'webhook');
    assert.equal(action.webhook_url, `${base}/odoo/partner?token=${TOKEN}`);
    assert.equal(action.webhook_field_ids.length, 4, 'name, email, phone and write_date');
    assert.equal(rules[0].trigger_field_ids.length, 2, 'trigger fields always set');

    // A change in Odoo -> webhook-in -> the flow.
    const [live] = await callSandbox<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Live Event', email: 'live@example.com' }] });
    await until(() => events.length === 1, 'the webhook event');
    assert.deepEqual(events[0].odoo, { model: 'res.partner', id: live, action: `Send res.partner to Node-RED(#${action.id})` });
    assert.equal((events[0].payload as Record<string, unknown>).name, 'Live Event');
    assert.equal(sb.webhooks.at(-1)?.status, 202);

    // Receiver down: Odoo commits, answers 200 and drops the event.
    down = true;
    const [dropped] = await callSandbox<number[]>(sb, 'res.partner', 'create', { vals_list: [{ name: 'Dropped Event', email: 'dropped@example.com' }] });
    assert.match(sb.webhooks.at(-1)?.error ?? '', /^Webhook call failed/);
    down = false;

    await nextSecond();
    assert.equal(await sweep(swept), 1, 'the sweep publishes only the dropped change');
    assert.deepEqual(swept[0].odoo, { model: 'res.partner', id: dropped, action: 'sweep', method: 'search_read', watermark: (swept[0].odoo as { watermark: unknown }).watermark });
    assert.equal((swept[0].payload as Record<string, unknown>)._model, 'res.partner');
    assert.equal((swept[0].payload as Record<string, unknown>).name, 'Dropped Event');
    assert.equal(await sweep(swept), 0, 'a second sweep publishes nothing');
    assert.equal(events.length, 1, 'the live event came once, by the webhook only');

    // A later change of the dropped record comes by webhook; the sweep then leaves it alone.
    await callSandbox(sb, 'res.partner', 'write', { ids: [dropped], vals: { email: 'back@example.com' } });
    await until(() => events.length === 2, 'the second webhook event');
    await nextSecond();
    assert.equal(await sweep(swept), 0);
  });

  it('says clearly when base_automation is not installed', async () => {
    await sb.close();
    sb = await startSandbox({ baseAutomation: false });
    await load();
    const reply = await helper.request().post('/webhook-in/hook/odoo-rule').send(ruleRequest()).expect(409);
    assert.equal(reply.body.error.code, 'ODOO_NOT_INSTALLED');
    assert.match(reply.body.error.message, /base_automation .* is not installed/);
  });

  it('refuses a rule without trigger fields and names unknown fields', async () => {
    await load();
    const none = await helper.request().post('/webhook-in/hook/odoo-rule').send(ruleRequest({ triggerFields: [] })).expect(400);
    assert.match(none.body.error.message, /trigger fields are required/);
    const unknown = await helper.request().post('/webhook-in/hook/odoo-rule').send(ruleRequest({ fields: ['name', 'no_such_field'] })).expect(400);
    assert.equal(unknown.body.error.message, 'res.partner has no field no_such_field');
    const rules = await callSandbox<unknown[]>(sb, 'base.automation', 'search_read', { domain: [], fields: ['name'] });
    assert.equal(rules.length, 0, 'nothing created');
  });
});
