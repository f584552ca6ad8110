import assert from 'node:assert/strict';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../../sandbox';
import { ADMIN, DEMO, executeKw, json2, reply, request, rpc } from './helpers';

const MISSING = 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)';

describe('sandbox: wire protocol', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb.close());

  describe('/web/version', () => {
    it('answers GET and POST with the version info', async () => {
      for (const method of ['GET', 'POST']) {
        const r = await reply(request(sb.url, '/web/version', { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined }));
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
        assert.deepEqual(r.body, { version_info: [19, 0, 0, 'final', 0, ''], version: '19.0' });
      }
    });

    it('answers /web/webclient/version_info in a JSON-RPC envelope', async () => {
      const r = await reply(request(sb.url, '/web/webclient/version_info', { headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":4,"params":{}}' }));
      assert.deepEqual(r.body, {
        jsonrpc: '2.0',
        id: 4,
        result: { server_version: '19.0', server_version_info: [19, 0, 0, 'final', 0, ''], server_serie: '19.0', protocol_version: 1 },
      });
    });

    it('answers an unknown path with an HTML 404', async () => {
      const r = await reply(request(sb.url, '/nope', { method: 'GET' }));
      assert.equal(r.status, 404);
      assert.match(String(r.headers['content-type']), /^text\/html/);
    });
  });

  describe('JSON-2 errors (reference table)', () => {
    const expectError = async (
      r: { status: number; body: unknown; headers: Record<string, unknown> },
      status: number,
      name: string,
      message: string | RegExp,
    ): Promise<void> => {
      assert.equal(r.status, status);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      const body = r.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['name', 'message', 'arguments', 'context', 'debug']);
      assert.equal(body.name, name);
      if (typeof message === 'string') assert.equal(body.message, message);
      else assert.match(String(body.message), message);
      assert.deepEqual(body.context, {});
      assert.match(String(body.debug), /^Traceback \(most recent call last\):\n[\s\S]+\n/);
      assert.ok(String(body.debug).split('\n').length > 10, 'debug is a multi-line traceback');
    };

    it('wrong API key: 401, WWW-Authenticate: Bearer, arguments [msg, 401]', async () => {
      const r = await json2(sb, 'res.partner', 'search_read', { domain: [] }, { ...ADMIN, authorization: 'Bearer nope' });
      await expectError(r, 401, 'werkzeug.exceptions.Unauthorized', 'Invalid apikey');
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      assert.deepEqual((r.body as { arguments: unknown }).arguments, ['Invalid apikey', 401]);
    });

    it('no Authorization header: 401', async () => {
      const r = await json2(sb, 'res.partner', 'search_read', { domain: [] }, { 'content-type': 'application/json' });
      await expectError(r, 401, 'werkzeug.exceptions.Unauthorized', 'User not authenticated, use an API Key with a Bearer Authorization header.');
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    });

    it('accepts "bearer" in any case', async () => {
      const r = await json2(sb, 'res.partner', 'search_count', { domain: [] }, { ...ADMIN, authorization: `bEaReR ${SANDBOX_DEFAULTS.apiKey}` });
      assert.equal(r.status, 200);
    });

    it('AccessError: demo reads ir.config_parameter, writes res.company', async () => {
      await expectError(
        await json2(sb, 'ir.config_parameter', 'search_read', { domain: [] }, DEMO),
        403,
        'odoo.exceptions.AccessError',
        "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- Role / Administrator\n\nContact your administrator to request access if necessary.",
      );
      await expectError(
        await json2(sb, 'res.company', 'write', { ids: [1], vals: { name: 'x' } }, DEMO),
        403,
        'odoo.exceptions.AccessError',
        /^You are not allowed to modify 'Companies' \(res\.company\) records\./,
      );
      const read = await json2(sb, 'res.company', 'read', { ids: [1], fields: ['name'] }, DEMO);
      assert.equal(read.status, 200, 'demo may read companies');
    });

    it('private method: 403', async () => {
      await expectError(
        await json2(sb, 'res.partner', '_compute_display_name', { ids: [1] }),
        403,
        'odoo.exceptions.AccessError',
        "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely.",
      );
    });

    it('write/unlink of a missing id and create with a missing parent: 404 MissingError', async () => {
      await expectError(await json2(sb, 'res.partner', 'write', { ids: [999999], vals: { name: 'x' } }), 404, 'odoo.exceptions.MissingError', MISSING);
      await expectError(await json2(sb, 'res.partner', 'unlink', { ids: [999999] }), 404, 'odoo.exceptions.MissingError', MISSING);
      await expectError(await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'x', parent_id: 999999 }] }), 404, 'odoo.exceptions.MissingError', MISSING);
    });

    it('read of a missing id: 200 []', async () => {
      const r = await json2(sb, 'res.partner', 'read', { ids: [999999], fields: ['name'] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, []);
    });

    it('wrong model, wrong method, GET and bare /json/2: 404 NotFound', async () => {
      const model = await json2(sb, 'res.partnerx', 'search_read', { domain: [] });
      await expectError(model, 404, 'werkzeug.exceptions.NotFound', "the model 'res.partnerx' does not exist");
      assert.deepEqual((model.body as { arguments: unknown }).arguments, ["the model 'res.partnerx' does not exist", 404]);
      await expectError(await json2(sb, 'res.partner', 'no_such_method', {}), 404, 'werkzeug.exceptions.NotFound', "The method 'res.partner.no_such_method' does not exist");
      await expectError(await json2(sb, 'res.partner', 'action_confirm', {}), 404, 'werkzeug.exceptions.NotFound', "The method 'res.partner.action_confirm' does not exist");
      const get = await reply(request(sb.url, '/json/2/res.partner/search_read', { method: 'GET', headers: ADMIN }));
      await expectError(get, 404, 'werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?');
      const bare = await reply(request(sb.url, '/json/2', { headers: ADMIN, body: '{}' }));
      await expectError(bare, 404, 'werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?');
    });

    it('ValidationError: partner without a name, sale order without a customer: 422', async () => {
      await expectError(
        await json2(sb, 'res.partner', 'create', { vals_list: [{ email: 'x@example.com' }] }),
        422,
        'odoo.exceptions.ValidationError',
        'The operation cannot be completed: Contacts require a name',
      );
      await expectError(
        await json2(sb, 'sale.order', 'create', { vals_list: [{}] }),
        422,
        'odoo.exceptions.ValidationError',
        /^The operation cannot be completed: Missing required value for the field 'Customer' \(partner_id\)\.\nModel: 'Sales Order' \(sale\.order\)\n- create\/update: /,
      );
    });

    it('UserError: unlink the admin user: 422', async () => {
      await expectError(
        await json2(sb, 'res.users', 'unlink', { ids: [2] }),
        422,
        'odoo.exceptions.UserError',
        'You cannot delete the admin user because it is utilized in various places (such as security configurations,...). Instead, archive it.',
      );
    });

    it('ids to an @api.model method, missing argument, body as array: 422 UnprocessableEntity', async () => {
      await expectError(await json2(sb, 'res.partner', 'search_read', { ids: [1], domain: [] }), 422, 'werkzeug.exceptions.UnprocessableEntity', 'cannot call res.partner.search_read with ids');
      await expectError(await json2(sb, 'res.partner', 'search_read', ''), 422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'domain'");
      await expectError(await json2(sb, 'res.partner', 'search_read', []), 422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'domain'");
      await expectError(await json2(sb, 'res.partner', 'search', { domain: [], bogus: 1 }), 422, 'werkzeug.exceptions.UnprocessableEntity', "got an unexpected keyword argument 'bogus'");
    });

    it('invalid JSON body: 400 BadRequest with Python json text', async () => {
      await expectError(
        await json2(sb, 'res.partner', 'search_read', '{bad'),
        400,
        'werkzeug.exceptions.BadRequest',
        'could not parse the body as json: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
      );
    });

    it('bad domains and fields: 500 ValueError / TypeError', async () => {
      await expectError(await json2(sb, 'res.partner', 'search_read', { domain: [['nofield', '=', 1]] }), 500, 'builtins.ValueError', "Invalid field res.partner.nofield in condition ('nofield', '=', 1)");
      await expectError(await json2(sb, 'res.partner', 'search_read', { domain: [['name', '~~', 'x']] }), 500, 'builtins.ValueError', "Invalid operator in condition ('name', '~~', 'x')");
      await expectError(await json2(sb, 'res.partner', 'search_read', { domain: 'garbage' }), 500, 'builtins.TypeError', "Domain() invalid argument type for domain: 'garbage'");
      await expectError(await json2(sb, 'res.partner', 'search_read', { domain: [], fields: ['nofield'] }), 500, 'builtins.ValueError', "Invalid field 'nofield' on 'res.partner'");
      await expectError(await json2(sb, 'res.partner', 'search_read', { domain: [], bogus: 1 }), 500, 'builtins.TypeError', "BaseModel._read_format() got an unexpected keyword argument 'bogus'");
    });

    it('Content-Type text/plain: 415 with an HTML body', async () => {
      const r = await json2(sb, 'res.partner', 'search_read', '{"domain":[]}', { ...ADMIN, 'content-type': 'text/plain' });
      assert.equal(r.status, 415);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.text, /Request inferred type is compatible with \[&#39;http&#39;\] but &#39;\/json\/2\/&lt;__model__&gt;\/&lt;__method__&gt;&#39; is type=&#39;json2&#39;\./);
    });

    it('unknown X-Odoo-Database: 404 with an HTML body', async () => {
      const r = await json2(sb, 'res.partner', 'search_count', { domain: [] }, { ...ADMIN, 'x-odoo-database': 'nodb' });
      assert.equal(r.status, 404);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.text, /No database is selected and the requested URL was not found in the server-wide controllers\./);
      const ok = await json2(sb, 'res.partner', 'search_count', { domain: [] }, { ...ADMIN, 'x-odoo-database': 'odoo' });
      assert.equal(ok.status, 200);
    });
  });

  describe('JSON-RPC', () => {
    it('common.version, login, authenticate (false on a wrong password), db.list', async () => {
      assert.deepEqual((await rpc(sb, 'common', 'version', [])).result, {
        server_version: '19.0',
        server_version_info: [19, 0, 0, 'final', 0, ''],
        server_serie: '19.0',
        protocol_version: 1,
      });
      assert.equal((await rpc(sb, 'common', 'authenticate', ['odoo', 'admin', 'admin', {}])).result, 2);
      assert.equal((await rpc(sb, 'common', 'authenticate', ['odoo', 'admin', SANDBOX_DEFAULTS.apiKey, {}])).result, 2);
      const wrong = await rpc(sb, 'common', 'authenticate', ['odoo', 'admin', 'WRONG', {}]);
      assert.equal(wrong.result, false);
      assert.equal(wrong.error, undefined);
      assert.equal((await rpc(sb, 'common', 'login', ['odoo', 'admin', 'admin'])).result, 2);
      assert.equal((await rpc(sb, 'common', 'login', ['odoo', 'demo', 'demo'])).result, 6);
      assert.deepEqual((await rpc(sb, 'db', 'list', [])).result, ['odoo']);
    });

    it('echoes the request id and answers errors with HTTP 200, code 0 and "Odoo Server Error"', async () => {
      const envelope = await executeKw(sb, 'res.partner', 'write', [[999999], { name: 'x' }]);
      assert.equal(envelope.id, 1);
      assert.equal(envelope.jsonrpc, '2.0');
      assert.equal(envelope.error?.code, 0);
      assert.equal(envelope.error?.message, 'Odoo Server Error');
      assert.deepEqual(Object.keys(envelope.error?.data ?? {}), ['name', 'message', 'arguments', 'context', 'debug']);
      assert.equal(envelope.error?.data.name, 'odoo.exceptions.MissingError');
      assert.equal(envelope.error?.data.message, MISSING);
      const withStringId = await rpc(sb, 'common', 'version', [], 'abc');
      assert.equal(withStringId.id, 'abc');
    });

    const errorRows: Array<[string, () => Promise<unknown>, string, string | RegExp]> = [
      ['wrong password', () => executeKw(sb, 'res.partner', 'search', [[]], {}, { password: 'WRONG' }), 'odoo.exceptions.AccessDenied', 'Access Denied'],
      ['unknown db', () => executeKw(sb, 'res.partner', 'search', [[]], {}, { db: 'nodb' }), 'psycopg2.OperationalError', /database "nodb" does not exist\n$/],
      [
        'demo reads ir.config_parameter',
        () => executeKw(sb, 'ir.config_parameter', 'search_read', [[]], {}, { uid: 6, password: 'demo' }),
        'odoo.exceptions.AccessError',
        /^You are not allowed to access 'System Parameter' \(ir\.config_parameter\) records\./,
      ],
      ['ValidationError: write parent_id = self', () => executeKw(sb, 'res.partner', 'write', [[8], { parent_id: 8 }]), 'odoo.exceptions.ValidationError', 'You cannot create recursive Partner hierarchies.'],
      ['sale.order create {}', () => executeKw(sb, 'sale.order', 'create', [{}]), 'odoo.exceptions.ValidationError', /^The operation cannot be completed: Missing required value for the field 'Customer' \(partner_id\)\./],
      ['wrong model', () => executeKw(sb, 'res.partnerx', 'search', [[]]), 'odoo.exceptions.UserError', "Object res.partnerx doesn't exist"],
      ['wrong method', () => executeKw(sb, 'res.partner', 'no_such_method', [[]]), 'builtins.AttributeError', "The method 'res.partner.no_such_method' does not exist"],
      ['private method', () => executeKw(sb, 'res.partner', '_compute_display_name', [[1]]), 'odoo.exceptions.AccessError', "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."],
      ['bad field in domain', () => executeKw(sb, 'res.partner', 'search', [[['nofield', '=', 1]]]), 'builtins.ValueError', "Invalid field res.partner.nofield in condition ('nofield', '=', 1)"],
      ['bad operator', () => executeKw(sb, 'res.partner', 'search', [[['name', '~~', 'x']]]), 'builtins.ValueError', "Invalid operator in condition ('name', '~~', 'x')"],
      ['UserError', () => executeKw(sb, 'res.users', 'unlink', [[2]]), 'odoo.exceptions.UserError', /^You cannot delete the admin user/],
      ['unknown service', () => rpc(sb, 'nosvc', 'x', []), 'builtins.KeyError', 'nosvc'],
      ['missing argument', () => executeKw(sb, 'res.partner', 'search_read', []), 'builtins.TypeError', "BaseModel.search_read() missing 1 required positional argument: 'domain'"],
      ['unexpected kwarg', () => executeKw(sb, 'res.partner', 'search', [[]], { bogus: 1 }), 'builtins.TypeError', "BaseModel.search() got an unexpected keyword argument 'bogus'"],
    ];
    for (const [label, send, name, message] of errorRows) {
      it(`error row: ${label}`, async () => {
        const envelope = (await send()) as { error?: { code: number; data: { name: string; message: string; debug: string } } };
        assert.ok(envelope.error, 'an error envelope');
        assert.equal(envelope.error.code, 0);
        assert.equal(envelope.error.data.name, name);
        if (typeof message === 'string') assert.equal(envelope.error.data.message, message);
        else assert.match(envelope.error.data.message, message);
        assert.ok(envelope.error.data.debug.length > 0);
      });
    }

    it('AccessDenied carries a one-line debug, other errors a traceback', async () => {
      const denied = await executeKw(sb, 'res.partner', 'search', [[]], {}, { password: 'WRONG' });
      assert.equal(denied.error?.data.debug, 'odoo.exceptions.AccessDenied: Access Denied\n');
      const missing = await executeKw(sb, 'res.partner', 'unlink', [[999999]]);
      assert.match(missing.error?.data.debug ?? '', /^Traceback/);
    });

    it('execute_kw accepts the API key in place of the password', async () => {
      const envelope = await executeKw(sb, 'res.partner', 'search_count', [[]], {}, { password: SANDBOX_DEFAULTS.apiKey });
      assert.equal(typeof envelope.result, 'number');
    });

    it('invalid JSON: HTTP 200, id null, BadRequest', async () => {
      const r = await reply(request(sb.url, '/jsonrpc', { headers: { 'content-type': 'application/json' }, body: '{oops' }));
      assert.equal(r.status, 200);
      const body = r.body as { id: unknown; error: { data: { name: string } } };
      assert.equal(body.id, null);
      assert.equal(body.error.data.name, 'werkzeug.exceptions.BadRequest');
    });
  });

  describe('recording and stats', () => {
    it('records headers (lower-case), body, context, correlation id and traceparent', async () => {
      sb.clearRequests();
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await json2(sb, 'res.partner', 'search_count', { domain: [], context: { correlation_id: 'c-1', lang: 'en_US' } }, { ...ADMIN, 'X-Correlation-ID': 'c-1', traceparent });
      await executeKw(sb, 'res.partner', 'search_count', [[]], { context: { correlation_id: 'c-2' } });
      assert.equal(sb.requests.length, 2);
      const [first, second] = sb.requests;
      assert.equal(first.method, 'POST');
      assert.equal(first.path, '/json/2/res.partner/search_count');
      assert.equal(first.protocol, 'json2');
      assert.equal(first.headers['x-correlation-id'], 'c-1');
      assert.equal(first.correlationId, 'c-1');
      assert.equal(first.traceparent, traceparent);
      assert.deepEqual(first.context, { correlation_id: 'c-1', lang: 'en_US' });
      assert.equal(first.model, 'res.partner');
      assert.equal(first.odooMethod, 'search_count');
      assert.equal(first.uid, 2);
      assert.equal(first.status, 200);
      assert.deepEqual((first.body as { domain: unknown }).domain, []);
      assert.equal(second.protocol, 'jsonrpc');
      assert.equal(second.service, 'object');
      assert.equal(second.model, 'res.partner');
      assert.equal(second.odooMethod, 'search_count');
      assert.deepEqual(second.context, { correlation_id: 'c-2' });
    });

    it('stops and resumes recording; counts calls by endpoint and method', async () => {
      sb.clearRequests();
      const before = { ...sb.stats.byEndpoint };
      const calls = sb.stats.calls;
      sb.recordRequests(false);
      await json2(sb, 'res.partner', 'search_count', { domain: [] });
      sb.recordRequests(true);
      await reply(request(sb.url, '/web/version', { method: 'GET' }));
      assert.equal(sb.requests.length, 1);
      assert.equal(sb.requests[0].path, '/web/version');
      assert.equal(sb.stats.calls, calls + 2);
      assert.equal(sb.stats.byEndpoint['/json/2'], (before['/json/2'] ?? 0) + 1);
      assert.equal(sb.stats.byEndpoint['/web/version'], (before['/web/version'] ?? 0) + 1);
      assert.ok((sb.stats.byMethod['res.partner.search_count'] ?? 0) >= 1);
    });
  });
});

describe('sandbox: several databases', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ databases: ['alpha', 'beta'] });
  });
  after(() => sb.close());

  it('JSON-2 needs X-Odoo-Database and keeps databases apart', async () => {
    const none = await json2(sb, 'res.partner', 'search_count', { domain: [] });
    assert.equal(none.status, 404);
    assert.match(none.text, /No database is selected/);
    const alpha = { ...ADMIN, 'x-odoo-database': 'alpha' };
    const beta = { ...ADMIN, 'x-odoo-database': 'beta' };
    const created = await json2(sb, 'res.partner', 'create', { vals_list: { name: 'Only in alpha' } }, alpha);
    assert.equal(created.status, 200);
    const inAlpha = await json2(sb, 'res.partner', 'search_count', { domain: [['name', '=', 'Only in alpha']] }, alpha);
    const inBeta = await json2(sb, 'res.partner', 'search_count', { domain: [['name', '=', 'Only in alpha']] }, beta);
    assert.equal(inAlpha.body, 1);
    assert.equal(inBeta.body, 0);
    assert.deepEqual((await rpc(sb, 'db', 'list', [])).result, ['alpha', 'beta']);
  });
});
