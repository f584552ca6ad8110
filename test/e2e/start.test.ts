/**
 * `npm start` as a newcomer runs it: no Odoo configured and the sandbox port taken by something else (a local
 * Odoo), so the sandbox starts on a free port; no webhook secret or API token set, so demo ones are generated; the
 * shipped REST facade answers over real HTTP to its bearer token and the printed signed request to the shop webhook
 * is accepted.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, getJson, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';

const root = path.resolve(__dirname, '..', '..', '..');

describe('npm start (the shipped flows against the sandbox)', function () {
  this.timeout(90_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  const flowFile = path.join(root, 'flows', 'flows.json');
  let flowsBefore: string;
  let taken: net.Server;
  let takenPort: number;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-start-'));
    flowsBefore = fs.readFileSync(flowFile, 'utf8');
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as net.AddressInfo).port;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({ userDir, port, env: { SANDBOX_PORT: String(takenPort) }, unset: ['SHOP_WEBHOOK_SECRET', 'API_TOKEN'], ready: /the shipped endpoints:[\s\S]*\n\n/ });
  });

  /** The JSON headers with the demo bearer token npm start printed. */
  const withToken = (): Record<string, string> => {
    const token = /API_TOKEN is not set: using the demo token ([0-9a-f]+) /.exec(red?.output() ?? '')?.[1];
    assert.ok(token, red?.output());
    return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  };

  after(async function () {
    await red?.stop();
    taken.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('takes a free port when the sandbox port is in use, and says so in one line', function () {
    const out = red?.output() ?? '';
    assert.match(out, new RegExp(`port ${takenPort} is in use \\(a local Odoo\\?\\): the sandbox listens on port \\d+ instead`));
    assert.doesNotMatch(out, /EADDRINUSE/);
  });

  it('prints a request for every shipped HTTP endpoint', function () {
    const out = red?.output() ?? '';
    const flows = JSON.parse(flowsBefore) as Array<{ type: string; url?: string; path?: string; method?: string; d?: boolean }>;
    const routes = flows.filter((n) => !n.d && (n.type === 'http in' || n.type === 'webhook-in')).map((n) => `${(n.method ?? 'post').toUpperCase()} ${n.url ?? n.path}`);
    assert.ok(routes.length >= 4, routes.join(', '));
    for (const route of routes) assert.ok(out.includes(`# ${route}`), `no request printed for ${route}:\n${out}`);
  });

  it('every printed request succeeds as printed', async function () {
    const out = red?.output() ?? '';
    const commands = [...out.matchAll(/^ {2}curl -s (?:-X (\w+) )?'([^']+)'((?: -H '[^']*')*)(?: -d '(.*)')?$/gm)];
    assert.ok(commands.length >= 4, out);
    for (const [line, method, url, headerText, body] of commands) {
      const headers: Record<string, string> = {};
      for (const [, name, value] of (headerText ?? '').matchAll(/-H '([^:]+): ([^']*)'/g)) headers[name] = value;
      const answer = await getJson(url, { method: method ?? 'GET', headers, body });
      assert.ok(answer.status >= 200 && answer.status < 300, `${line}\n-> ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  });

  it('generates a demo webhook secret, and the printed signed request to the shop webhook is accepted', async function () {
    const out = red?.output() ?? '';
    assert.match(out, /SHOP_WEBHOOK_SECRET is not set: using the demo secret [0-9a-f]{48} for this run/);
    const curl = /curl -s -X POST '([^']*\/hooks\/shop-orders)' (.*) -d '(.*)'$/m.exec(out);
    assert.ok(curl, out);
    const headers: Record<string, string> = {};
    for (const [, name, value] of curl[2].matchAll(/-H '([^:]+): ([^']*)'/g)) headers[name] = value;
    assert.ok(headers['X-Signature']?.startsWith('sha256='), JSON.stringify(headers));
    const answer = await getJson(curl[1], { method: 'POST', headers, body: curl[3] });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal((answer.body as { accepted?: unknown }).accepted, true, 'on the inbox');
    // The same body under another signature is refused: the printed one is what made it through.
    const forged = await getJson(curl[1], { method: 'POST', headers: { ...headers, 'X-Signature': 'sha256=00' }, body: curl[3] });
    assert.equal(forged.status, 401);
  });

  it('generates a demo API token; without it or with another one the REST facade and Orders answer 401 and write nothing', async function () {
    const out = red?.output() ?? '';
    assert.match(out, /API_TOKEN is not set: using the demo token [0-9a-f]{48} for this run/);
    const name = `Refused ${Date.now()}`;
    const body = JSON.stringify({ name, email: 'refused@example.com' });
    for (const authorization of [undefined, 'Bearer wrong', `${withToken().authorization}x`, withToken().authorization.replace('Bearer ', '')]) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
      for (const [method, url] of [['POST', '/api/partners'], ['GET', `/api/partners?q=${encodeURIComponent(name)}`], ['POST', '/api/orders']]) {
        const answer = await getJson(`${base}${url}`, { method, headers, body: method === 'POST' ? body : undefined });
        assert.equal(answer.status, 401, `${method} ${url} with ${authorization}: ${JSON.stringify(answer.body)}`);
        assert.equal((answer.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
        assert.equal(answer.headers['www-authenticate'], 'Bearer');
      }
    }
    const found = await getJson(`${base}/api/partners?q=${encodeURIComponent(name)}`, { headers: withToken() });
    assert.deepEqual(found.body, [], 'a refused request wrote a partner');
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
      headers: withToken(),
      body: JSON.stringify({ name, email: 'facade@example.com' }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as { id: number }).id;
    assert.equal(typeof id, 'number');

    const found = await getJson(`${base}/api/partners?q=${encodeURIComponent(name)}`, { headers: withToken() });
    assert.equal(found.status, 200);
    const records = found.body as Array<{ id: number; name: string; email: string }>;
    assert.deepEqual(records.map((r) => [r.id, r.name, r.email]), [[id, name, 'facade@example.com']]);
  });

  it('GET /api/partners without q lists partners, at most 50', async function () {
    const { status, body } = await getJson(`${base}/api/partners`, { headers: withToken() });
    assert.equal(status, 200);
    assert.ok(Array.isArray(body) && body.length > 0 && body.length <= 50);
  });

  it('bad input answers a JSON error with a matching status, and the flow file is left untouched', async function () {
    const nameless = await getJson(`${base}/api/partners`, { method: 'POST', headers: withToken(), body: JSON.stringify({ email: 'x@example.com' }) });
    assert.equal(nameless.status, 422, JSON.stringify(nameless.body));
    assert.equal((nameless.body as { error: { kind: string } }).error.kind, 'validation');

    type Refusal = { error: { code: string; errors: Array<{ path: string; message: string }> } };
    const notObject = await getJson(`${base}/api/partners`, { method: 'POST', headers: withToken(), body: '["not a record"]' });
    assert.equal(notObject.status, 422, JSON.stringify(notObject.body));
    assert.equal((notObject.body as Refusal).error.code, 'MW_VALIDATION');
    assert.deepEqual((notObject.body as Refusal).error.errors, [{ path: '', message: 'must be object' }]);

    // An Odoo field name is not a Party property: refused before Odoo, naming the field.
    const unknown = await getJson(`${base}/api/partners`, { method: 'POST', headers: withToken(), body: JSON.stringify({ name: 'X', website: 'x.test' }) });
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.match(JSON.stringify((unknown.body as Refusal).error.errors), /website/);

    const broken = await getJson(`${base}/api/partners`, { method: 'POST', headers: withToken(), body: '{"name":' });
    assert.equal(broken.status, 400);
    assert.equal((broken.body as Refusal).error.code, 'MW_INVALID_JSON');

    assert.equal(fs.readFileSync(flowFile, 'utf8'), flowsBefore);
  });
});

describe('npm start with API_TOKEN set empty', function () {
  this.timeout(90_000);
  let userDir: string;
  let red: RunningProcess | undefined;

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('generates no token, and the REST facade and Orders refuse every request with 503 API_TOKEN_MISSING', async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-start-notoken-'));
    const port = await freePort();
    red = await startNpmStart({ userDir, port, env: { API_TOKEN: '' }, ready: /the shipped endpoints:[\s\S]*\n\n/ });
    assert.doesNotMatch(red.output(), /demo token/);
    for (const [method, url] of [['GET', '/api/partners'], ['POST', '/api/partners'], ['POST', '/api/orders']]) {
      const answer = await getJson(`http://127.0.0.1:${port}${url}`, { method, headers: { 'content-type': 'application/json', authorization: 'Bearer ' }, body: method === 'POST' ? '{}' : undefined });
      assert.equal(answer.status, 503, `${method} ${url}: ${JSON.stringify(answer.body)}`);
      assert.equal((answer.body as { error: { code: string } }).error.code, 'API_TOKEN_MISSING');
    }
  });
});
