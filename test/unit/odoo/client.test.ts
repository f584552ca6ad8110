import assert from 'node:assert/strict';
import { createOdooClient, type CircuitState, type OdooClientWithState, type OdooConnectionOptions } from '../../../nodes/lib/odoo';
import { failure, html, json, rpcError, rpcResult, startFakeServer, type FakeServer, type SeenRequest } from './fake-server';


const isRpc = (req: SeenRequest, service: string, method: string) =>
  req.path === '/jsonrpc' && req.body?.params?.service === service && req.body?.params?.method === method;

/** A fake Odoo answering both protocols; `major` sets the version it reports. */
function odooLike(server: FakeServer, major: number, opts: { webVersion?: boolean } = {}): void {
  server.handle((req, res) => {
    if (req.path === '/web/version') {
      if (opts.webVersion === false) html(res, 404, '<html><body>Not Found</body></html>');
      else json(res, 200, { version_info: [major, 0, 0, 'final', 0, ''], version: `${major}.0` });
    } else if (req.path.startsWith('/json/2/')) {
      json(res, 200, req.path === '/json/2/res.users/search_read' ? [{ id: 2 }] : 'json2');
    } else if (isRpc(req, 'common', 'version')) {
      rpcResult(res, req.body.id, { server_version: `${major}.0`, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: `${major}.0`, protocol_version: 1 });
    } else if (isRpc(req, 'common', 'authenticate')) {
      rpcResult(res, req.body.id, 2);
    } else if (isRpc(req, 'db', 'list')) {
      rpcResult(res, req.body.id, ['only']);
    } else {
      rpcResult(res, req.body.id, 'jsonrpc');
    }
  });
}

describe('odoo client: protocols, correlation, validation, circuit', () => {
  let server: FakeServer;
  let clients: OdooClientWithState[] = [];
  const make = (options: Partial<OdooConnectionOptions>, now?: () => number) => {
    const c = createOdooClient({ url: server.url, protocol: 'auto', ...options }, { now });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startFakeServer();
  });
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await server.close();
  });

  describe('auto protocol', () => {
    it('uses JSON-2 on Odoo 19 with an API key and probes the version only once', async () => {
      odooLike(server, 19);
      const c = make({ apiKey: 'key', login: 'admin' });
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 'json2');
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 'json2');
      assert.equal(c.protocol, 'json2');
      assert.equal(server.requests.filter((r) => r.path === '/web/version').length, 1);
      assert.equal(server.requests.filter((r) => r.path === '/web/version')[0].method, 'GET');
    });

    it('uses JSON-RPC on Odoo 17 even with an API key, passing the key as the password', async () => {
      odooLike(server, 17);
      const c = make({ apiKey: 'key', login: 'admin', database: 'odoo' });
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 'jsonrpc');
      assert.equal(c.protocol, 'jsonrpc');
      const auth = server.requests.find((r) => isRpc(r, 'common', 'authenticate'));
      assert.deepEqual(auth?.body.params.args, ['odoo', 'admin', 'key', {}]);
    });

    it('uses JSON-RPC on Odoo 19 without an API key', async () => {
      odooLike(server, 19);
      const c = make({ login: 'admin', password: 'admin', database: 'odoo' });
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 'jsonrpc');
    });

    it('falls back to common.version when /web/version is missing', async () => {
      odooLike(server, 19, { webVersion: false });
      const c = make({ apiKey: 'key' });
      const report = await c.test();
      assert.deepEqual(report, { version: '19.0', protocol: 'json2' });
      assert.ok(server.requests.some((r) => isRpc(r, 'common', 'version')));
    });

    it('test() reports version, protocol and uid for JSON-2 (looked up by login) and JSON-RPC (authenticate)', async () => {
      odooLike(server, 19);
      assert.deepEqual(await make({ apiKey: 'key', login: 'admin' }).test(), { version: '19.0', protocol: 'json2', uid: 2 });
      const lookup = server.requests.find((r) => r.path === '/json/2/res.users/search_read');
      assert.deepEqual(lookup?.body.domain, [['login', '=', 'admin']]);
      assert.deepEqual(await make({ protocol: 'jsonrpc', login: 'admin', password: 'admin', database: 'odoo' }).test(), { version: '19.0', protocol: 'jsonrpc', uid: 2 });
    });

    it('JSON-RPC without a database uses the only one the server lists', async () => {
      odooLike(server, 17);
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw' });
      await c.call('res.partner', 'search_count', { domain: [] });
      const exec = server.requests.find((r) => isRpc(r, 'object', 'execute_kw'));
      assert.equal(exec?.body.params.args[0], 'only');
    });
  });

  describe('JSON-RPC calls', () => {
    it('maps named args to execute_kw positional args and sends the secret', async () => {
      odooLike(server, 17);
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      await c.call('res.partner', 'search_read', { domain: [['is_company', '=', true]], fields: ['name'], limit: 2 });
      const exec = server.requests.find((r) => isRpc(r, 'object', 'execute_kw'));
      assert.deepEqual(exec?.body.params.args, ['odoo', 2, 'pw', 'res.partner', 'search_read', [[['is_company', '=', true]], ['name'], 0, 2], {}]);
      assert.equal(exec?.body.jsonrpc, '2.0');
      assert.equal(exec?.body.method, 'call');
    });

    it('returns a list for create with one dict, like JSON-2', async () => {
      server.handle((req, res) => rpcResult(res, req.body.id, isRpc(req, 'common', 'authenticate') ? 2 : 45));
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      assert.deepEqual(await c.call('res.partner', 'create', { vals_list: { name: 'Single dict' } }), [45]);
    });

    it('authenticates once for many calls, including concurrent first calls', async () => {
      odooLike(server, 17);
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      await Promise.all([1, 2, 3].map(() => c.call('res.partner', 'search_count', { domain: [] })));
      await c.call('res.partner', 'search_count', { domain: [] });
      assert.equal(server.requests.filter((r) => isRpc(r, 'common', 'authenticate')).length, 1);
    });

    it('re-authenticates once when a cached uid is refused, then succeeds', async () => {
      let refuseNext = false;
      server.handle((req, res) => {
        if (isRpc(req, 'common', 'authenticate')) return rpcResult(res, req.body.id, 2);
        if (refuseNext) {
          refuseNext = false;
          return rpcError(res, req.body.id, { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied' });
        }
        return rpcResult(res, req.body.id, 7);
      });
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 7);
      refuseNext = true;
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 7);
      assert.equal(server.requests.filter((r) => isRpc(r, 'common', 'authenticate')).length, 2);
    });

    it('re-authenticates after an expired session (code 100) and fails with auth when refused again', async () => {
      let authCount = 0;
      let expired = false;
      server.handle((req, res) => {
        if (isRpc(req, 'common', 'authenticate')) {
          authCount += 1;
          return rpcResult(res, req.body.id, authCount === 1 ? 2 : false);
        }
        if (expired) return json(res, 200, { jsonrpc: '2.0', id: null, error: { code: 100, message: 'Odoo Session Expired', data: { name: 'odoo.http.SessionExpiredException', message: 'Session expired' } } });
        return rpcResult(res, req.body.id, 1);
      });
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      await c.call('res.partner', 'search_count', { domain: [] });
      expired = true;
      const err = await failure(c.call('res.partner', 'search_count', { domain: [] }));
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /authentication failed/);
      assert.equal(authCount, 2, 'one fresh login, no loop');
    });
  });

  describe('correlation', () => {
    it('sends X-Correlation-ID and traceparent and merges correlation_id into the context (JSON-2)', async () => {
      odooLike(server, 19);
      const c = make({ protocol: 'json2', apiKey: 'key' });
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await c.call('res.partner', 'search_read', { domain: [], context: { active_test: false } }, { correlationId: 'corr-1', traceparent, context: { lang: 'fr_FR' } });
      const [req] = server.requests;
      assert.equal(req.headers['x-correlation-id'], 'corr-1');
      assert.equal(req.headers.traceparent, traceparent);
      assert.deepEqual(req.body.context, { active_test: false, lang: 'fr_FR', correlation_id: 'corr-1' });
    });

    it('sends the same headers and context on JSON-RPC execute_kw', async () => {
      odooLike(server, 17);
      const c = make({ protocol: 'jsonrpc', login: 'admin', password: 'pw', database: 'odoo' });
      await c.call('res.partner', 'search_count', { domain: [] }, { correlationId: 'corr-2', context: { tz: 'UTC' } });
      const exec = server.requests.find((r) => isRpc(r, 'object', 'execute_kw'));
      assert.equal(exec?.headers['x-correlation-id'], 'corr-2');
      assert.deepEqual(exec?.body.params.args[6], { context: { tz: 'UTC', correlation_id: 'corr-2' } });
    });

    it('sends no context and no correlation headers when none is given', async () => {
      odooLike(server, 19);
      await make({ protocol: 'json2', apiKey: 'key' }).call('res.partner', 'search_count', { domain: [] });
      const [req] = server.requests;
      assert.equal(req.headers['x-correlation-id'], undefined);
      assert.equal(req.headers.traceparent, undefined);
      assert.deepEqual(req.body, { domain: [] });
    });
  });

  describe('input checks before any request', () => {
    const cases: Array<[string, unknown, unknown, unknown, unknown, string, RegExp]> = [
      ['empty model', '', 'search_read', {}, undefined, 'validation', /model must be an Odoo model name/],
      ['model with spaces', 'res partner', 'search_read', {}, undefined, 'validation', /model must be/],
      ['non-string method', 'res.partner', 42, {}, undefined, 'validation', /method must be a method name/],
      ['private method', 'res.partner', '_compute_display_name', {}, undefined, 'access', /Private methods \(such as 'res\.partner\._compute_display_name'\) cannot be called remotely/],
      ['args as an array', 'res.partner', 'search_read', [[]], undefined, 'validation', /args of res\.partner\.search_read must be an object/],
      ['context not an object', 'res.partner', 'search_read', { context: 'x' }, undefined, 'validation', /args\.context/],
      ['newline in correlation id', 'res.partner', 'search_read', {}, { correlationId: 'a\r\nX-Evil: 1' }, 'validation', /options\.correlationId/],
    ];
    for (const [name, model, method, args, options, kind, message] of cases) {
      it(`${name} -> ${kind}, no request`, async () => {
        const c = make({ protocol: 'json2', apiKey: 'key' });
        // Deliberately wrong types, as a flow may pass them.
        const err = await failure(c.call(model as string, method as string, args as Record<string, unknown>, options as undefined));
        assert.equal(err.kind, kind);
        assert.equal(err.retryable, false);
        assert.match(err.message, message);
        assert.equal(server.requests.length, 0);
      });
    }

    it('reports missing credentials as a configuration error without a request', async () => {
      const err = await failure(make({ protocol: 'json2' }).call('res.partner', 'search_count', { domain: [] }));
      assert.equal(err.kind, 'validation');
      assert.match(err.message, /JSON-2 needs an API key/);
      const bad = await failure(make({ url: 'erp.example.com', protocol: 'json2', apiKey: 'k' }).call('res.partner', 'search_count', {}));
      assert.match(bad.message, /url must start with http/);
      assert.equal(server.requests.length, 0);
    });

    it('reports a missing required named argument of a standard method on JSON-RPC', async () => {
      odooLike(server, 17);
      const err = await failure(make({ protocol: 'jsonrpc', login: 'a', password: 'b', database: 'odoo' }).call('res.partner', 'write', { ids: [1] }));
      assert.equal(err.kind, 'validation');
      assert.match(err.message, /write needs the named argument "vals"/);
    });
  });

  describe('circuit breaker wiring', () => {
    it('opens after consecutive retryable failures, fails fast, probes after the cool-down and closes', async () => {
      let clock = 1_000_000;
      let down = true;
      server.handle((_req, res) => (down ? html(res, 503, '<html>down</html>') : json(res, 200, 1)));
      const c = make({ protocol: 'json2', apiKey: 'key', circuit: { failureThreshold: 3, coolDownMs: 10_000 } }, () => clock);
      const states: CircuitState[] = [];
      const other: CircuitState[] = [];
      c.onCircuitChange((s) => states.push(s));
      const unsubscribe = c.onCircuitChange((s) => other.push(s));
      for (let i = 0; i < 3; i += 1) assert.equal((await failure(c.call('res.partner', 'search_count', { domain: [] }))).kind, 'unavailable');
      assert.equal(c.circuitState, 'open');
      unsubscribe();
      const fast = await failure(c.call('res.partner', 'search_count', { domain: [] }));
      assert.equal(fast.kind, 'circuit_open');
      assert.equal(fast.code, 'ODOO_CIRCUIT_OPEN');
      assert.equal(fast.retryable, true);
      assert.equal(fast.retryAfterMs, 10_000);
      assert.match(fast.message, /circuit open.*in 10 s/);
      assert.equal(server.requests.length, 3, 'the open circuit sent nothing');
      clock += 10_000;
      down = false;
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 1);
      assert.equal(c.circuitState, 'closed');
      assert.deepEqual(states, ['open', 'half_open', 'closed']);
      assert.deepEqual(other, ['open'], 'an unsubscribed listener hears nothing more');
    });

    it('announces half_open when the cool-down ends, without waiting for a call', async () => {
      server.handle((_req, res) => html(res, 502, 'bad gateway'));
      const c = make({ protocol: 'json2', apiKey: 'key', circuit: { failureThreshold: 1, coolDownMs: 100 } });
      const states: CircuitState[] = [];
      c.onCircuitChange((s) => states.push(s));
      await failure(c.call('res.partner', 'search_count', {}));
      // On a loaded machine the cool-down may already be over when the failure is seen.
      assert.equal(states[0], 'open');
      for (let waited = 0; states.length < 2 && waited < 5000; waited += 25) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(states, ['open', 'half_open']);
      assert.equal(server.requests.length, 1);
    });

    it('announces half_open even when its timer fires before the clock says the cool-down is over', async () => {
      server.handle((_req, res) => html(res, 502, 'bad gateway'));
      let lag = 0;
      const c = make({ protocol: 'json2', apiKey: 'key', circuit: { failureThreshold: 1, coolDownMs: 100 } }, () => Date.now() - lag);
      const states: CircuitState[] = [];
      c.onCircuitChange((s) => {
        states.push(s);
        // The wall clock steps back once the timer is set, as an NTP correction (or a timer firing a ms early) does.
        if (s === 'open') lag = 60;
      });
      await failure(c.call('res.partner', 'search_count', {}));
      for (let waited = 0; states.length < 2 && waited < 3000; waited += 25) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(states, ['open', 'half_open']);
    });

    it('does not count non-retryable failures', async () => {
      server.handle((_req, res) => json(res, 422, { name: 'odoo.exceptions.ValidationError', message: 'Contacts require a name', arguments: [], context: {}, debug: '' }));
      const c = make({ protocol: 'json2', apiKey: 'key', circuit: { failureThreshold: 2 } });
      for (let i = 0; i < 4; i += 1) assert.equal((await failure(c.call('res.partner', 'create', { vals_list: [{}] }))).kind, 'validation');
      assert.equal(c.circuitState, 'closed');
    });

    it('can be turned off', async () => {
      server.handle((_req, res) => html(res, 503, 'down'));
      const c = make({ protocol: 'json2', apiKey: 'key', circuit: false });
      for (let i = 0; i < 7; i += 1) assert.equal((await failure(c.call('res.partner', 'search_count', {}))).kind, 'unavailable');
      assert.equal(c.circuitState, 'closed');
      assert.equal(server.requests.length, 7);
    });
  });
});
