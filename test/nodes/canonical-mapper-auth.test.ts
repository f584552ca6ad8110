/**
 * The preview endpoint under adminAuth, in a real Node-RED child process (test/helpers/admin-auth) loading only the
 * canonical-mapper node.
 */
import { strict as assert } from 'node:assert';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';

describe('canonical-mapper preview endpoint under adminAuth', function () {
  this.timeout(30000);
  let red: AdminAuthRed | undefined;
  let base = '';

  const body = JSON.stringify({ rules: [{ target: 'name', source: { kind: 'path', path: 'n' }, transforms: ['trim'] }], sample: { n: ' x ' } });
  const preview = (headers: Record<string, string> = {}) =>
    fetch(`${base}/canonical-mapper/preview`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  const tokenFor = (username: 'admin' | 'viewer', scope: string) => (red as AdminAuthRed).tokenFor(username, scope);

  before(async () => {
    red = await startAdminAuthRed({
      prefix: 'canonical-mapper-auth-',
      types: ['canonical-mapper'],
      flows: () => [{ id: 'f1', type: 'tab', label: 'auth' }, { id: 'm1', type: 'canonical-mapper', z: 'f1', mode: 'preset', preset: 'shopify-order', schemaType: 'canonical', schema: '', wires: [[], []] }],
    });
    base = red.base;
  });

  after(() => red?.stop());

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

  it('suggests rules only with write permission', async () => {
    const suggest = (headers: Record<string, string>) =>
      fetch(`${base}/canonical-mapper/suggest`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ sample: { email: 'ada@example.com' }, schema: 'party' }) });
    assert.equal((await suggest({})).status, 401);
    assert.equal((await suggest({ authorization: `Bearer ${await tokenFor('viewer', 'read')}` })).status, 401);
    const res = await suggest({ authorization: `Bearer ${await tokenFor('admin', '*')}` });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { rules: Array<{ target: string }> };
    assert.ok(body.rules.some((r) => r.target === 'email'), JSON.stringify(body));
  });

  it('serves the editor definition with its script from resources/', async () => {
    const admin = await tokenFor('admin', '*');
    const res = await fetch(`${base}/nodes`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/html' } });
    const html = await res.text();
    assert.match(html, /RED\.nodes\.registerType\('canonical-mapper'/);
    assert.match(html, /resources\/node-red-contrib-odoo-middleware\/canonical-mapper-editor\.js/);
  });
});
