/**
 * The dead-letter endpoints under adminAuth. The test helper's admin app has no auth layer (its RED.auth always
 * lets a request through), so this runs a real embedded Node-RED with adminAuth in a child process.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// bcryptjs ships with Node-RED (its adminAuth hashes), untyped here.
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

const distNodes = path.resolve(__dirname, '..', '..', 'nodes');

/** Embeds Node-RED as its docs describe (RED.init + httpAdmin on an express app) and prints the port. */
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

describe('middleware-retry dead-letter endpoints under adminAuth', function () {
  this.timeout(30000);
  let dir: string;
  let child: ChildProcess | undefined;
  let base = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-retry-auth-'));
    const nodesDir = path.join(dir, 'nodes');
    fs.mkdirSync(nodesDir);
    // Only the two node types under test, linked from the build.
    for (const file of ['middleware-store.js', 'middleware-store.html', 'middleware-retry.js', 'middleware-retry.html']) {
      fs.symlinkSync(path.join(distNodes, file), path.join(nodesDir, file));
    }
    const flows = [
      { id: 'f1', type: 'tab', label: 'auth' },
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
      { id: 'retry1', type: 'middleware-retry', z: 'f1', store: 'store1', maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100, multiplier: 2, maxTotalMs: 60000, unknownErrors: 'retry', replayRate: 10, wires: [[], []] },
    ];
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
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
    // Flows start after RED.start resolves; wait until the retry node has registered with the endpoints.
    const token = await tokenFor('admin', '*');
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/odoo-middleware/dead-letters`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 200 && ((await res.json()) as { stores: number }).stores === 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the retry node never registered its store');
  });

  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function tokenFor(username: string, scope: string): Promise<string> {
    const res = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'secret' }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('answers 401 without credentials, for reads and actions', async () => {
    assert.equal((await fetch(`${base}/odoo-middleware/dead-letters`)).status, 401);
    assert.equal((await fetch(`${base}/odoo-middleware/dead-letters/x`)).status, 401);
    const post = await fetch(`${base}/odoo-middleware/dead-letters/purge`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ olderThanDays: 0 }),
    });
    assert.equal(post.status, 401);
  });

  it('lets a read-only user list but not act; an admin token may act', async () => {
    const viewer = await tokenFor('viewer', 'read');
    const list = await fetch(`${base}/odoo-middleware/dead-letters`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(list.status, 200);
    assert.equal(((await list.json()) as { total: number }).total, 0);
    const purgeAs = (token: string) =>
      fetch(`${base}/odoo-middleware/dead-letters/purge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ olderThanDays: 0 }),
      });
    assert.equal((await purgeAs(viewer)).status, 401);
    const admin = await tokenFor('admin', '*');
    const res = await purgeAs(admin);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { purged: 0 });
  });

  it('serves the editor definition with the Dead letters sidebar script', async () => {
    const admin = await tokenFor('admin', '*');
    const res = await fetch(`${base}/nodes`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/html' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /RED\.nodes\.registerType\('middleware-retry'/);
    assert.match(html, /resources\/node-red-contrib-odoo-middleware\/dead-letters-sidebar\.js/);
  });
});
