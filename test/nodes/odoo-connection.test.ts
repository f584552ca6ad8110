import { strict as assert } from 'node:assert';
import type { Node } from 'node-red';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';
import { recordStatuses, tab, unreachableUrl, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import type { OdooClient } from '../../nodes/lib/odoo/types';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');

initRuntime();

function connection(over: Record<string, unknown> = {}) {
  return { id: 'conn', type: 'odoo-connection', name: 'sandbox', database: SANDBOX_DEFAULTS.database, protocol: 'json2', login: SANDBOX_DEFAULTS.login, timeout: 5, concurrency: 2, tlsVerify: true, ...over };
}

function read(over: Record<string, unknown> = {}) {
  return { id: 'read', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['out']], ...over };
}

const clientOf = (id = 'conn') => (helper.getNode(id) as Node & { client: OdooClient }).client;

describe('odoo-connection node', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));

  it('creates a working client and keeps credentials out of the flow configuration', async () => {
    await helper.load([connectionNode], [tab, connection({ url: sb.url })], { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } });
    const report = await clientOf().test();
    assert.equal(report.protocol, 'json2');
    assert.equal(report.version, '19.0');
    // The runtime's own view of the deployed flows (what it saves to flows.json): no secret in it.
    const flows = (helper as unknown as { _redNodes: { getFlows(): { flows: unknown[] } } })._redNodes.getFlows().flows;
    assert.doesNotMatch(JSON.stringify(flows), new RegExp(SANDBOX_DEFAULTS.apiKey));
    assert.equal((helper.getNode('conn') as Node<{ apiKey: string }>).credentials.apiKey, SANDBOX_DEFAULTS.apiKey);
  });

  it('resolves ${ENV_VAR} in url, database, login and credentials', async () => {
    process.env.ODOO_TEST_URL = sb.url;
    process.env.ODOO_TEST_DB = SANDBOX_DEFAULTS.database;
    process.env.ODOO_TEST_LOGIN = SANDBOX_DEFAULTS.login;
    process.env.ODOO_TEST_PASSWORD = SANDBOX_DEFAULTS.password;
    try {
      await helper.load(
        [connectionNode],
        [tab, connection({ url: '${ODOO_TEST_URL}', database: '${ODOO_TEST_DB}', login: '${ODOO_TEST_LOGIN}', protocol: 'jsonrpc' })],
        { conn: { password: '${ODOO_TEST_PASSWORD}' } },
      );
      sb.clearRequests();
      const report = await clientOf().test();
      assert.equal(report.protocol, 'jsonrpc');
      assert.equal(report.uid, 2, 'authenticated with the password from the environment');
    } finally {
      delete process.env.ODOO_TEST_URL;
      delete process.env.ODOO_TEST_DB;
      delete process.env.ODOO_TEST_LOGIN;
      delete process.env.ODOO_TEST_PASSWORD;
    }
  });

  it('takes blank secrets from the environment variables it names, keeping only the names in the flow', async () => {
    process.env.ODOO_TEST_API_KEY = SANDBOX_DEFAULTS.apiKey;
    try {
      await helper.load([connectionNode], [tab, connection({ url: sb.url, protocol: 'json2', apiKeyEnv: 'ODOO_TEST_API_KEY' })], {});
      const report = await clientOf().test();
      assert.equal(report.protocol, 'json2');
      const flows = (helper as unknown as { _redNodes: { getFlows(): { flows: unknown[] } } })._redNodes.getFlows().flows;
      assert.doesNotMatch(JSON.stringify(flows), new RegExp(SANDBOX_DEFAULTS.apiKey));
      assert.match(JSON.stringify(flows), /ODOO_TEST_API_KEY/);
    } finally {
      delete process.env.ODOO_TEST_API_KEY;
    }
  });

  it('a credential that is set wins over the variable it would fall back to', async () => {
    process.env.ODOO_TEST_API_KEY = 'not-the-key';
    try {
      await helper.load([connectionNode], [tab, connection({ url: sb.url, protocol: 'json2', apiKeyEnv: 'ODOO_TEST_API_KEY' })], { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } });
      assert.equal((await clientOf().test()).protocol, 'json2');
    } finally {
      delete process.env.ODOO_TEST_API_KEY;
    }
  });

  for (const removed of [false, true]) {
    it(`closes its client on close (removed: ${removed})`, async () => {
      await helper.load([connectionNode], [tab, connection({ url: sb.url })], { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } });
      const client = clientOf();
      await client.call('res.partner', 'search_count', { domain: [] });
      await (helper.getNode('conn') as Node & { close(removed: boolean): Promise<void> }).close(removed);
      await assert.rejects(client.call('res.partner', 'search_count', { domain: [] }), (err: unknown) => (err as { kind: string }).kind === 'network');
    });
  }

  it('the test endpoint reports version, protocol and uid for deployed and unsaved settings, or the error', async () => {
    await helper.load([connectionNode], [tab, connection({ url: sb.url })], { conn: { apiKey: SANDBOX_DEFAULTS.apiKey, password: SANDBOX_DEFAULTS.password } });
    const deployed = await helper.request().post('/odoo-connection/conn/test').send({}).expect(200);
    assert.equal(deployed.body.protocol, 'json2');
    assert.equal(deployed.body.version, '19.0');
    // Unsaved JSON-RPC settings; the editor sends __PWRD__ for a password it does not hold: the stored one is used.
    const unsaved = await helper
      .request()
      .post('/odoo-connection/conn/test')
      .send({ url: sb.url, database: 'odoo', protocol: 'jsonrpc', login: 'admin', apiKey: '__PWRD__', password: '__PWRD__' })
      .expect(200);
    assert.deepEqual([unsaved.body.protocol, unsaved.body.uid], ['jsonrpc', 2]);
    const wrong = await helper.request().post('/odoo-connection/conn/test').send({ url: sb.url, protocol: 'json2', apiKey: 'wrong' }).expect(200);
    assert.equal(wrong.body.error.kind, 'auth');
    assert.equal(typeof wrong.body.error.message, 'string');
  });

  it('nodes on the connection show "circuit open" when repeated failures open the circuit', async () => {
    await helper.load([connectionNode, readNode], [tab, connection({ url: await unreachableUrl() }), read(), { id: 'out', type: 'helper', z: 'f1' }], { conn: { apiKey: 'k' } });
    const seen = recordStatuses('read');
    // Each refused call fails fast; the default breaker opens after 5 consecutive retryable failures.
    for (let i = 0; i < 6 && !seen.some((s) => s.text === 'circuit open'); i++) {
      const before = seen.length;
      helper.getNode('read').receive({ payload: i } as Msg);
      await waitFor(() => seen.slice(before).some((s) => s.fill === 'red'), 3000);
    }
    assert.ok(seen.some((s) => s.text === 'circuit open'), `statuses seen: ${JSON.stringify(seen)}`);
  });
});

/** Admin auth is enforced by the real editor API (the test helper stubs it), so this runs Node-RED in a child process. */
describe('odoo-connection test endpoint with adminAuth', function () {
  this.timeout(30000);
  let red: AdminAuthRed | undefined;
  let base = '';

  before(async () => {
    red = await startAdminAuthRed({ prefix: 'odoo-conn-auth-', types: ['odoo-connection'] });
    base = red.base;
  });

  after(() => red?.stop());

  it('answers 401 without a token and runs the test with one', async () => {
    const anonymous = await fetch(`${base}/odoo-connection/abc/test`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
    const token = await (red as AdminAuthRed).tokenFor('admin', '*');
    const authorised = await fetch(`${base}/odoo-connection/abc/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ url: 'not a url', protocol: 'json2', apiKey: 'k' }),
    });
    assert.equal(authorised.status, 200);
    const body = (await authorised.json()) as { error: { kind: string } };
    assert.equal(body.error.kind, 'validation');
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
