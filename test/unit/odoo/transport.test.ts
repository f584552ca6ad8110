import assert from 'node:assert/strict';
import { createOdooClient, OdooError, type OdooClientWithState } from '../../../nodes/lib/odoo';
import { idleLimitMs } from '../../../nodes/lib/odoo/transport';
import { failure, freePort, json, startFakeServer, type FakeServer } from './fake-server';


describe('odoo client: transport', () => {
  let server: FakeServer;
  let client: OdooClientWithState | undefined;

  beforeEach(async () => {
    server = await startFakeServer();
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await server.close();
  });

  const json2 = (extra: Record<string, unknown> = {}) => {
    client = createOdooClient({ url: server.url, protocol: 'json2', apiKey: 'key', circuit: false, ...extra });
    return client;
  };

  it('sends JSON-2 requests with bearer key, database header and named args, and returns the bare result', async () => {
    server.handle((_req, res) => json(res, 200, [{ id: 15, name: 'Azure Interior' }]));
    const c = json2({ database: 'odoo' });
    const result = await c.call('res.partner', 'search_read', { domain: [['is_company', '=', true]], fields: ['name'], limit: 2 });
    assert.deepEqual(result, [{ id: 15, name: 'Azure Interior' }]);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/json/2/res.partner/search_read');
    assert.equal(req.headers.authorization, 'bearer key');
    assert.equal(req.headers['x-odoo-database'], 'odoo');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.body, { domain: [['is_company', '=', true]], fields: ['name'], limit: 2 });
  });

  it('omits X-Odoo-Database when no database is set', async () => {
    await json2().call('res.partner', 'search_count', { domain: [] });
    assert.equal(server.requests[0].headers['x-odoo-database'], undefined);
  });

  it('times out a call the server never answers, destroys the request and says the outcome is unknown', async () => {
    let serverSawClose = false;
    server.handle((_req, _res, raw) => {
      raw.socket.on('close', () => {
        serverSawClose = true;
      });
    });
    const started = Date.now();
    const err = await failure(json2({ timeoutMs: 150 }).call('res.partner', 'create', { vals_list: [{ name: 'x' }] }));
    assert.equal(err.kind, 'timeout');
    assert.equal(err.code, 'ODOO_TIMEOUT');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, true);
    assert.equal(err.cause.outcomeUnknown, true);
    assert.match(err.message, /within 150 ms for res\.partner\.create; the call may or may not have been applied/);
    assert.ok(Date.now() - started < 5000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(serverSawClose, true, 'the socket was destroyed');
  });

  it('reports a connection reset after the request was written as a network error with an unknown outcome', async () => {
    server.handle((_req, _res, raw) => raw.socket.destroy());
    const err = await failure(json2().call('res.partner', 'create', { vals_list: [{ name: 'x' }] }));
    assert.equal(err.kind, 'network');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, true);
    assert.match(err.message, /may or may not have been applied/);
  });

  it('reports a refused connection as a network error where nothing can have run', async () => {
    const port = await freePort();
    client = createOdooClient({ url: `http://127.0.0.1:${port}`, protocol: 'json2', apiKey: 'key', circuit: false });
    const err = await failure(client.call('res.partner', 'create', { vals_list: [{ name: 'x' }] }));
    assert.equal(err.kind, 'network');
    assert.equal(err.code, 'ODOO_NETWORK');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, false);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it('keeps at most `concurrency` calls in flight and runs the rest as slots free up', async () => {
    server.handle((req, res) => setTimeout(() => json(res, 200, req.body.n), 40));
    const c = json2({ concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => c.call('res.partner', 'search_count', { n })));
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(server.maxInFlight, 3);
    assert.ok(server.connections <= 3, `at most 3 sockets, saw ${server.connections}`);
  });

  it('defaults to 4 calls in flight', async () => {
    server.handle((_req, res) => setTimeout(() => json(res, 200, 1), 40));
    const c = json2();
    await Promise.all(Array.from({ length: 9 }, () => c.call('res.partner', 'search_count', { domain: [] })));
    assert.equal(server.maxInFlight, 4);
  });

  it('reuses one keep-alive socket for sequential calls', async () => {
    const c = json2();
    for (let i = 0; i < 5; i += 1) await c.call('res.partner', 'search_count', { domain: [] });
    assert.equal(server.requests.length, 5);
    assert.equal(server.connections, 1);
  });

  it('closes an idle socket a second before the keep-alive timeout the server announced, before the server does', async () => {
    // The server itself would keep the socket for 5 s (Node's default); it tells the client 2 s.
    let clientClosedAfterMs: number | undefined;
    server.handle((_req, res, raw) => {
      const answeredAt = Date.now();
      raw.socket.once('end', () => {
        clientClosedAfterMs = Date.now() - answeredAt;
      });
      json(res, 200, 1, { 'Keep-Alive': 'timeout=2' });
    });
    await json2().call('res.partner', 'search_count', { domain: [] });
    for (let waited = 0; clientClosedAfterMs === undefined && waited < 3_500; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.ok(clientClosedAfterMs !== undefined, 'the client kept the idle socket past the announced timeout');
    assert.ok(clientClosedAfterMs >= 900, `closed after ${clientClosedAfterMs} ms`);
    // The next call opens a new connection instead of reusing one the server may be closing.
    await client?.call('res.partner', 'search_count', { domain: [] });
    assert.equal(server.connections, 2);
  });

  it('lets a call on a reused socket run longer than the idle limit', async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls += 1;
      setTimeout(() => json(res, 200, calls, { 'Keep-Alive': 'timeout=2' }), calls === 1 ? 0 : 1_500);
    });
    const c = json2();
    await c.call('res.partner', 'search_count', { domain: [] });
    assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 2);
    assert.equal(server.connections, 1, 'the second call reused the socket');
  });

  it('reads the idle limit from the Keep-Alive header: its timeout less a second, 4 s without one, 10 min at most', () => {
    assert.equal(idleLimitMs('timeout=5'), 4_000);
    assert.equal(idleLimitMs('timeout=75, max=1000'), 74_000);
    assert.equal(idleLimitMs('max=100, timeout=3'), 2_000);
    assert.equal(idleLimitMs('timeout=1'), 0);
    assert.equal(idleLimitMs('timeout=86400'), 600_000);
    assert.equal(idleLimitMs(undefined), 4_000);
    assert.equal(idleLimitMs('max=100'), 4_000);
  });

  it('refuses an answer larger than maxResponseBytes as a protocol error', async () => {
    server.handle((_req, res) => json(res, 200, 'x'.repeat(5000)));
    const err = await failure(json2({ maxResponseBytes: 1000 }).call('res.partner', 'search_read', { domain: [] }));
    assert.equal(err.kind, 'protocol');
    assert.match(err.message, /larger than 1000 bytes/);
  });

  it('rejects queued calls when the client is closed and refuses new ones', async () => {
    server.handle((_req, res) => setTimeout(() => json(res, 200, 1), 100));
    const c = json2({ concurrency: 1 });
    const first = c.call('res.partner', 'search_count', { domain: [] }).catch((e: unknown) => e);
    const queued = c.call('res.partner', 'search_count', { domain: [] }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    c.close();
    const queuedErr = await queued;
    assert.ok(queuedErr instanceof OdooError);
    assert.equal(queuedErr.kind, 'network');
    assert.equal(queuedErr.outcomeUnknown, false);
    assert.match(queuedErr.message, /closed/);
    const firstErr = await first;
    assert.ok(firstErr instanceof OdooError, 'the in-flight call is cut, not left hanging');
    assert.equal(firstErr.outcomeUnknown, true);
    const late = await failure(c.call('res.partner', 'search_count', { domain: [] }));
    assert.match(late.message, /closed/);
    assert.equal(server.requests.length, 1);
  });
});
