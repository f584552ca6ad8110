/**
 * The dead-letter endpoints under adminAuth, in a real Node-RED child process (test/helpers/admin-auth) loading
 * only the store and retry nodes.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';

describe('middleware-retry dead-letter endpoints under adminAuth', function () {
  this.timeout(30000);
  let red: AdminAuthRed | undefined;
  let base = '';

  const tokenFor = (username: 'admin' | 'viewer', scope: string) => (red as AdminAuthRed).tokenFor(username, scope);

  before(async () => {
    red = await startAdminAuthRed({
      prefix: 'mw-retry-auth-',
      types: ['middleware-store', 'middleware-retry'],
      flows: (dir) => [
        { id: 'f1', type: 'tab', label: 'auth' },
        { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
        { id: 'retry1', type: 'middleware-retry', z: 'f1', store: 'store1', maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100, multiplier: 2, maxTotalMs: 60000, unknownErrors: 'retry', replayRate: 10, wires: [[], []] },
      ],
    });
    base = red.base;
    // Flows start after RED.start resolves; wait until the retry node has registered with the endpoints.
    const token = await tokenFor('admin', '*');
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/odoo-middleware/dead-letters`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 200 && ((await res.json()) as { stores: number }).stores === 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the retry node never registered its store');
  });

  after(() => red?.stop());

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
