import { strict as assert } from 'node:assert';
import { adminKey, caught, collect, connection, recordStatuses, tab, useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, SANDBOX_UIDS, startSandbox, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import writeNode = require('../../nodes/odoo-write');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

const out = [
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

function read(over: Record<string, unknown> = {}) {
  return { id: 'read', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']], ...over };
}

function write(over: Record<string, unknown> = {}) {
  return { id: 'write', type: 'odoo-write', z: 'f1', connection: 'conn', operation: 'create', model: 'res.partner', modelType: 'str', ids: 'odoo.ids', idsType: 'msg', chunkSize: 100, keyType: 'none', wires: [['ok'], ['bad']], ...over };
}

type CaughtError = { message: string; code: string; cause: Record<string, unknown> };

/** Sends `msg` to node `id` and resolves with what reaches `ok` or the Catch node, whichever comes first. */
function outcome(id: string, msg: Record<string, unknown>): Promise<{ ok?: Msg; error?: CaughtError }> {
  const done = new Promise<{ ok?: Msg; error?: CaughtError }>((resolve) => {
    void collect('ok', 1).then(([m]) => resolve({ ok: m }));
    void collect('errors', 1).then(([m]) => resolve({ error: m.error as CaughtError }));
  });
  helper.getNode(id).receive(msg as Msg);
  return done;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The shared test connection with extra settings. */
function conn(url: string, over: Record<string, unknown> = {}) {
  return { ...connection(url), ...over };
}

const sent = (sb: Sandbox, method: string) => sb.requests.filter((r) => r.odooMethod === method).length;

describe('odoo-connection policy through a real runtime and the sandbox', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));
  // A second load in the same test replaces the first flow.
  const load = async (policy: Record<string, unknown>, node: ReturnType<typeof read> | ReturnType<typeof write>) => {
    await helper.unload();
    await helper.load([connectionNode, readNode, writeNode, catchNode], [tab, conn(sb.url, policy), node, ...out, ...caught], adminKey);
  };

  it('allowWrite: a listed write goes through, another is refused before any request', async () => {
    await load({ allowWrite: 'res.partner:create' }, write());
    const created = await outcome('write', { payload: { name: 'Policy allowed' } });
    assert.equal(typeof created.ok?.payload, 'number');
    await load({ allowWrite: 'res.partner:create' }, write({ operation: 'unlink' }));
    sb.clearRequests();
    const refused = await outcome('write', { odoo: { ids: [created.ok?.payload] } });
    assert.equal(refused.error?.code, 'ODOO_POLICY');
    assert.equal(refused.error?.cause.kind, 'policy');
    assert.equal(refused.error?.cause.retryable, false);
    assert.match(String(refused.error?.message), /allowWrite refused res\.partner\.unlink/);
    assert.equal(sb.requests.length, 0, 'nothing reached Odoo');
  });

  it('allowRead: a listed read goes through, another model is refused', async () => {
    await load({ allowRead: 'res.partner:search_count' }, read());
    assert.equal(typeof (await outcome('read', { payload: 1 })).ok?.payload, 'number');
    await load({ allowRead: 'res.partner:search_count' }, read({ model: 'res.country' }));
    sb.clearRequests();
    const refused = await outcome('read', { payload: 1 });
    assert.match(String(refused.error?.message), /allowRead refused res\.country\.search_count/);
    assert.equal(sent(sb, 'search_count'), 0);
  });

  it('readOnly: reads go through, a create is refused', async () => {
    await load({ readOnly: true }, read());
    assert.equal(typeof (await outcome('read', { payload: 1 })).ok?.payload, 'number');
    await load({ readOnly: true }, write());
    sb.clearRequests();
    const refused = await outcome('write', { payload: { name: 'Never written' } });
    assert.match(String(refused.error?.message), /readOnly refused res\.partner\.create/);
    assert.equal(sent(sb, 'create'), 0);
  });

  it('maxRecords: a batch within the limit is written, a bigger one is refused whole', async () => {
    await load({ maxRecords: 2 }, write());
    const two = await outcome('write', { payload: [{ name: 'Max 1' }, { name: 'Max 2' }] });
    assert.equal((two.ok?.payload as unknown[]).length, 2);
    sb.clearRequests();
    const three = await outcome('write', { payload: [{ name: 'Max 3' }, { name: 'Max 4' }, { name: 'Max 5' }] });
    assert.match(String(three.error?.message), /maxRecords refused res\.partner\.create: 3 records in one call, at most 2/);
    assert.equal(sent(sb, 'create'), 0);
  });

  it('environment: the label ends the status of a node on the connection', async () => {
    await load({ environment: 'staging' }, read());
    const seen = recordStatuses('read');
    await outcome('read', { payload: 1 });
    await waitFor(() => seen.some((s) => /records? · staging$/.test(String(s.text))), 2000, 'a status with the label');
    assert.equal(seen.at(-1)?.fill, 'green');
  });

  it('a malformed allow-list fails every call with the reason instead of allowing everything', async () => {
    await load({ allowWrite: 'res.partner:create:oops' }, write());
    sb.clearRequests();
    const refused = await outcome('write', { payload: { name: 'x' } });
    assert.match(String(refused.error?.message), /allowWrite entry "res\.partner:create:oops"/);
    assert.equal(sb.requests.length, 0);
  });
});

describe('Odoo traceback in msg.error', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));
  const badDomain = read({ operation: 'search_read', domain: '[["nofield","=",1]]', fields: 'name', fieldsType: 'str' });

  it('is absent by default: Catch sees the error without the server traceback', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), badDomain, ...out, ...caught], adminKey);
    const { error } = await outcome('read', { payload: 1 });
    assert.equal(error?.cause.kind, 'server');
    assert.equal(error?.cause.debug, undefined);
    assert.doesNotMatch(JSON.stringify(error), /Traceback/);
    const logged = (helper.log().args as unknown[][]).map((a) => a[0] as { level: number; msg: unknown });
    assert.ok(logged.some((e) => e.level === 50 && /Odoo traceback of res.partner.search_read: .*odoo\/http\.py/s.test(String(e.msg))), 'the traceback is logged at debug level');
  });

  it('is present when the connection ticks includeTraceback', async () => {
    await helper.load([connectionNode, readNode, catchNode], [tab, conn(sb.url, { includeTraceback: true }), badDomain, ...out, ...caught], adminKey);
    const { error } = await outcome('read', { payload: 1 });
    assert.match(String(error?.cause.debug), /Traceback|ValueError/);
  });
});

describe('API key expiry and rotation against the sandbox', function () {
  let sb: Sandbox;
  useSandbox((started) => (sb = started));
  const warnings = () =>
    (helper.log().args as unknown[][]).map((a) => a[0] as { level: number; msg: unknown }).filter((e) => e.level === 30).map((e) => String(e.msg));

  it('warns in the status of every node and in the log before the key expires', async () => {
    const { key } = sb.addApiKey({ uid: SANDBOX_UIDS.demo, expiresAt: Date.now() + 5 * 86_400_000 + 3_600_000 });
    await helper.load(
      [connectionNode, readNode, writeNode],
      [tab, conn(sb.url, { login: SANDBOX_DEFAULTS.demoLogin, keyExpiryWarnDays: 14 }), read(), write({ wires: [[], []] }), ...out],
      { conn: { apiKey: key } },
    );
    const readStatuses = recordStatuses('read');
    const writeStatuses = recordStatuses('write');
    await outcome('read', { payload: 1 });
    await waitFor(() => writeStatuses.some((s) => s.text === 'API key expires in 5 d'), 3000, 'the write node to show the warning');
    assert.deepEqual(writeStatuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'API key expires in 5 d' });
    await waitFor(() => readStatuses.some((s) => /records? · API key expires in 5 d$/.test(String(s.text))), 3000, 'the read node to show the warning');
    assert.ok(warnings().some((w) => /expires on .* in 5 day/.test(w)), JSON.stringify(warnings()));
  });

  it('after the expiry date an auth failure reads "API key expired"', async () => {
    const { key } = sb.addApiKey({ uid: SANDBOX_UIDS.demo, expiresAt: Date.now() + 1500 });
    await helper.load([connectionNode, readNode, catchNode], [tab, conn(sb.url, { login: SANDBOX_DEFAULTS.demoLogin }), read(), ...out, ...caught], { conn: { apiKey: key } });
    const statuses = recordStatuses('read');
    await outcome('read', { payload: 1 });
    await waitFor(() => statuses.some((s) => /API key expires in 0 d/.test(String(s.text))), 3000, 'the expiry to be read');
    await new Promise((r) => setTimeout(r, 1600));
    const { error } = await outcome('read', { payload: 2 });
    assert.equal(error?.cause.kind, 'auth');
    assert.match(String(error?.message), /API key expired on/);
    await waitFor(() => statuses.at(-1)?.text === 'authentication failed · API key expired', 2000, 'the expired status');
  });

  it('the second key takes over once the first is revoked, and the log warns once', async () => {
    const first = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'old' });
    const second = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'new' });
    await helper.load([connectionNode, readNode, catchNode], [tab, connection(sb.url), read(), ...out, ...caught], { conn: { apiKey: first.key, apiKey2: second.key } });
    assert.equal(typeof (await outcome('read', { payload: 1 })).ok?.payload, 'number');
    sb.revokeApiKey(first.key);
    sb.clearRequests();
    for (let i = 0; i < 3; i++) assert.equal(typeof (await outcome('read', { payload: i })).ok?.payload, 'number', `call ${i} answered`);
    const auth = sb.requests.filter((r) => r.odooMethod === 'search_count').map((r) => r.headers.authorization);
    assert.deepEqual(auth, [`bearer ${first.key}`, `bearer ${second.key}`, `bearer ${second.key}`, `bearer ${second.key}`]);
    assert.equal(warnings().filter((w) => /second key/.test(w)).length, 1);
  });

  it('the second key can come from an environment variable', async () => {
    const second = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'from env' });
    process.env.ODOO_TEST_KEY2 = second.key;
    try {
      await helper.load([connectionNode, readNode, catchNode], [tab, conn(sb.url, { apiKey2Env: 'ODOO_TEST_KEY2' }), read(), ...out, ...caught], { conn: { apiKey: 'revoked-long-ago' } });
      assert.equal(typeof (await outcome('read', { payload: 1 })).ok?.payload, 'number');
    } finally {
      delete process.env.ODOO_TEST_KEY2;
    }
  });
});

describe('an Odoo that accepts connections but never answers', function () {
  let silent: Sandbox;
  before(async () => {
    silent = await startSandbox({ port: 0, faults: { timeoutRate: 1 } });
  });
  after(() => silent.close());
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  it('opens the circuit once slow calls hold every slot, well before the timeout, and fails the waiting calls fast', async () => {
    // Scaled down: 0.3 s stands for the default 30 s slow-call period, 30 s for the 120 s timeout.
    await helper.load(
      [connectionNode, writeNode, catchNode],
      [tab, conn(silent.url, { timeout: 30, concurrency: 2, circuitThreshold: 3, circuitCoolDown: 30, slowCallSeconds: 0.3 }), write(), ...out, ...caught],
      adminKey,
    );
    const statuses = recordStatuses('write');
    const errors = collect('errors', 2);
    const started = Date.now();
    for (let i = 0; i < 4; i++) helper.getNode('write').receive({ payload: { name: `Silent ${i}` } } as Msg);
    const caughtErrors = await errors;
    const elapsed = Date.now() - started;
    assert.deepEqual(caughtErrors.map((m) => (m.error as CaughtError).code), ['ODOO_CIRCUIT_OPEN', 'ODOO_CIRCUIT_OPEN']);
    assert.ok(elapsed < 3000, `the circuit opened after ${elapsed} ms`);
    assert.ok(statuses.some((s) => s.text === 'circuit open'), JSON.stringify(statuses));
    assert.equal(silent.requests.filter((r) => r.odooMethod === 'create').length, 2, 'the waiting calls were never sent');
  });
});

describe('odoo-connection test endpoint guards', function () {
  let sb: Sandbox;
  let other: Sandbox;
  useSandbox((started) => (sb = started));
  before(async () => {
    other = await startSandbox({ port: 0 });
  });
  after(() => other.close());
  afterEach(() => {
    helper.settings({});
  });

  it('never sends the stored key to a URL other than the deployed one; a typed key may go there', async () => {
    await helper.load([connectionNode], [tab, connection(sb.url)], adminKey);
    other.clearRequests();
    const refused = await helper.request().post('/odoo-connection/conn/test').send({ url: other.url, protocol: 'json2', apiKey: '__PWRD__', password: '__PWRD__' }).expect(403);
    assert.equal(refused.body.error.code, 'ODOO_POLICY');
    assert.match(refused.body.error.message, /only sent to its deployed URL/);
    const omitted = await helper.request().post('/odoo-connection/conn/test').send({ url: other.url, protocol: 'json2' }).expect(403);
    assert.equal(omitted.body.error.kind, 'policy');
    assert.equal(other.requests.length, 0, 'the other server saw nothing');
    const typed = await helper.request().post('/odoo-connection/conn/test').send({ url: other.url, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, password: '' }).expect(200);
    assert.equal(typed.body.protocol, 'json2');
    const same = await helper.request().post('/odoo-connection/conn/test').send({ url: `${sb.url}/`, protocol: 'json2', apiKey: '__PWRD__', password: '__PWRD__' }).expect(200);
    assert.equal(same.body.version, '19.0', 'the deployed URL (trailing slash aside) gets the stored key');
  });

  it('reads only environment variables with an allowed prefix', async () => {
    process.env.ODOO_GUARD_KEY = SANDBOX_DEFAULTS.apiKey;
    process.env.GUARD_SECRET = SANDBOX_DEFAULTS.apiKey;
    try {
      await helper.load([connectionNode], [tab, connection(sb.url)], {});
      other.clearRequests();
      const byName = await helper.request().post('/odoo-connection/conn/test').send({ url: other.url, protocol: 'json2', apiKeyEnv: 'GUARD_SECRET' }).expect(403);
      assert.match(byName.body.error.message, /environment variable GUARD_SECRET \(allowed: ODOO_\*/);
      const byReference = await helper.request().post('/odoo-connection/conn/test').send({ url: other.url, protocol: 'json2', apiKey: '${GUARD_SECRET}' }).expect(403);
      assert.match(byReference.body.error.message, /GUARD_SECRET/);
      assert.equal(other.requests.length, 0);
      const allowed = await helper.request().post('/odoo-connection/conn/test').send({ url: sb.url, protocol: 'json2', apiKeyEnv: 'ODOO_GUARD_KEY' }).expect(200);
      assert.equal(allowed.body.protocol, 'json2');
    } finally {
      delete process.env.ODOO_GUARD_KEY;
      delete process.env.GUARD_SECRET;
    }
  });

  it('the prefixes and names come from the odooMiddleware settings', async () => {
    process.env.ERP_GUARD_KEY = SANDBOX_DEFAULTS.apiKey;
    process.env.ODOO_GUARD_KEY = SANDBOX_DEFAULTS.apiKey;
    try {
      helper.settings({ odooMiddleware: { envPrefixes: ['ERP_'], envNames: ['SPECIAL_KEY'] } } as Record<string, unknown>);
      await helper.load([connectionNode], [tab, connection(sb.url)], {});
      const erp = await helper.request().post('/odoo-connection/conn/test').send({ url: sb.url, protocol: 'json2', apiKeyEnv: 'ERP_GUARD_KEY' }).expect(200);
      assert.equal(erp.body.protocol, 'json2');
      const odoo = await helper.request().post('/odoo-connection/conn/test').send({ url: sb.url, protocol: 'json2', apiKeyEnv: 'ODOO_GUARD_KEY' }).expect(403);
      assert.match(odoo.body.error.message, /allowed: ERP_\*, SPECIAL_KEY/);
    } finally {
      delete process.env.ERP_GUARD_KEY;
      delete process.env.ODOO_GUARD_KEY;
    }
  });
});

