import assert from 'node:assert/strict';
import { SANDBOX_DEFAULTS, SANDBOX_UIDS, startSandbox, type Sandbox } from '../../../sandbox';
import { ADMIN, DEMO, request, type Reply } from './helpers';

const FIELDS = JSON.stringify({ domain: [], fields: ['name', 'expiration_date', 'scope', 'user_id'] });
const bearer = (key: string) => ({ 'content-type': 'application/json', authorization: `bearer ${key}` });

async function reply(promise: Promise<unknown>): Promise<Reply> {
  const r = (await promise) as Reply;
  assert.ok('status' in r, JSON.stringify(r));
  return r;
}

describe('sandbox: API keys (res.users.apikeys)', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await startSandbox({ port: 0 });
  });
  afterEach(() => sb.close());

  it('lists every key to the admin and only its own to another user, as Odoo 19 does', async () => {
    const admin = await reply(request(sb.url, '/json/2/res.users.apikeys/search_read', { headers: ADMIN, body: FIELDS }));
    assert.equal(admin.status, 200);
    assert.deepEqual((admin.body as Array<{ user_id: unknown[] }>).map((k) => k.user_id[0]), [SANDBOX_UIDS.admin, SANDBOX_UIDS.demo]);
    assert.deepEqual(Object.keys((admin.body as object[])[0]).sort(), ['expiration_date', 'id', 'name', 'scope', 'user_id']);
    assert.equal((admin.body as Array<{ expiration_date: unknown }>)[0].expiration_date, false);
    const demo = await reply(request(sb.url, '/json/2/res.users.apikeys/search_read', { headers: DEMO, body: FIELDS }));
    assert.deepEqual((demo.body as Array<{ id: number; user_id: unknown[] }>).map((k) => [k.id, k.user_id[0]]), [[2, SANDBOX_UIDS.demo]]);
  });

  it('a key past its expiration date answers 401 Invalid apikey on JSON-2 and Access Denied on JSON-RPC', async () => {
    const { key } = sb.addApiKey({ uid: SANDBOX_UIDS.demo, expiresAt: Date.now() + 3 * 86_400_000 });
    const listed = await reply(request(sb.url, '/json/2/res.users.apikeys/search_read', { headers: bearer(key), body: FIELDS }));
    const mine = (listed.body as Array<{ id: number; expiration_date: string }>).find((k) => k.id === 3);
    assert.match(String(mine?.expiration_date), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    sb.setApiKeyExpiry(key, Date.now() - 1000);
    const expired = await reply(request(sb.url, '/json/2/res.partner/search_count', { headers: bearer(key), body: '{"domain":[]}' }));
    assert.equal(expired.status, 401);
    assert.equal((expired.body as { message: string }).message, 'Invalid apikey');
    assert.equal(expired.headers['www-authenticate'], 'Bearer');
    const rpc = await reply(
      request(sb.url, '/jsonrpc', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'object', method: 'execute_kw', args: [SANDBOX_DEFAULTS.database, SANDBOX_UIDS.demo, key, 'res.partner', 'search_count', [[]]] } }),
      }),
    );
    assert.equal((rpc.body as { error: { data: { name: string } } }).error.data.name, 'odoo.exceptions.AccessDenied');
  });

  it('a revoked key stops working at once and leaves the list', async () => {
    const { key } = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'rotation' });
    assert.equal((await reply(request(sb.url, '/json/2/res.partner/search_count', { headers: bearer(key), body: '{"domain":[]}' }))).status, 200);
    sb.revokeApiKey(key);
    assert.equal((await reply(request(sb.url, '/json/2/res.partner/search_count', { headers: bearer(key), body: '{"domain":[]}' }))).status, 401);
    const left = await reply(request(sb.url, '/json/2/res.users.apikeys/search_count', { headers: ADMIN, body: '{"domain":[]}' }));
    assert.equal(left.body, 2);
  });
});
