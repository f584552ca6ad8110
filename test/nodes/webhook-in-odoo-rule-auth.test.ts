/**
 * The automation-rule endpoint behind webhook-in's "Create or update the rule in Odoo" button, under adminAuth in
 * a real Node-RED child process: it writes to Odoo with the deployed token, so only a user with write permission
 * may call it.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { startAdminAuthRed, type AdminAuthRed } from '../helpers/admin-auth';

describe('webhook-in automation-rule endpoint under adminAuth', function () {
  this.timeout(30000);
  let red: AdminAuthRed | undefined;
  const call = (token?: string) =>
    fetch(`${(red as AdminAuthRed).base}/webhook-in/hook/odoo-rule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ connection: 'none', model: 'res.partner', trigger: 'on_create', triggerFields: ['name'], fields: [] }),
    });

  before(async () => {
    red = await startAdminAuthRed({
      prefix: 'webhook-odoo-auth-',
      types: ['middleware-store', 'webhook-in'],
      flows: (dir) => [
        { id: 'f1', type: 'tab', label: 'auth' },
        { id: 'store', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
        { id: 'hook', type: 'webhook-in', z: 'f1', path: '/odoo/partner', method: 'post', scheme: 'odoo', secretEnv: 'ODOO_AUTH_TEST_TOKEN', store: 'store', responseMode: 'flow', contentTypes: 'application/json', wires: [[]] },
      ],
    });
  });
  after(() => red?.stop());

  it('answers 401 without credentials and to a read-only user', async () => {
    assert.equal((await call()).status, 401);
    assert.equal((await call(await (red as AdminAuthRed).tokenFor('viewer', 'read'))).status, 401);
  });

  it('lets an admin through to the checks (here: the deployed node has no token yet)', async () => {
    const reply = await call(await (red as AdminAuthRed).tokenFor('admin', '*'));
    assert.equal(reply.status, 409);
    const body = (await reply.json()) as { error: { message: string } };
    assert.match(body.error.message, /has no secret/);
  });
});
