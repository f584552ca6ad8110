/**
 * What the nodes rely on from Odoo, checked through the client against the sandbox (always, both protocols) and
 * against a real Odoo 19 when ODOO_URL, ODOO_DB, ODOO_LOGIN and ODOO_API_KEY (and optionally ODOO_PASSWORD for
 * JSON-RPC, ODOO_DEMO_LOGIN + ODOO_DEMO_API_KEY for access checks) are set. Records are created with a run id in
 * their names and unlinked in `after`.
 */
import assert from 'node:assert/strict';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import { createOdooClient, OdooError, type OdooClientWithState, type OdooConnectionOptions, type OdooErrorKind, type OdooProtocol } from '../../nodes/lib/odoo';
import { callWithPrecondition } from '../../nodes/lib/write/precondition';

interface Target {
  url: string;
  database: string;
  login: string;
  apiKey: string;
  password?: string;
  demo?: { login: string; apiKey: string; password?: string };
  sandbox?: Sandbox;
}

type PartnerRow = { id: number; name: string; email: string | false; is_company: boolean; parent_id: [number, string] | false };

const ODOO_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

async function expectKind(promise: Promise<unknown>, kind: OdooErrorKind): Promise<OdooError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OdooError, `expected an OdooError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} error, the call succeeded`);
}

function clientFor(target: Target, protocol: OdooProtocol, who: 'admin' | 'demo' | 'wrong' = 'admin'): OdooClientWithState {
  const base: OdooConnectionOptions = { url: target.url, database: target.database, protocol, timeoutMs: 30_000, circuit: false };
  if (who === 'wrong') return createOdooClient({ ...base, login: target.login, apiKey: 'wrong-key', password: 'wrong-password' });
  const creds = who === 'demo' ? target.demo : target;
  if (!creds) throw new Error('no demo credentials');
  return createOdooClient({ ...base, login: creds.login, apiKey: creds.apiKey, password: creds.password });
}

function defineContract(getTarget: () => Target, protocol: OdooProtocol, real: boolean): void {
  describe(`over ${protocol}`, () => {
    const runId = `ct-${protocol}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    const created: Record<string, number[]> = { 'sale.order': [], 'res.partner': [], 'product.product': [] };
    let client: OdooClientWithState;
    let target: Target;

    const track = (model: string, ids: number[]) => {
      created[model].push(...ids);
      return ids;
    };
    const createPartners = async (vals: Array<Record<string, unknown>>) => track('res.partner', await client.call<number[]>('res.partner', 'create', { vals_list: vals }));

    before(() => {
      target = getTarget();
      client = clientFor(target, protocol);
    });

    after(async () => {
      const orders = created['sale.order'];
      if (orders.length > 0) {
        // A confirmed order must be cancelled before Odoo lets it go.
        await client.call('sale.order', 'action_cancel', { ids: orders }).catch(() => undefined);
        await client.call('sale.order', 'unlink', { ids: orders }).catch((err: unknown) => console.warn(`could not remove sale.order ${orders.join(',')}: ${String(err)}`));
      }
      for (const model of ['res.partner', 'product.product']) {
        const ids = created[model];
        if (ids.length > 0) await client.call(model, 'unlink', { ids }).catch((err: unknown) => console.warn(`could not remove ${model} ${ids.join(',')}: ${String(err)}`));
      }
      client?.close();
    });

    it('test() reports the version, the protocol and the uid where the protocol knows it', async () => {
      const report = await client.test();
      assert.equal(report.protocol, protocol);
      assert.match(report.version, /^(saas~)?\d+\.\d/);
      assert.equal(typeof report.uid, 'number');
    });

    it('create: one dict gives a list of one id; a list gives one id per record, in order', async () => {
      const [single] = await createPartners([{ name: `${runId} single` }]);
      assert.equal(typeof single, 'number');
      const one = track('res.partner', await client.call<number[]>('res.partner', 'create', { vals_list: { name: `${runId} dict` } }));
      assert.equal(one.length, 1);
      assert.equal(typeof one[0], 'number');
      const batch = await createPartners([1, 2, 3].map((n) => ({ name: `${runId} batch ${n}`, email: `batch${n}@${runId}.example.com` })));
      assert.equal(batch.length, 3);
      const rows = await client.call<PartnerRow[]>('res.partner', 'read', { ids: batch, fields: ['name'] });
      assert.deepEqual(rows.map((r) => r.name), [`${runId} batch 1`, `${runId} batch 2`, `${runId} batch 3`]);
    });

    it('search_read returns exactly id + the requested fields, many2one as [id, name] or false', async () => {
      const [company] = await createPartners([{ name: `${runId} Company`, is_company: true }]);
      const [person] = await createPartners([{ name: `${runId} Person`, parent_id: company, email: `p@${runId}.example.com` }]);
      const rows = await client.call<PartnerRow[]>('res.partner', 'search_read', {
        domain: [['id', 'in', [company, person]]],
        fields: ['name', 'email', 'is_company', 'parent_id'],
        order: 'id asc',
      });
      assert.equal(rows.length, 2);
      for (const row of rows) assert.deepEqual(Object.keys(row).sort(), ['email', 'id', 'is_company', 'name', 'parent_id']);
      assert.equal(rows[0].id, company);
      assert.equal(rows[0].parent_id, false);
      assert.equal(rows[0].email, false);
      assert.equal(rows[0].is_company, true);
      assert.ok(Array.isArray(rows[1].parent_id));
      assert.equal(rows[1].parent_id[0], company);
      assert.equal(typeof rows[1].parent_id[1], 'string');
    });

    it('read returns the records asked for, [] for a missing id, datetimes as "YYYY-MM-DD HH:MM:SS"', async () => {
      const [id] = await createPartners([{ name: `${runId} read` }]);
      const rows = await client.call<Array<{ id: number; name: string; write_date: string }>>('res.partner', 'read', { ids: [id], fields: ['name', 'write_date'] });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, id);
      assert.match(rows[0].write_date, ODOO_DATETIME);
      assert.deepEqual(await client.call('res.partner', 'read', { ids: [999_999_999], fields: ['name'] }), []);
    });

    it('search returns ids, search_count a number that agrees with it', async () => {
      await createPartners([{ name: `${runId} counted a` }, { name: `${runId} counted b` }]);
      const domain = [['name', 'ilike', `${runId} counted`]];
      const ids = await client.call<number[]>('res.partner', 'search', { domain, order: 'id desc' });
      assert.equal(ids.length, 2);
      assert.ok(ids.every((i) => typeof i === 'number'));
      assert.ok(ids[0] > ids[1], 'order id desc');
      assert.equal(await client.call('res.partner', 'search_count', { domain }), 2);
    });

    it('pages with limit, offset and order id without gaps or duplicates', async () => {
      const ids = await createPartners([1, 2, 3, 4, 5].map((n) => ({ name: `${runId} page ${n}` })));
      const domain = [['name', 'ilike', `${runId} page`]];
      const seen: number[] = [];
      for (let offset = 0; ; offset += 2) {
        const page = await client.call<PartnerRow[]>('res.partner', 'search_read', { domain, fields: ['name'], limit: 2, offset, order: 'id asc' });
        seen.push(...page.map((r) => r.id));
        if (page.length < 2) break;
      }
      assert.deepEqual(seen, [...ids].sort((a, b) => a - b));
    });

    it('write returns true and the change reads back; unlink returns true and the record is gone', async () => {
      const [id] = await createPartners([{ name: `${runId} to change` }]);
      assert.equal(await client.call('res.partner', 'write', { ids: [id], vals: { name: `${runId} changed`, city: 'Namur' } }), true);
      const [row] = await client.call<Array<{ name: string; city: string }>>('res.partner', 'read', { ids: [id], fields: ['name', 'city'] });
      assert.equal(row.name, `${runId} changed`);
      assert.equal(row.city, 'Namur');
      const [gone] = await client.call<number[]>('res.partner', 'create', { vals_list: [{ name: `${runId} to delete` }] });
      assert.equal(await client.call('res.partner', 'unlink', { ids: [gone] }), true);
      assert.deepEqual(await client.call('res.partner', 'read', { ids: [gone], fields: ['name'] }), []);
    });

    it('fields_get describes the fields asked for with the attributes asked for', async () => {
      const fields = await client.call<Record<string, Record<string, unknown>>>('res.partner', 'fields_get', { allfields: ['name', 'email', 'parent_id'], attributes: ['type', 'string', 'relation'] });
      assert.deepEqual(Object.keys(fields).sort(), ['email', 'name', 'parent_id']);
      assert.equal(fields.name.type, 'char');
      assert.equal(typeof fields.name.string, 'string');
      assert.equal(fields.parent_id.type, 'many2one');
      assert.equal(fields.parent_id.relation, 'res.partner');
    });

    it('name_search returns [id, display name] pairs', async () => {
      const [id] = await createPartners([{ name: `${runId} Findable` }]);
      const found = await client.call<Array<[number, string]>>('res.partner', 'name_search', { name: `${runId} Findable`, limit: 5 });
      assert.ok(Array.isArray(found));
      const hit = found.find((pair) => pair[0] === id);
      assert.ok(hit, JSON.stringify(found));
      assert.equal(hit[1], `${runId} Findable`);
    });

    it('load upserts by external ID: the second load updates the record the first created', async () => {
      const xmlId = `__import__.${runId.replace(/-/g, '_')}`;
      const first = await client.call<{ ids: number[] | false; messages: unknown[] }>('res.partner', 'load', { fields: ['id', 'name'], data: [[xmlId, `${runId} loaded`]] });
      assert.deepEqual(first.messages, []);
      assert.ok(Array.isArray(first.ids) && first.ids.length === 1, JSON.stringify(first));
      track('res.partner', first.ids);
      const second = await client.call<{ ids: number[]; messages: unknown[] }>('res.partner', 'load', { fields: ['id', 'name'], data: [[xmlId, `${runId} reloaded`]] });
      assert.deepEqual(second.ids, first.ids);
      const [row] = await client.call<PartnerRow[]>('res.partner', 'read', { ids: first.ids, fields: ['name'] });
      assert.equal(row.name, `${runId} reloaded`);
    });

    it('sale.order lines follow x2many commands; action_confirm moves the order to "sale"', async () => {
      const [partner] = await createPartners([{ name: `${runId} Customer` }]);
      const [product] = track('product.product', await client.call<number[]>('product.product', 'create', { vals_list: [{ name: `${runId} Widget`, list_price: 10 }] }));
      const [order] = track(
        'sale.order',
        await client.call<number[]>('sale.order', 'create', {
          vals_list: [{ partner_id: partner, client_order_ref: runId, order_line: [[0, 0, { product_id: product, product_uom_qty: 2, price_unit: 10 }]] }],
        }),
      );
      const readOrder = async () => (await client.call<Array<{ order_line: number[]; state: string; amount_total: number }>>('sale.order', 'read', { ids: [order], fields: ['order_line', 'state', 'amount_total'] }))[0];
      let current = await readOrder();
      assert.equal(current.order_line.length, 1);
      assert.equal(current.state, 'draft');
      const [firstLine] = current.order_line;
      await client.call('sale.order', 'write', { ids: [order], vals: { order_line: [[0, 0, { product_id: product, product_uom_qty: 1, price_unit: 5 }], [1, firstLine, { product_uom_qty: 3 }]] } });
      current = await readOrder();
      assert.equal(current.order_line.length, 2);
      const lines = await client.call<Array<{ id: number; product_uom_qty: number }>>('sale.order.line', 'read', { ids: current.order_line, fields: ['product_uom_qty'] });
      assert.equal(lines.find((l) => l.id === firstLine)?.product_uom_qty, 3);
      await client.call('sale.order', 'write', { ids: [order], vals: { order_line: [[2, firstLine]] } });
      current = await readOrder();
      assert.equal(current.order_line.length, 1);
      assert.notEqual(current.order_line[0], firstLine);
      assert.equal(await client.call('sale.order', 'action_confirm', { ids: [order] }), true);
      assert.equal((await readOrder()).state, 'sale');
    });

    it('confirming a confirmed order is a user error; a call with a precondition skips it instead', async () => {
      const [partner] = await createPartners([{ name: `${runId} Confirmed twice` }]);
      const [order] = track('sale.order', await client.call<number[]>('sale.order', 'create', { vals_list: [{ partner_id: partner, client_order_ref: `${runId}-twice` }] }));
      const confirm = { model: 'sale.order', method: 'action_confirm', ids: [order], args: {}, domain: [['state', 'in', ['draft', 'sent']]] };
      assert.deepEqual(await callWithPrecondition(client, confirm, {}), { result: true, called: [order], skipped: [] });
      const err = await expectKind(client.call('sale.order', 'action_confirm', { ids: [order] }), 'user');
      assert.match(err.odooMessage ?? '', /not in a state requiring confirmation/);
      assert.deepEqual(await callWithPrecondition(client, confirm, {}), { result: null, called: [], skipped: [order] });
    });

    describe('errors', () => {
      it('a partner without a name -> validation', async () => {
        const err = await expectKind(client.call('res.partner', 'create', { vals_list: [{ email: `noname@${runId}.example.com` }] }), 'validation');
        assert.match(err.odooMessage ?? '', /Contacts require a name/);
      });

      it('a sale.order without a customer -> validation', async () => {
        const err = await expectKind(client.call('sale.order', 'create', { vals_list: [{}] }), 'validation');
        assert.match(err.odooMessage ?? '', /partner_id/);
      });

      it('write of a missing id -> missing', async () => {
        await expectKind(client.call('res.partner', 'write', { ids: [999_999_999], vals: { name: 'x' } }), 'missing');
      });

      it('unknown model and unknown method -> not_found', async () => {
        await expectKind(client.call('res.partnerx', 'search_read', { domain: [] }), 'not_found');
        await expectKind(client.call('res.partner', 'no_such_method', {}), 'not_found');
      });

      it('a domain on an unknown field -> server, not retryable', async () => {
        const err = await expectKind(client.call('res.partner', 'search_read', { domain: [['nofield', '=', 1]], fields: ['name'] }), 'server');
        assert.equal(err.retryable, false);
        assert.match(err.odooMessage ?? '', /nofield/);
      });

      it('a private method -> access', async () => {
        await expectKind(client.call('res.partner', '_compute_display_name', {}), 'access');
      });

      it('wrong credentials -> auth', async () => {
        const wrong = clientFor(target, protocol, 'wrong');
        try {
          await expectKind(wrong.call('res.partner', 'search_count', { domain: [] }), 'auth');
        } finally {
          wrong.close();
        }
      });

      it('a demo user reading ir.config_parameter -> access', async function () {
        if (!target.demo) {
          console.log('    (set ODOO_DEMO_LOGIN and ODOO_DEMO_API_KEY to check AccessError against this server)');
          this.skip();
        }
        const demo = clientFor(target, protocol, 'demo');
        try {
          const err = await expectKind(demo.call('ir.config_parameter', 'search_read', { domain: [], fields: ['key'] }), 'access');
          assert.match(err.odooMessage ?? '', /ir\.config_parameter/);
        } finally {
          demo.close();
        }
      });

      it('deleting the admin user -> user error (sandbox only: never tried on a real server)', async function () {
        if (real) this.skip();
        await expectKind(client.call('res.users', 'unlink', { ids: [2] }), 'user');
      });
    });

    it('the correlation id reaches Odoo as a header and in the call context (sandbox records it)', async function () {
      if (!target.sandbox) this.skip();
      const sandbox = target.sandbox;
      sandbox.clearRequests();
      await client.call('res.partner', 'search_count', { domain: [] }, { correlationId: `${runId}-corr`, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      const seen = sandbox.requests.find((r) => r.model === 'res.partner' && r.odooMethod === 'search_count');
      assert.ok(seen, 'the sandbox recorded the call');
      assert.equal(seen.correlationId, `${runId}-corr`);
      assert.equal(seen.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      assert.equal(seen.context?.correlation_id, `${runId}-corr`);
    });
  });
}

/** The sandbox's injected faults, as the retry and write nodes see them through the client. */
function defineFaultContract(getTarget: () => Target, protocol: OdooProtocol): void {
  describe(`injected faults over ${protocol} (sandbox)`, () => {
    let client: OdooClientWithState;
    let sandbox: Sandbox;
    const runId = `ctf-${protocol}-${Date.now().toString(36)}`;
    const partnersNamed = (name: string) => client.call<number[]>('res.partner', 'search', { domain: [['name', '=', name]] });

    before(async () => {
      const target = getTarget();
      sandbox = target.sandbox as Sandbox;
      client = createOdooClient({ url: target.url, database: target.database, protocol, login: target.login, apiKey: target.apiKey, password: target.password, timeoutMs: 400, circuit: false });
      // Authenticate and probe before faults are on, so each test sees exactly one faulty object call.
      await client.test();
    });
    afterEach(() => sandbox.setFaults({}));
    after(() => client.close());

    it('no answer -> timeout, outcome unknown, nothing committed', async () => {
      sandbox.setFaults({ timeoutRate: 1 });
      const name = `${runId} timeout`;
      const err = await expectKind(client.call('res.partner', 'create', { vals_list: [{ name }] }), 'timeout');
      assert.equal(err.outcomeUnknown, true);
      assert.equal(err.retryable, true);
      sandbox.setFaults({});
      assert.deepEqual(await partnersNamed(name), []);
    });

    it('committed then dropped -> network with outcome unknown, and the record exists', async () => {
      sandbox.setFaults({ commitThenDropRate: 1 });
      const name = `${runId} committed`;
      const err = await expectKind(client.call('res.partner', 'create', { vals_list: [{ name }] }), 'network');
      assert.equal(err.outcomeUnknown, true);
      sandbox.setFaults({});
      const ids = await partnersNamed(name);
      assert.equal(ids.length, 1);
      await client.call('res.partner', 'unlink', { ids });
    });

    it('dropped before running -> network with outcome unknown (the client cannot tell), nothing committed', async () => {
      sandbox.setFaults({ dropConnectionRate: 1 });
      const name = `${runId} dropped`;
      const err = await expectKind(client.call('res.partner', 'create', { vals_list: [{ name }] }), 'network');
      assert.equal(err.outcomeUnknown, true);
      sandbox.setFaults({});
      assert.deepEqual(await partnersNamed(name), []);
    });

    it('proxy 503 -> unavailable; 429 -> rate_limited with Retry-After; serialization failure -> concurrency', async () => {
      sandbox.setFaults({ unavailableRate: 1, unavailableRetryAfter: 3 });
      const unavailable = await expectKind(client.call('res.partner', 'search_count', { domain: [] }), 'unavailable');
      assert.equal(unavailable.status, 503);
      assert.equal(unavailable.retryAfterMs, 3000);
      sandbox.setFaults({ rateLimitedRate: 1 });
      const limited = await expectKind(client.call('res.partner', 'search_count', { domain: [] }), 'rate_limited');
      assert.equal(limited.retryAfterMs, 1000);
      sandbox.setFaults({ serializationFailureRate: 1 });
      const conflict = await expectKind(client.call('res.partner', 'write', { ids: [1], vals: { comment: 'x' } }), 'concurrency');
      assert.equal(conflict.retryable, true);
      assert.equal(conflict.outcomeUnknown, false);
    });
  });
}

describe('Odoo contract', () => {
  describe('against the sandbox', () => {
    let target: Target;
    before(async () => {
      const sandbox = await startSandbox({ port: 0 });
      target = {
        url: sandbox.url,
        database: SANDBOX_DEFAULTS.database,
        login: SANDBOX_DEFAULTS.login,
        apiKey: SANDBOX_DEFAULTS.apiKey,
        password: SANDBOX_DEFAULTS.password,
        demo: { login: SANDBOX_DEFAULTS.demoLogin, apiKey: SANDBOX_DEFAULTS.demoApiKey, password: SANDBOX_DEFAULTS.demoPassword },
        sandbox,
      };
    });
    after(async () => {
      await target?.sandbox?.close();
    });
    defineContract(() => target, 'json2', false);
    defineContract(() => target, 'jsonrpc', false);
    for (const protocol of ['json2', 'jsonrpc'] as const) defineFaultContract(() => target, protocol);
  });

  describe('against a real Odoo', function () {
    const env = process.env;
    const configured = Boolean(env.ODOO_URL && env.ODOO_DB && env.ODOO_LOGIN && env.ODOO_API_KEY);
    before(function () {
      if (!configured) {
        console.log(
          '    skipped: set ODOO_URL, ODOO_DB, ODOO_LOGIN, ODOO_API_KEY (and ODOO_PASSWORD for JSON-RPC; ODOO_DEMO_LOGIN and ODOO_DEMO_API_KEY for access checks)\n' +
            '    e.g. ODOO_URL=http://localhost:8069 ODOO_DB=odoo ODOO_LOGIN=admin ODOO_API_KEY=... npx mocha dist/test/contract',
        );
        this.skip();
      }
    });
    const target = (): Target => ({
      url: env.ODOO_URL ?? '',
      database: env.ODOO_DB ?? '',
      login: env.ODOO_LOGIN ?? '',
      apiKey: env.ODOO_API_KEY ?? '',
      password: env.ODOO_PASSWORD || undefined,
      demo: env.ODOO_DEMO_LOGIN && env.ODOO_DEMO_API_KEY ? { login: env.ODOO_DEMO_LOGIN, apiKey: env.ODOO_DEMO_API_KEY, password: env.ODOO_DEMO_PASSWORD || undefined } : undefined,
    });
    defineContract(target, 'json2', true);
    defineContract(target, 'jsonrpc', true);
  });
});
