import assert from 'node:assert/strict';
import { createOdooClient, type ClientLog, type OdooClientWithState, type OdooConnectionOptions } from '../../../nodes/lib/odoo';
import { parsePolicy } from '../../../nodes/lib/odoo/policy';
import { failure, json, startFakeServer, type FakeServer } from './fake-server';

const TRACEBACK = 'Traceback (most recent call last):\n  File "/opt/odoo/odoo/http.py", line 2136, in _serve_db\nodoo.exceptions.ValidationError: Contacts require a name';

function recordingLog(): ClientLog & { debugs: string[]; warns: string[] } {
  const debugs: string[] = [];
  const warns: string[] = [];
  return { debugs, warns, debug: (t) => debugs.push(t), warn: (t) => warns.push(t) };
}

describe('odoo client: policy, traceback, slow calls, keys', () => {
  let server: FakeServer;
  let clients: OdooClientWithState[] = [];
  const make = (options: Partial<OdooConnectionOptions>, log?: ClientLog) => {
    const c = createOdooClient({ url: server.url, protocol: 'json2', apiKey: 'key-1', ...options }, { log });
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

  describe('policy', () => {
    it('a refused call never leaves the client; an allowed one does', async () => {
      const c = make({ policy: parsePolicy({ allowWrite: 'res.partner:create', readOnly: false, maxRecords: 2 }) });
      const refused = await failure(c.call('res.partner', 'unlink', { ids: [1] }));
      assert.equal(refused.code, 'ODOO_POLICY');
      assert.equal(refused.retryable, false);
      const tooMany = await failure(c.call('res.partner', 'create', { vals_list: [{}, {}, {}] }));
      assert.match(tooMany.message, /maxRecords/);
      assert.equal(server.requests.length, 0, 'nothing was sent');
      await c.call('res.partner', 'create', { vals_list: [{ name: 'a' }] });
      assert.deepEqual(server.requests.map((r) => r.path), ['/json/2/res.partner/create']);
    });

    it('a read-only connection refuses writes before any request', async () => {
      const c = make({ policy: parsePolicy({ readOnly: true }) });
      const err = await failure(c.call('sale.order', 'action_confirm', { ids: [1] }));
      assert.equal(err.kind, 'policy');
      assert.match(err.message, /readOnly refused sale\.order\.action_confirm/);
      assert.equal(server.requests.length, 0);
      await c.call('sale.order', 'search_count', { domain: [] });
      assert.equal(server.requests.length, 1);
    });
  });

  describe('Odoo traceback', () => {
    const failing = () => server.handle((_req, res) => json(res, 422, { name: 'odoo.exceptions.ValidationError', message: 'Contacts require a name', arguments: ['Contacts require a name'], context: {}, debug: TRACEBACK }));

    it('is kept out of the error by default and logged at debug level', async () => {
      failing();
      const log = recordingLog();
      const err = await failure(make({}, log).call('res.partner', 'create', { vals_list: [{}] }));
      assert.equal(err.kind, 'validation');
      assert.equal(err.debug, undefined);
      assert.equal('debug' in err.cause, false);
      assert.doesNotMatch(JSON.stringify({ ...err, cause: err.cause }), /opt\/odoo/);
      assert.equal(err.odooMessage, 'Contacts require a name');
      assert.equal(log.debugs.length, 1);
      assert.match(log.debugs[0], /res\.partner\.create: Traceback/);
    });

    it('stays in the error when includeTraceback is set', async () => {
      failing();
      const err = await failure(make({ includeTraceback: true }).call('res.partner', 'create', { vals_list: [{}] }));
      assert.match(String(err.cause.debug), /opt\/odoo\/odoo\/http\.py/);
      assert.equal(err.debug, TRACEBACK);
    });
  });

  describe('an Odoo that accepts connections but never answers', () => {
    it('opens the circuit after slow calls, long before the write timeout, and fails queued calls fast', async () => {
      server.handle(() => undefined); // accept, never answer
      const c = make({ timeoutMs: 20_000, concurrency: 2, circuit: { failureThreshold: 3, coolDownMs: 10_000, slowCallMs: 150 } });
      const started = Date.now();
      const calls = Array.from({ length: 4 }, (_, i) => failure(c.call('res.partner', 'create', { vals_list: [{ name: `p${i}` }] })));
      // Both slots held by slow calls: nothing else can get through, so the circuit opens then.
      const queued = await Promise.all(calls.slice(2));
      const elapsed = Date.now() - started;
      assert.equal(c.circuitState, 'open');
      assert.deepEqual(queued.map((e) => e.kind), ['circuit_open', 'circuit_open']);
      assert.ok(elapsed < 5000, `opened after ${elapsed} ms`);
      const next = await failure(c.call('res.partner', 'search_count', { domain: [] }));
      assert.equal(next.kind, 'circuit_open');
      assert.equal(server.requests.length, 2, 'only the two calls that took a slot were sent');
      c.close();
      await Promise.allSettled(calls);
    });

    it('consecutive slow reads open the circuit at the threshold, each read ending at the read timeout', async () => {
      server.handle(() => undefined);
      const c = make({ timeoutMs: 20_000, readTimeoutMs: 300, concurrency: 4, circuit: { failureThreshold: 2, coolDownMs: 10_000, slowCallMs: 100 } });
      const first = await failure(c.call('res.partner', 'search_read', { domain: [] }));
      assert.equal(first.kind, 'timeout');
      assert.match(first.message, /within 300 ms/);
      assert.equal(c.circuitState, 'closed', 'one slow call is not enough');
      await failure(c.call('res.partner', 'search_read', { domain: [] }));
      assert.equal(c.circuitState, 'open');
    });

    it('writes keep the longer timeout', async () => {
      server.handle(() => undefined);
      const c = make({ timeoutMs: 400, readTimeoutMs: 100, circuit: false });
      const started = Date.now();
      const err = await failure(c.call('res.partner', 'write', { ids: [1], vals: { name: 'x' } }));
      assert.match(err.message, /within 400 ms/);
      assert.ok(Date.now() - started >= 390);
    });
  });

  describe('second API key', () => {
    it('takes over after the first is refused, stays in use and is warned about once', async () => {
      server.handle((req, res) => {
        if (req.headers.authorization === 'bearer key-2') json(res, 200, 7);
        else json(res, 401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {}, debug: 'Traceback' }, { 'WWW-Authenticate': 'Bearer' });
      });
      const log = recordingLog();
      const c = make({ apiKey2: 'key-2' }, log);
      const results = await Promise.all([1, 2, 3].map(() => c.call('res.partner', 'search_count', { domain: [] })));
      assert.deepEqual(results, [7, 7, 7]);
      assert.equal(await c.call('res.partner', 'search_count', { domain: [] }), 7);
      const auth = server.requests.map((r) => r.headers.authorization);
      assert.equal(auth[auth.length - 1], 'bearer key-2');
      assert.equal(auth.filter((a) => a === 'bearer key-1').length, 3, 'the first key is not tried again once refused');
      assert.equal(log.warns.length, 1);
      assert.match(log.warns[0], /second key/);
    });

    it('without a second key an auth failure is reported as it is', async () => {
      server.handle((_req, res) => json(res, 401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' }));
      const err = await failure(make({}).call('res.partner', 'search_count', { domain: [] }));
      assert.equal(err.kind, 'auth');
      assert.equal(server.requests.length, 1);
    });
  });

  describe('API key expiry', () => {
    const DAY = 86_400_000;
    const odooDate = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

    function keys(rows: Array<Record<string, unknown>>): void {
      server.handle((req, res) => {
        if (req.path === '/json/2/res.users/search_read') json(res, 200, [{ id: 6 }]);
        else if (req.path === '/json/2/res.users.apikeys/search_read') json(res, 200, rows.filter((r) => JSON.stringify(req.body.domain) === '[]' || (r.user_id as number[])[0] === req.body.domain[0][2]));
        else json(res, 200, 1);
      });
    }

    it('reads the soonest expiry of the user\'s own keys and warns within the warning period', async () => {
      keys([
        { id: 1, expiration_date: odooDate(Date.now() + 2 * DAY), user_id: [2, 'Mitchell Admin'] },
        { id: 2, expiration_date: odooDate(Date.now() + 5 * DAY + 3_600_000), user_id: [6, 'Marc Demo'] },
        { id: 3, expiration_date: odooDate(Date.now() + 40 * DAY), user_id: [6, 'Marc Demo'] },
      ]);
      const log = recordingLog();
      const c = make({ login: 'demo', keyExpiryWarnDays: 14 }, log);
      const seen: unknown[] = [];
      c.onKeyExpiry((e) => seen.push(e.state));
      const expiry = await c.checkKeyExpiry();
      assert.equal(expiry.state, 'expiring');
      assert.equal(expiry.daysLeft, 5);
      assert.deepEqual(server.requests.find((r) => r.path.includes('apikeys'))?.body.domain, [['user_id', '=', 6]]);
      assert.deepEqual(seen, ['expiring']);
      assert.equal(log.warns.length, 1);
      assert.match(log.warns[0], /expires on .* in 5 day/);
      assert.equal((await make({ login: 'demo', keyExpiryWarnDays: 3 }).checkKeyExpiry()).state, 'ok');
    });

    it('a key without expiry date reports none; the check runs by itself after the first successful call', async () => {
      keys([{ id: 1, expiration_date: false, user_id: [6, 'Marc Demo'] }]);
      const c = make({ login: 'demo', keyExpiryWarnDays: 14 });
      const checked = new Promise((resolve) => c.onKeyExpiry(resolve));
      await c.call('res.partner', 'search_count', { domain: [] });
      assert.deepEqual(await checked, { state: 'none', key: 1 });
    });

    it('an auth failure after the expiry date says "API key expired"', async () => {
      keys([{ id: 1, expiration_date: odooDate(Date.now() - 60_000), user_id: [6, 'Marc Demo'] }]);
      const c = make({ login: 'demo', keyExpiryWarnDays: 14 });
      assert.equal((await c.checkKeyExpiry()).state, 'expired');
      server.handle((_req, res) => json(res, 401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' }));
      const err = await failure(c.call('res.partner', 'search_count', { domain: [] }));
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /^API key expired on \d{4}-/);
    });
  });
});
