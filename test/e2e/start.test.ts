/**
 * `npm start` as a newcomer runs it: no Odoo configured, so the sandbox starts and the shipped REST facade
 * answers over real HTTP.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, getJson, startProcess, type RunningProcess } from '../helpers/process';

const root = path.resolve(__dirname, '..', '..', '..');

describe('npm start (the shipped flows against the sandbox)', function () {
  this.timeout(90_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  const flowFile = path.join(root, 'flows', 'flows.json');
  let flowsBefore: string;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-start-'));
    flowsBefore = fs.readFileSync(flowFile, 'utf8');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SANDBOX_PORT: '0', NODE_RED_USER_DIR: userDir };
    for (const name of ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_PASSWORD', 'NODE_RED_ADMIN_PASSWORD']) delete env[name];
    red = await startProcess(process.execPath, [path.join(root, 'dist', 'scripts', 'start.js')], {
      env,
      ready: /Started flows/,
      timeoutMs: 60_000,
    });
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('starts the sandbox, warns that the editor is open, and loads this package with no error', function () {
    const out = red?.output() ?? '';
    assert.match(out, /Odoo sandbox listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /NODE_RED_ADMIN_PASSWORD is not set/);
    assert.doesNotMatch(out, /\[error\]/, out);
    assert.doesNotMatch(out, /Waiting for missing types/, out);
  });

  it('serves the editor with the nodes in the palette', async function () {
    const { status, body } = await getJson(`${base}/nodes`);
    assert.equal(status, 200);
    const types = (body as Array<{ module: string; types: string[] }>).filter((s) => s.module === 'node-red-contrib-odoo-middleware').flatMap((s) => s.types);
    for (const type of ['odoo-connection', 'odoo-read', 'odoo-write']) assert.ok(types.includes(type), `${type} is not in the palette`);
  });

  it('POST /api/partners creates a partner and GET /api/partners?q= finds it', async function () {
    const name = `Facade Test ${Date.now()}`;
    const created = await getJson(`${base}/api/partners`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, email: 'facade@example.com' }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as { id: number }).id;
    assert.equal(typeof id, 'number');

    const found = await getJson(`${base}/api/partners?q=${encodeURIComponent(name)}`);
    assert.equal(found.status, 200);
    const records = found.body as Array<{ id: number; name: string; email: string }>;
    assert.deepEqual(records.map((r) => [r.id, r.name, r.email]), [[id, name, 'facade@example.com']]);
  });

  it('GET /api/partners without q lists partners, at most 50', async function () {
    const { status, body } = await getJson(`${base}/api/partners`);
    assert.equal(status, 200);
    assert.ok(Array.isArray(body) && body.length > 0 && body.length <= 50);
  });

  it('bad input answers a JSON error with a matching status, and the flow file is left untouched', async function () {
    const nameless = await getJson(`${base}/api/partners`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.com' }) });
    assert.equal(nameless.status, 422, JSON.stringify(nameless.body));
    assert.equal((nameless.body as { error: { kind: string } }).error.kind, 'validation');

    type Refusal = { error: { code: string; errors: Array<{ path: string; message: string }> } };
    const notObject = await getJson(`${base}/api/partners`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["not a record"]' });
    assert.equal(notObject.status, 422, JSON.stringify(notObject.body));
    assert.equal((notObject.body as Refusal).error.code, 'MW_VALIDATION');
    assert.deepEqual((notObject.body as Refusal).error.errors, [{ path: '', message: 'must be object' }]);

    // An Odoo field name is not a Party property: refused before Odoo, naming the field.
    const unknown = await getJson(`${base}/api/partners`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'X', website: 'x.test' }) });
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.match(JSON.stringify((unknown.body as Refusal).error.errors), /website/);

    const broken = await getJson(`${base}/api/partners`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    assert.equal(broken.status, 400);
    assert.equal((broken.body as Refusal).error.code, 'MW_INVALID_JSON');

    assert.equal(fs.readFileSync(flowFile, 'utf8'), flowsBefore);
  });
});
