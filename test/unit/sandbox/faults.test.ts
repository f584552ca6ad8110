import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { sandboxOptionsFromEnv, startSandbox, startSandboxFromEnv, type Sandbox } from '../../../sandbox';
import { ADMIN, call, isReply, json2, request, rpc, type Outcome } from './helpers';

type Rec = Record<string, unknown>;

describe('sandbox: fault injection', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ seed: 7 });
  });
  afterEach(() => sb.setFaults({}));
  after(() => sb.close());

  const count = (name: string): Promise<number> => call<number>(sb, 'res.partner', 'search_count', { domain: [['name', '=', name]] });
  const create = (name: string, timeoutMs?: number): Promise<Outcome> =>
    request(sb.url, '/json/2/res.partner/create', { headers: ADMIN, body: JSON.stringify({ vals_list: [{ name }] }), timeoutMs });

  it('unavailable: 503 with an HTML body and the configured Retry-After; /web/version unaffected', async () => {
    sb.setFaults({ unavailableRate: 1, unavailableRetryAfter: 3 });
    const r = await create('never-503');
    assert.ok(isReply(r));
    assert.equal(r.status, 503);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.equal(r.headers['retry-after'], '3');
    assert.match(r.text, /503 Service Temporarily Unavailable/);
    const version = await request(sb.url, '/web/version', { method: 'GET' });
    assert.ok(isReply(version) && version.status === 200);
    const common = await rpc(sb, 'common', 'version', []);
    assert.equal((common.result as Rec).server_version, '19.0', 'only object calls get faults');
    sb.setFaults({});
    assert.equal(await count('never-503'), 0);
  });

  it('rate limited: 429 with Retry-After: 1', async () => {
    sb.setFaults({ rateLimitedRate: 1 });
    const r = await request(sb.url, '/jsonrpc', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, params: { service: 'object', method: 'execute_kw', args: ['odoo', 2, 'admin', 'res.partner', 'search_count', [[]]] } }),
    });
    assert.ok(isReply(r));
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(sb.stats.faults.rateLimited, 1);
  });

  it('serialization failure: JSON-2 500 psycopg2.errors.SerializationFailure, JSON-RPC envelope, nothing committed', async () => {
    sb.setFaults({ serializationFailureRate: 1 });
    const r = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'never-serial' }] });
    assert.equal(r.status, 500);
    assert.equal((r.body as Rec).name, 'psycopg2.errors.SerializationFailure');
    assert.equal((r.body as Rec).message, 'could not serialize access due to concurrent update\n');
    const envelope = await rpc(sb, 'object', 'execute_kw', ['odoo', 2, 'admin', 'res.partner', 'create', [{ name: 'never-serial' }]]);
    assert.equal(envelope.error?.code, 0);
    assert.equal(envelope.error?.data.name, 'psycopg2.errors.SerializationFailure');
    sb.setFaults({});
    assert.equal(await count('never-serial'), 0);
  });

  it('dropped connection: the socket closes before any reply and nothing is committed', async () => {
    sb.setFaults({ dropConnectionRate: 1 });
    const r = await create('never-dropped');
    assert.ok(!isReply(r), 'no reply');
    assert.match(r.error, /ECONNRESET|socket hang up/);
    sb.setFaults({});
    assert.equal(await count('never-dropped'), 0);
  });

  it('timeout: no answer until the client gives up, nothing committed', async () => {
    sb.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const r = await create('never-timeout', 300);
    assert.ok(!isReply(r));
    assert.equal(r.error, 'CLIENT_TIMEOUT');
    assert.ok(Date.now() - started >= 250);
    sb.setFaults({});
    assert.equal(await count('never-timeout'), 0);
  });

  it('commit then drop: the write is committed but the socket closes without a reply', async () => {
    sb.setFaults({ commitThenDropRate: 1 });
    const r = await create('committed-then-dropped');
    assert.ok(!isReply(r), 'no reply');
    sb.setFaults({});
    assert.equal(await count('committed-then-dropped'), 1);
    assert.equal(sb.requests.at(-2)?.fault, 'commitThenDrop');
  });

  it('latency delays eligible calls', async () => {
    sb.setFaults({ latencyMs: [120, 150] });
    const started = Date.now();
    await json2(sb, 'res.partner', 'search_count', { domain: [] });
    assert.ok(Date.now() - started >= 110);
  });

  it('faultModels and faultMethods limit which calls are hit', async () => {
    sb.setFaults({ unavailableRate: 1, faultModels: ['res.partner'], faultMethods: ['create'] });
    assert.equal((await json2(sb, 'res.partner', 'search_count', { domain: [] })).status, 200);
    assert.equal((await json2(sb, 'res.country', 'create', { vals_list: [{ name: 'Atlantis' }] })).status, 200);
    const hit = await create('filtered');
    assert.ok(isReply(hit) && hit.status === 503);
  });

  it('is deterministic for a given seed', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const s = await startSandbox({ seed, faults: { unavailableRate: 0.3, rateLimitedRate: 0.3 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 20; i += 1) statuses.push((await json2(s, 'res.partner', 'search_count', { domain: [] })).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const first = await run(42);
    assert.deepEqual(await run(42), first);
    assert.ok(new Set(first).size > 1, 'a mix of outcomes');
    assert.notDeepEqual(await run(43), first);
  });

  it('rejects invalid fault settings', () => {
    assert.throws(() => sb.setFaults({ unavailableRate: 2 }), /unavailableRate must be a number between 0 and 1/);
    assert.throws(() => sb.setFaults({ unavailableRate: 0.6, timeoutRate: 0.6 }), /add up to more than 1/);
    assert.throws(() => sb.setFaults({ latencyMs: [50, 10] }), /latencyMs/);
  });

  it('close() ends held requests and keep-alive sockets', async () => {
    const s = await startSandbox({ faults: { timeoutRate: 1 } });
    const pending = request(s.url, '/json/2/res.partner/search_count', { headers: ADMIN, body: '{"domain":[]}' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s.close();
    const outcome = await pending;
    assert.ok(!isReply(outcome));
  });
});

describe('sandbox: configuration from the environment', () => {
  it('reads SANDBOX_PORT, SANDBOX_FAULTS, SANDBOX_UNIQUE_CLIENT_ORDER_REF, SANDBOX_SEED, SANDBOX_DATABASES', () => {
    assert.deepEqual(
      sandboxOptionsFromEnv({
        SANDBOX_PORT: '8069',
        SANDBOX_FAULTS: '{"unavailableRate":0.1,"latencyMs":[5,10]}',
        SANDBOX_UNIQUE_CLIENT_ORDER_REF: '1',
        SANDBOX_SEED: '9',
        SANDBOX_DATABASES: 'a, b',
      }),
      { port: 8069, faults: { unavailableRate: 0.1, latencyMs: [5, 10] }, uniqueConstraints: { clientOrderRef: true }, seed: 9, databases: ['a', 'b'] },
    );
    assert.deepEqual(sandboxOptionsFromEnv({}), {});
    assert.throws(() => sandboxOptionsFromEnv({ SANDBOX_FAULTS: '{oops' }), /SANDBOX_FAULTS must be a JSON object/);
    assert.throws(() => sandboxOptionsFromEnv({ SANDBOX_PORT: 'x' }), /SANDBOX_PORT/);
  });

  it('startSandboxFromEnv applies the faults', async () => {
    const sb = await startSandboxFromEnv({ SANDBOX_FAULTS: '{"rateLimitedRate":1}' });
    try {
      assert.equal((await json2(sb, 'res.partner', 'search_count', { domain: [] })).status, 429);
    } finally {
      await sb.close();
    }
  });

  it('the CLI prints its URL, serves, and exits on SIGTERM', async () => {
    const cli = path.resolve(__dirname, '../../../sandbox/cli.js');
    const child = spawn(process.execPath, [cli], { env: { ...process.env, SANDBOX_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /odoo sandbox listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`cli exited early with ${code}`)));
      });
      const r = await request(url, '/web/version', { method: 'GET' });
      assert.ok(isReply(r) && r.status === 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
