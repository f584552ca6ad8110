/**
 * The preview endpoint under adminAuth. The test helper's admin app lets every request through, so this runs a
 * real embedded Node-RED with adminAuth in a child process, loading only the canonical-mapper node.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- bcryptjs ships with Node-RED, untyped here
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

const distNodes = path.resolve(__dirname, '..', '..', 'nodes');

const RUNTIME_SCRIPT = `
const http = require('http');
const express = require('express');
const RED = require('node-red');
const settings = JSON.parse(process.env.NR_SETTINGS);
const app = express();
const server = http.createServer(app);
RED.init(server, settings);
app.use(settings.httpAdminRoot, RED.httpAdmin);
server.listen(0, '127.0.0.1', () => {
  RED.start().then(() => console.log('PORT ' + server.address().port), (err) => { console.error(err); process.exit(1); });
});
`;

describe('canonical-mapper preview endpoint under adminAuth', function () {
  this.timeout(30000);
  let dir: string;
  let child: ChildProcess | undefined;
  let base = '';

  const body = JSON.stringify({ rules: [{ target: 'name', source: { kind: 'path', path: 'n' }, transforms: ['trim'] }], sample: { n: ' x ' } });
  const preview = (headers: Record<string, string> = {}) =>
    fetch(`${base}/canonical-mapper/preview`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  async function tokenFor(username: string, scope: string): Promise<string> {
    const res = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'secret' }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonical-mapper-auth-'));
    const nodesDir = path.join(dir, 'nodes');
    fs.mkdirSync(nodesDir);
    for (const file of ['canonical-mapper.js', 'canonical-mapper.html']) fs.symlinkSync(path.join(distNodes, file), path.join(nodesDir, file));
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify([{ id: 'f1', type: 'tab', label: 'auth' }, { id: 'm1', type: 'canonical-mapper', z: 'f1', mode: 'preset', preset: 'shopify-order', schemaType: 'canonical', schema: '', wires: [[], []] }]));
    const hash = bcrypt.hashSync('secret', 8);
    const settings = {
      userDir: dir,
      flowFile: 'flows.json',
      nodesDir: [nodesDir],
      httpAdminRoot: '/',
      httpNodeRoot: false,
      credentialSecret: false,
      logging: { console: { level: 'off' } },
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password: hash, permissions: '*' },
          { username: 'viewer', password: hash, permissions: 'read' },
        ],
      },
    };
    const proc = spawn(process.execPath, ['-e', RUNTIME_SCRIPT], {
      cwd: path.resolve(__dirname, '..', '..', '..'),
      env: { ...process.env, NR_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1]}`);
      });
      proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      proc.on('exit', (code) => reject(new Error(`Node-RED exited (${code}): ${err}`)));
    });
  });

  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without a token', async () => {
    assert.equal((await preview()).status, 401);
    assert.equal((await fetch(`${base}/canonical-mapper/catalog`)).status, 401);
  });

  it('refuses a read-only user the preview (write permission) but lets it read the catalog', async () => {
    const viewer = await tokenFor('viewer', 'read');
    assert.equal((await preview({ authorization: `Bearer ${viewer}` })).status, 401);
    const catalog = await fetch(`${base}/canonical-mapper/catalog`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(catalog.status, 200);
  });

  it('runs the preview for an admin token', async () => {
    const admin = await tokenFor('admin', '*');
    const res = await preview({ authorization: `Bearer ${admin}` });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { output: { name: 'x' }, errors: [], canonical: { schema: 'custom', version: '' } });
  });

  it('serves the editor definition with its script from resources/', async () => {
    const admin = await tokenFor('admin', '*');
    const res = await fetch(`${base}/nodes`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/html' } });
    const html = await res.text();
    assert.match(html, /RED\.nodes\.registerType\('canonical-mapper'/);
    assert.match(html, /resources\/node-red-contrib-odoo-middleware\/canonical-mapper-editor\.js/);
  });
});
