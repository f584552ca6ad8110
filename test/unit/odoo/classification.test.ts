import assert from 'node:assert/strict';
import { createOdooClient, OdooError, type OdooClientWithState } from '../../../nodes/lib/odoo';
import { html, json, rpcError, rpcResult, startFakeServer, type FakeServer } from './fake-server';
import { JSON2_ERROR_ROWS, JSONRPC_ERROR_ROWS, TRACEBACK } from './reference-captures';

async function callError(client: OdooClientWithState, model: string, method: string, args: Record<string, unknown> = {}): Promise<OdooError> {
  try {
    await client.call(model, method, args);
  } catch (err) {
    assert.ok(err instanceof OdooError, `expected an OdooError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call should have failed');
}

describe('odoo client: error classification of reference answers', () => {
  let server: FakeServer;
  let clients: OdooClientWithState[] = [];
  // With the traceback kept, so its trimming is checked too.
  const json2 = () => {
    const c = createOdooClient({ url: server.url, protocol: 'json2', apiKey: 'key', database: 'odoo', circuit: false, includeTraceback: true });
    clients.push(c);
    return c;
  };
  const jsonrpc = () => {
    const c = createOdooClient({ url: server.url, protocol: 'jsonrpc', login: 'admin', password: 'admin', database: 'odoo', circuit: false, includeTraceback: true });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startFakeServer();
  });
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
    server.requests.length = 0;
  });
  after(() => server.close());

  describe('JSON-2', () => {
    for (const row of JSON2_ERROR_ROWS) {
      it(`${row.case}: HTTP ${row.status} -> ${row.kind}`, async () => {
        server.handle((_req, res) => (typeof row.body === 'string' ? html(res, row.status, row.body, row.headers) : json(res, row.status, row.body, row.headers)));
        const err = await callError(json2(), 'res.partner', 'create', { vals_list: [{}] });
        assert.equal(err.kind, row.kind);
        assert.equal(err.code, `ODOO_${row.kind.toUpperCase()}`);
        assert.equal(err.retryable, row.retryable);
        assert.equal(err.status, row.status);
        assert.equal(err.model, 'res.partner');
        assert.equal(err.method, 'create');
        assert.equal(err.outcomeUnknown, false);
        assert.equal(err.retryAfterMs, row.retryAfterMs);
        assert.equal(err.cause.kind, row.kind);
        assert.equal(err.cause.retryable, row.retryable);
        if (typeof row.body === 'string') {
          assert.equal(err.odooName, undefined);
        } else {
          assert.equal(err.odooName, row.body.name);
          assert.equal(err.odooMessage, row.body.message);
          assert.ok(err.message.includes(String(row.body.message)), err.message);
          assert.ok(err.debug && err.debug.length <= 1001 && err.debug.endsWith('end of traceback'), 'debug keeps only the tail');
        }
      });
    }

    it('reads a person-friendly message for a ValidationError', async () => {
      server.handle((_req, res) => json(res, 422, { name: 'odoo.exceptions.ValidationError', message: 'The operation cannot be completed: Contacts require a name', arguments: [], context: {}, debug: TRACEBACK }));
      const err = await callError(json2(), 'res.partner', 'create', { vals_list: [{}] });
      assert.equal(err.message, 'Odoo rejected res.partner.create: The operation cannot be completed: Contacts require a name');
    });

    it('names the exception class of a server error and says the database is unknown for the HTML 404', async () => {
      server.handle((_req, res) => json(res, 500, { name: 'builtins.ValueError', message: "Invalid field 'nofield' on 'res.partner'", arguments: [], context: {}, debug: TRACEBACK }));
      const serverErr = await callError(json2(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(serverErr.message, "Odoo failed on res.partner.search_read: ValueError: Invalid field 'nofield' on 'res.partner'");
      const unknownDb = JSON2_ERROR_ROWS.find((r) => r.case.startsWith('unknown X-Odoo-Database'));
      server.handle((_req, res) => html(res, 404, String(unknownDb?.body)));
      const dbErr = await callError(json2(), 'res.partner', 'search_read', { domain: [] });
      assert.match(dbErr.message, /no such database/);
      assert.match(dbErr.message, /No database is selected/);
    });

    it('honours Retry-After given as an HTTP date', async () => {
      const at = new Date(Date.now() + 60_000).toUTCString();
      server.handle((_req, res) => html(res, 429, 'slow down', { 'Retry-After': at }));
      const err = await callError(json2(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'rate_limited');
      assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 50_000 && err.retryAfterMs <= 60_000, String(err.retryAfterMs));
    });

    it('reports a 200 answer that is not JSON (a login page, a proxy) as a protocol error', async () => {
      server.handle((_req, res) => html(res, 200, '<html><title>Odoo</title><body>Log in</body></html>'));
      const err = await callError(json2(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'protocol');
      assert.equal(err.retryable, false);
      assert.match(err.message, /not valid JSON/);
    });

    it('reports a redirect as a protocol error naming the target', async () => {
      server.handle((_req, res) => html(res, 301, '', { Location: 'https://erp.example.com/json/2/res.partner/search_read' }));
      const err = await callError(json2(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'protocol');
      assert.match(err.message, /redirect to https:\/\/erp\.example\.com/);
    });
  });

  describe('JSON-RPC', () => {
    for (const row of JSONRPC_ERROR_ROWS) {
      it(`${row.case} -> ${row.kind}`, async () => {
        server.handle((req, res) => {
          const { service, method } = req.body.params;
          if (service === 'common' && method === 'authenticate') rpcResult(res, req.body.id, 2);
          else rpcError(res, req.body.id, row.data, row.code ?? 0);
        });
        const err = await callError(jsonrpc(), 'res.partner', 'write', { ids: [999999], vals: { name: 'x' } });
        assert.equal(err.kind, row.kind);
        assert.equal(err.retryable, row.retryable);
        assert.equal(err.odooName, row.data.name);
        assert.equal(err.odooMessage, row.data.message);
        assert.equal(err.model, 'res.partner');
        assert.equal(err.method, 'write');
        assert.ok(err.message.includes(row.data.message.trim().split('\n')[0]), err.message);
      });
    }

    it('fails with "authentication failed" when common.authenticate answers false', async () => {
      server.handle((req, res) => rpcResult(res, req.body.id, false));
      const err = await callError(jsonrpc(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'auth');
      assert.equal(err.code, 'ODOO_AUTH');
      assert.match(err.message, /authentication failed/);
      assert.equal(server.requests.filter((r) => r.body?.params?.method === 'execute_kw').length, 0);
    });

    it('classifies a proxy 503 in front of /jsonrpc by its status', async () => {
      server.handle((_req, res) => html(res, 503, '<html><body>Service Unavailable</body></html>'));
      const err = await callError(jsonrpc(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'unavailable');
      assert.equal(err.retryable, true);
    });

    it('reports an envelope with neither result nor error as a protocol error', async () => {
      server.handle((req, res) => (req.body.params.method === 'authenticate' ? rpcResult(res, req.body.id, 2) : json(res, 200, { jsonrpc: '2.0', id: req.body.id })));
      const err = await callError(jsonrpc(), 'res.partner', 'search_read', { domain: [] });
      assert.equal(err.kind, 'protocol');
    });
  });
});
