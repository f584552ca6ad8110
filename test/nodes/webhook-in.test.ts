import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import webhookInNode = require('../../nodes/webhook-in');
import middlewareStoreNode = require('../../nodes/middleware-store');
import { signStripe } from '../../nodes/lib/webhook/signatures';
import { jsonBodyGuard } from '../../nodes/lib/http';
import type { ClaimOutcome, ClaimRequest, MiddlewareStore } from '../../nodes/lib/store/types';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

// The core http in/response module, so flow mode is checked against the real http response node.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpInModule = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'network', '21-httpin.js')) as (red: NodeAPI) => void;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const functionModule = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'function', '10-function.js')) as (red: NodeAPI) => void;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchModule = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'common', '25-catch.js')) as (red: NodeAPI) => void;

/** The helper builds a fresh httpNode app per load and does not serve it; this server forwards to the current one. */
let httpNode: http.RequestListener | undefined;
const captureHttpNode = (red: NodeAPI): void => {
  httpNode = red.httpNode as unknown as http.RequestListener;
};

/** A stand-in middleware-store config node with a claim/complete store in memory. */
function fakeStoreNode(red: NodeAPI): void {
  const keys = new Set<string>();
  const store = {
    backend: 'sqlite',
    async claim(req: ClaimRequest): Promise<ClaimOutcome> {
      const record = { namespace: req.namespace, key: req.key, status: 'completed' as const, fingerprint: req.fingerprint, leaseToken: req.leaseToken, leaseExpiresAt: 0, firstSeenAt: req.now };
      const id = `${req.namespace}/${req.key}`;
      if (keys.has(id)) return { outcome: 'completed', record };
      keys.add(id);
      return { outcome: 'claimed', record: { ...record, status: 'in_progress' } };
    },
    async complete() {
      return true;
    },
  } as unknown as MiddlewareStore;
  function MiddlewareStoreNode(this: { getStore: () => MiddlewareStore; claimedKeys: Set<string> }, def: object) {
    red.nodes.createNode(this as never, def as never);
    this.getStore = () => store;
    this.claimedKeys = keys;
  }
  red.nodes.registerType('middleware-store', MiddlewareStoreNode as never);
}

const SECRET = 'top-secret';
const OLD_SECRET = 'old-secret';

interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
}

let base = '';
async function post(urlPath: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<Reply> {
  const res = await fetch(`${base}${urlPath}`, { method, body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let parsed: Reply['body'];
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

function hookNode(extra: Record<string, unknown> = {}) {
  return { id: 'hook', type: 'webhook-in', name: 'orders hook', path: '/hook', method: 'post', scheme: 'none', responseMode: 'ack', maxBody: '', contentTypes: 'application/json', wires: [['sink']], ...extra };
}

/** Collects what reaches the sink node. */
function collect(): unknown[] {
  const received: unknown[] = [];
  helper.getNode('sink').on('input', (msg: unknown) => received.push(msg));
  return received;
}

async function load(flow: object[], credentials: Record<string, unknown> = {}): Promise<void> {
  await helper.load([webhookInNode, captureHttpNode, fakeStoreNode, httpInModule], [...flow, { id: 'sink', type: 'helper' }] as never, credentials);
}

const ghSig = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('webhook-in node', function () {
  let server: http.Server;

  before(async () => {
    await helper.startServer();
    server = http.createServer((req, res) => (httpNode ? httpNode(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await helper.stopServer();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('ack mode: 202 at once, the flow gets payload, webhook, correlationId and req.headers', async () => {
    await load([hookNode()]);
    const received = collect();
    const reply = await post('/hook', '{"order":7}', { 'x-correlation-id': 'corr-7' });
    assert.equal(reply.status, 202);
    assert.deepEqual(reply.body, { accepted: true, correlationId: 'corr-7' });
    assert.equal(reply.headers.get('x-correlation-id'), 'corr-7');
    await until(() => received.length === 1);
    const msg = received[0] as Record<string, any>; // a message is an open bag of properties
    assert.deepEqual(msg.payload, { order: 7 });
    assert.equal(msg.correlationId, 'corr-7');
    assert.equal(msg.webhook.scheme, 'none');
    assert.equal(msg.webhook.verified, false);
    assert.ok(!Number.isNaN(Date.parse(msg.webhook.receivedAt)));
    assert.equal(msg.req.headers['x-correlation-id'], 'corr-7');
    assert.equal(msg.rawBody, undefined, 'rawBody is off by default');
    assert.equal(msg.res, undefined, 'ack mode has already answered');
  });

  it('rawBody option keeps the exact bytes; a generated correlation id when none is sent', async () => {
    await load([hookNode({ rawBody: true })]);
    const received = collect();
    const reply = await post('/hook', '{ "spaced" : true }');
    assert.equal(reply.status, 202);
    assert.match(String(reply.body.correlationId), /^[0-9a-f-]{36}$/);
    await until(() => received.length === 1);
    const msg = received[0] as { rawBody: Buffer; correlationId: string };
    assert.ok(Buffer.isBuffer(msg.rawBody));
    assert.equal(msg.rawBody.toString(), '{ "spaced" : true }');
    assert.equal(msg.correlationId, reply.body.correlationId);
  });

  it('the path and method are honoured', async () => {
    await load([hookNode({ path: 'orders/in', method: 'put' })]);
    assert.equal((await post('/orders/in', '{}', {}, 'PUT')).status, 202);
    assert.equal((await post('/orders/in', '{}', {}, 'POST')).status, 404);
  });

  describe('signature schemes over real HTTP', () => {
    const body = '{"id":"evt_1","amount":10}';
    const cases: Array<{ scheme: string; extra?: Record<string, unknown>; good: (s: string) => Record<string, string> }> = [
      { scheme: 'github', good: (s) => ({ 'x-hub-signature-256': ghSig(s, body) }) },
      { scheme: 'shopify', good: (s) => ({ 'x-shopify-hmac-sha256': createHmac('sha256', s).update(body).digest('base64') }) },
      { scheme: 'stripe', good: (s) => ({ 'stripe-signature': signStripe(s, body, Math.floor(Date.now() / 1000)) }) },
      {
        scheme: 'hmac',
        extra: { hmacAlgorithm: 'sha512', hmacEncoding: 'base64', hmacHeader: 'X-Odoo-Signature', hmacPrefix: 'v1=' },
        good: (s) => ({ 'x-odoo-signature': `v1=${createHmac('sha512', s).update(body).digest('base64')}` }),
      },
    ];
    for (const c of cases) {
      it(`${c.scheme}: valid 202, rotated secret 202, wrong secret 401, tampered 401, missing 401`, async () => {
        await load([hookNode({ scheme: c.scheme, ...c.extra })], { hook: { secret: SECRET, previousSecret: OLD_SECRET } });
        const received = collect();
        assert.equal((await post('/hook', body, c.good(SECRET))).status, 202);
        assert.equal((await post('/hook', body, c.good(OLD_SECRET))).status, 202);
        const wrong = await post('/hook', body, c.good('not-the-secret'));
        assert.equal(wrong.status, 401);
        assert.equal(wrong.body.error?.code, 'WEBHOOK_SIGNATURE_INVALID');
        const tampered = await post('/hook', body.replace('10', '1000'), c.good(SECRET));
        assert.equal(tampered.status, 401);
        const missing = await post('/hook', body);
        assert.equal(missing.status, 401);
        assert.equal(missing.body.error?.code, 'WEBHOOK_SIGNATURE_MISSING');
        await until(() => received.length === 2);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(received.length, 2, 'only the two signed requests reached the flow');
        const msg = received[0] as { webhook: { scheme: string; verified: boolean } };
        assert.deepEqual([msg.webhook.scheme, msg.webhook.verified], [c.scheme, true]);
      });
    }
    it('stripe: an old timestamp is refused with its own code', async () => {
      await load([hookNode({ scheme: 'stripe', tolerance: 300 })], { hook: { secret: SECRET } });
      const old = await post('/hook', body, { 'stripe-signature': signStripe(SECRET, body, Math.floor(Date.now() / 1000) - 3600) });
      assert.equal(old.status, 401);
      assert.equal(old.body.error?.code, 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
    });
    it('a blank secret credential falls back to the environment variable the node names', async () => {
      process.env.WEBHOOK_TEST_SECRET = SECRET;
      try {
        await load([hookNode({ scheme: 'github', secretEnv: 'WEBHOOK_TEST_SECRET' })]);
        const good = await post('/hook', body, { 'x-hub-signature-256': ghSig(SECRET, body) });
        assert.equal(good.status, 202);
        const wrong = await post('/hook', body, { 'x-hub-signature-256': ghSig('not-the-secret', body) });
        assert.equal(wrong.status, 401);
      } finally {
        delete process.env.WEBHOOK_TEST_SECRET;
      }
    });
    it('a signing scheme without a secret answers 500 and never reaches the flow', async () => {
      await load([hookNode({ scheme: 'github' })]);
      const reply = await post('/hook', body, { 'x-hub-signature-256': ghSig('', body) });
      assert.equal(reply.status, 500);
      assert.equal(reply.body.error?.code, 'WEBHOOK_SECRET_MISSING');
    });
  });

  it('each rejection status, counted in the status badge and logged without the body', async () => {
    const schema = JSON.stringify({ type: 'object', required: ['id'], properties: { id: { type: 'integer' } } });
    await load([hookNode({ maxBody: 100, schema })]);
    const received = collect();
    const hook = helper.getNode('hook') as unknown as NodeJS.EventEmitter;
    const statuses: Array<{ text?: string }> = [];
    hook.on('call:status', (call: { args: Array<{ text?: string }> }) => statuses.push(call.args[0]));
    const warnings: string[] = [];
    hook.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));

    const tooBig = await post('/hook', JSON.stringify({ id: 1, pad: 'SECRETPAD'.repeat(20) }));
    assert.deepEqual([tooBig.status, tooBig.body.error?.code], [413, 'WEBHOOK_BODY_TOO_LARGE']);
    const wrongType = await post('/hook', 'id=1', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual([wrongType.status, wrongType.body.error?.code], [415, 'WEBHOOK_UNSUPPORTED_MEDIA_TYPE']);
    const badJson = await post('/hook', '{"id":SECRETVALUE}');
    assert.deepEqual([badJson.status, badJson.body.error?.code], [400, 'WEBHOOK_INVALID_JSON']);
    assert.match(String(badJson.body.error?.message), /not valid JSON: Unexpected token/);
    const badShape = await post('/hook', '{"id":"SECRETVALUE"}');
    assert.deepEqual([badShape.status, badShape.body.error?.code], [422, 'WEBHOOK_SCHEMA']);
    assert.match(String(badShape.body.error?.message), /\/id must be integer/);
    assert.ok(Array.isArray((badShape.body.error as unknown as { details: unknown[] }).details));
    assert.equal((await post('/hook', '{"id":1}')).status, 202);

    // Ack mode without an event bus also says, once at start, that acknowledged events are held in memory only.
    const rejections = (): string[] => warnings.filter((w) => !/in memory only/.test(w));
    await until(() => received.length === 1 && rejections().length === 4);
    assert.equal(received.length, 1);
    assert.equal(rejections().length, 4, JSON.stringify(warnings));
    assert.equal(warnings.length, 5, 'the memory-only warning is logged once');
    for (const w of warnings) assert.doesNotMatch(w, /SECRETVALUE|SECRETPAD/);
    assert.ok(statuses.some((s) => s.text === 'rejected 4'), JSON.stringify(statuses));
  });

  it('a body nested deeper than Max JSON depth answers 400 and never reaches the flow; the runtime stays up', async () => {
    await load([hookNode({ maxBody: 8192, maxDepth: 50 })]);
    const received = collect();
    const deep = await post('/hook', `${'['.repeat(2000)}${']'.repeat(2000)}`);
    assert.deepEqual([deep.status, deep.body.error?.code], [400, 'WEBHOOK_JSON_TOO_DEEP']);
    assert.match(String(deep.body.error?.message), /deeper than 50 levels/);
    assert.equal((await post('/hook', `${'['.repeat(51)}${']'.repeat(51)}`)).status, 400);
    assert.equal((await post('/hook', `${'['.repeat(50)}${']'.repeat(50)}`)).status, 202);
    await until(() => received.length === 1);
    assert.equal(received.length, 1);
  });

  it('replay protection in memory: a duplicate answers 200 by default and never reaches the flow', async () => {
    await load([hookNode({ scheme: 'github', replay: true })], { hook: { secret: SECRET } });
    const received = collect();
    const body = '{"n":1}';
    const headers = { 'x-hub-signature-256': ghSig(SECRET, body), 'x-github-delivery': 'delivery-1' };
    assert.equal((await post('/hook', body, headers)).status, 202);
    const dup = await post('/hook', body, headers);
    assert.equal(dup.status, 200);
    assert.equal(dup.body.duplicate, true);
    const noId = await post('/hook', body, { 'x-hub-signature-256': ghSig(SECRET, body) });
    assert.deepEqual([noId.status, noId.body.error?.code], [400, 'WEBHOOK_DELIVERY_ID_MISSING']);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 1);
  });

  it('replay protection through a middleware-store: 409 when configured, namespace webhook:<node id>', async () => {
    await load([{ id: 'store', type: 'middleware-store' }, hookNode({ replay: true, store: 'store', deliveryIdHeader: 'X-Webhook-Id', duplicateStatus: '409' })]);
    const received = collect();
    assert.equal((await post('/hook', '{}', { 'x-webhook-id': 'w-1' })).status, 202);
    const dup = await post('/hook', '{}', { 'x-webhook-id': 'w-1' });
    assert.deepEqual([dup.status, dup.body.error?.code], [409, 'WEBHOOK_DUPLICATE']);
    assert.ok((helper.getNode('store') as unknown as { claimedKeys: Set<string> }).claimedKeys.has('webhook:hook/w-1'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 1);
  });

  it('replay protection with the real middleware-store (SQLite): duplicates survive a redeploy', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-replay-'));
    const flow = [{ id: 'replay-store', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.db') }, hookNode({ replay: true, store: 'replay-store', deliveryIdHeader: 'X-Webhook-Id' })];
    try {
      await helper.load([webhookInNode, middlewareStoreNode, captureHttpNode], [...flow, { id: 'sink', type: 'helper' }] as never);
      assert.equal((await post('/hook', '{}', { 'x-webhook-id': 'sq-1' })).status, 202);
      assert.equal((await post('/hook', '{}', { 'x-webhook-id': 'sq-1' })).body.duplicate, true);
      await helper.unload();
      await helper.load([webhookInNode, middlewareStoreNode, captureHttpNode], [...flow, { id: 'sink', type: 'helper' }] as never);
      const received = collect();
      assert.equal((await post('/hook', '{}', { 'x-webhook-id': 'sq-1' })).body.duplicate, true, 'remembered across a redeploy');
      assert.equal((await post('/hook', '{}', { 'x-webhook-id': 'sq-2' })).status, 202);
      await until(() => received.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(received.length, 1);
    } finally {
      await helper.unload();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flow mode: the core http response node answers with msg.res', async () => {
    await load([
      hookNode({ responseMode: 'flow', wires: [['shape']] }),
      { id: 'shape', type: 'helper', wires: [] },
      { id: 'respond', type: 'http response', statusCode: '201', headers: {}, wires: [] },
    ]);
    helper.getNode('shape').on('input', (msg: Record<string, any>) => { // a message is an open bag of properties
      assert.ok(msg.res._res, 'msg.res is the core wrapper with _res');
      assert.equal(msg.req.headers['x-request-id'], 'req-1');
      helper.getNode('respond').receive({ ...msg, payload: { echoed: msg.payload.q, correlationId: msg.correlationId } });
    });
    const reply = await post('/hook', '{"q":"hello"}', { 'x-request-id': 'req-1' });
    assert.equal(reply.status, 201);
    assert.deepEqual(reply.body, { echoed: 'hello', correlationId: 'req-1' });
  });

  it('flow mode: a flow that never answers gets 503 after the response timeout', async () => {
    await load([hookNode({ responseMode: 'flow', responseTimeout: '0.2' })]);
    const reply = await post('/hook', '{}');
    assert.deepEqual([reply.status, reply.body.error?.code], [503, 'WEBHOOK_NO_RESPONSE']);
  });

  it('500 malformed requests all get a clear 4xx and the runtime stays up', async function () {
    const schema = JSON.stringify({ type: 'object', required: ['id', 'qty'], properties: { id: { type: 'string' }, qty: { type: 'integer' } } });
    await load([hookNode({ scheme: 'github', maxBody: 4096, schema })], { hook: { secret: SECRET } });
    const received = collect();
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const signed = (body: string) => ({ 'x-hub-signature-256': ghSig(SECRET, body) });
    const makers: Array<() => { body: string | Buffer; headers: Record<string, string>; expect: number }> = [
      () => { const b = `{"id":"a","qty":${'['.repeat(rand(5) + 1)}`; return { body: b, headers: signed(b), expect: 400 }; },
      () => { const b = ['', 'null,', '{', '}', 'undefined', "{'id':1}", '\u0000', '{"id":"a",}'][rand(8)]; return { body: b, headers: signed(b), expect: 400 }; },
      () => { const b = JSON.stringify([{ id: 1 }, 'x', 3, true, null][rand(5)]); return { body: b, headers: signed(b), expect: 422 }; },
      () => { const b = JSON.stringify({ id: rand(100), qty: 'many' }); return { body: b, headers: signed(b), expect: 422 }; },
      () => { const b = JSON.stringify({ id: 'x', qty: 1, pad: 'z'.repeat(4096 + rand(50_000)) }); return { body: b, headers: signed(b), expect: 413 }; },
      () => { const b = '{"id":"a","qty":1}'; return { body: b, headers: { ...signed(b), 'content-type': ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream'][rand(4)] }, expect: 415 }; },
      () => { const b = '{"id":"a","qty":1}'; return { body: b, headers: { 'x-hub-signature-256': ghSig('guess' + rand(1000), b) }, expect: 401 }; },
      () => { const b = '{"id":"a","qty":1}'; return { body: b, headers: { 'x-hub-signature-256': ['', 'sha256=', 'sha256=zz', 'md5=abc', 'sha256=' + 'a'.repeat(63)][rand(5)] }, expect: 401 }; },
      () => ({ body: '{"id":"a","qty":1}', headers: {}, expect: 401 }),
    ];
    const requests = Array.from({ length: 500 }, (_, i) => makers[i % makers.length]());
    requests.push({ body: Buffer.alloc(2 * 1024 * 1024, 'a'), headers: {}, expect: 413 });
    let next = 0;
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const r = requests[next++];
        const reply = await post('/hook', r.body, r.headers);
        const error = reply.body.error;
        if (reply.status !== r.expect || !error?.code || !error.message) failures.push(`${r.expect} expected, got ${reply.status} ${JSON.stringify(reply.body).slice(0, 120)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.deepEqual(failures.slice(0, 5), []);
    const good = '{"id":"ok","qty":3}';
    const reply = await post('/hook', good, signed(good));
    assert.equal(reply.status, 202);
    await until(() => received.length === 1);
    assert.equal(received.length, 1);
    assert.deepEqual((received[0] as { payload: unknown }).payload, { id: 'ok', qty: 3 });
  });

  describe('with httpNodeMiddleware in settings', () => {
    afterEach(() => {
      helper.settings({ httpNodeMiddleware: undefined });
    });
    it('runs it before the webhook, as the core http in node does', async () => {
      helper.settings({
        httpNodeMiddleware: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
          if (req.headers['x-gateway-token'] === 'ok') next();
          else res.writeHead(403).end();
        },
      });
      await load([hookNode()]);
      assert.equal((await post('/hook', '{}')).status, 403);
      assert.equal((await post('/hook', '{}', { 'x-gateway-token': 'ok' })).status, 202);
    });
    it('a body parser in it is reported, not silently trusted: 500 WEBHOOK_BODY_CONSUMED', async () => {
      helper.settings({
        httpNodeMiddleware: (req: http.IncomingMessage & { _body?: boolean }, _res: http.ServerResponse, next: () => void) => {
          req.resume();
          req.on('end', () => {
            req._body = true;
            next();
          });
        },
      });
      await load([hookNode({ scheme: 'github' })], { hook: { secret: SECRET } });
      const reply = await post('/hook', '{}', { 'x-hub-signature-256': ghSig(SECRET, '{}') });
      assert.deepEqual([reply.status, reply.body.error?.code], [500, 'WEBHOOK_BODY_CONSUMED']);
    });
  });

  describe('with jsonBodyGuard as httpNodeMiddleware', () => {
    beforeEach(() => {
      helper.settings({ httpNodeMiddleware: jsonBodyGuard() });
    });
    afterEach(() => {
      helper.settings({ httpNodeMiddleware: undefined });
    });
    it('webhook-in still reads the raw body and checks the signature', async () => {
      await load([hookNode({ scheme: 'github' })], { hook: { secret: SECRET } });
      const body = '{"order":1}';
      assert.equal((await post('/hook', body, { 'x-hub-signature-256': ghSig(SECRET, body) })).status, 202);
      assert.equal((await post('/hook', body, { 'x-hub-signature-256': ghSig('wrong', body) })).status, 401);
    });
    it('a core http in -> function -> Catch flow answers 400 for 2,000 levels and keeps serving', async () => {
      const flow = [
        { id: 'f1', type: 'tab' },
        { id: 'in', z: 'f1', type: 'http in', url: '/partners', method: 'post', wires: [['fn']] },
        { id: 'fn', z: 'f1', type: 'function', func: 'throw new Error("refused")', wires: [[]] },
        { id: 'catcher', z: 'f1', type: 'catch', scope: ['fn'], uncaught: false, wires: [['answer']] },
        { id: 'answer', z: 'f1', type: 'http response', statusCode: '422', wires: [] },
      ];
      await helper.load([captureHttpNode, httpInModule, functionModule, catchModule], flow as never);
      const deep = await post('/partners', `${'['.repeat(2000)}${']'.repeat(2000)}`);
      assert.deepEqual([deep.status, deep.body.error?.code], [400, 'MW_JSON_TOO_DEEP']);
      assert.equal((await post('/partners', '{"name":"Azure"}')).status, 422);
    });
  });

  it('close removes the route', async () => {
    await load([hookNode()]);
    assert.equal((await post('/hook', '{}')).status, 202);
    await helper.unload();
    await load([hookNode({ id: 'other', path: '/elsewhere' })]);
    assert.equal((await post('/hook', '{}')).status, 404);
  });

  it('an invalid JSON Schema is a deploy-time error with no route', async () => {
    await load([hookNode({ schema: '{"type": 12' })]);
    const hook = helper.getNode('hook');
    await until(() => (hook as unknown as { error: { called: boolean } }).error.called);
    assert.match(String((hook as unknown as { error: { firstCall: { args: unknown[] } } }).error.firstCall.args[0]), /schema is not a valid JSON Schema/);
    assert.equal((await post('/hook', '{}')).status, 404);
  });
});
