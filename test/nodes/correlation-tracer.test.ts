import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import tracerNode = require('../../nodes/correlation-tracer');
import tracingPlugin = require('../../nodes/correlation-tracing-plugin');
import { parseTraceparent } from '../../nodes/lib/trace/context';
import { installTracing, TracingHost, TracingRuntime } from '../../nodes/lib/trace/runtime';
import { helper, initRuntime } from '../helpers/runtime';

initRuntime();

const nodeRedDir = path.dirname(require.resolve('node-red/package.json'));
/** The hook registry the runtime's Flow and Node classes trigger (the test helper does not expose RED.hooks). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hooks = (require(require.resolve('@node-red/util', { paths: [nodeRedDir] })) as { hooks: TracingHost['hooks'] & { has(id: string): boolean } }).hooks;
const coreNodes = path.join(path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRedDir] })), 'core');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeModule = require(path.join(coreNodes, 'function', '15-change.js')) as (red: NodeAPI) => void;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

let red: NodeAPI | undefined;
const captureRed = (api: NodeAPI): void => {
  red = api;
};

/** tracer -> 3 change nodes -> sink: the 5-node flow of the tracing requirements. */
function fiveNodeFlow(setHeaders = false) {
  const change = (id: string, next: string, value: string) => ({
    id, type: 'change', z: 'flow1', name: `step ${id}`, rules: [{ t: 'set', p: `payload.${id}`, pt: 'msg', to: value, tot: 'str' }], wires: [[next]],
  });
  return [
    { id: 'flow1', type: 'tab', label: 'traced' },
    { id: 'tracer', type: 'correlation-tracer', z: 'flow1', name: 'trace in', setHeaders, wires: [['c1']] },
    change('c1', 'c2', 'one'),
    change('c2', 'c3', 'two'),
    change('c3', 'sink', 'three'),
    { id: 'sink', type: 'helper', z: 'flow1', wires: [] },
  ];
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

function nextMessage(): Promise<Record<string, any>> { // a message is an open bag of properties
  return new Promise((resolve) => helper.getNode('sink').once('input', resolve));
}

describe('correlation-tracer node', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('continues an incoming traceparent and keeps X-Correlation-ID from msg.req.headers', async () => {
    await helper.load([tracerNode, changeModule], fiveNodeFlow() as never);
    const out = nextMessage();
    helper.getNode('tracer').receive({ payload: {}, req: { headers: { traceparent: `00-${TRACE}-${SPAN}-01`, 'x-correlation-id': 'order-42' } } } as never);
    const msg = await out;
    assert.equal(msg.correlationId, 'order-42');
    assert.equal(msg.trace.traceId, TRACE);
    assert.equal(msg.trace.parentSpanId, SPAN);
    assert.equal(msg.trace.sampled, true);
    const parsed = parseTraceparent(msg.trace.traceparent);
    assert.ok(parsed.ok && parsed.context.spanId === msg.trace.spanId && parsed.context.traceId === TRACE);
    assert.equal(msg.headers, undefined, 'headers are only written when asked');
    assert.deepEqual(msg.payload, { c1: 'one', c2: 'two', c3: 'three' });
  });

  it('creates ids when none come in and copies them into msg.headers on request', async () => {
    await helper.load([tracerNode, changeModule], fiveNodeFlow(true) as never);
    const out = nextMessage();
    helper.getNode('tracer').receive({ payload: {}, headers: { Accept: 'application/json', 'x-correlation-id': 'not usable because spaces' } } as never);
    const msg = await out;
    assert.match(msg.correlationId, /^[0-9a-f-]{36}$/);
    assert.equal(msg.trace.traceId, msg.correlationId.replace(/-/g, ''));
    assert.equal(msg.headers['X-Correlation-ID'], msg.correlationId);
    assert.equal(msg.headers.traceparent, msg.trace.traceparent);
    assert.equal(msg.headers.Accept, 'application/json');
    assert.equal(msg.headers['x-correlation-id'], undefined);
  });

  it('an invalid traceparent (bad version, zero ids, wrong length) starts a fresh trace', async () => {
    await helper.load([tracerNode, changeModule], fiveNodeFlow() as never);
    for (const bad of [`ff-${TRACE}-${SPAN}-01`, `00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE}1-${SPAN}-01`]) {
      const out = nextMessage();
      helper.getNode('tracer').receive({ payload: {}, headers: { traceparent: bad } } as never);
      const msg = await out;
      assert.notEqual(msg.trace.traceId, TRACE, bad);
      assert.equal(msg.trace.parentSpanId, undefined, bad);
    }
  });
});

describe('correlation tracing runtime (hooks, ring buffer, admin endpoint, OTLP)', function () {
  let tracing: TracingRuntime | undefined;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await tracing?.close();
    tracing = undefined;
    await helper.unload();
  });

  async function loadTraced(settings: Record<string, unknown> = {}): Promise<TracingRuntime> {
    await helper.load([tracerNode, changeModule, captureRed], fiveNodeFlow() as never);
    const api = red as unknown as TracingHost;
    tracing = installTracing({ hooks, httpAdmin: api.httpAdmin, auth: api.auth, settings: { odooMiddleware: { tracing: settings } } }, {});
    return tracing;
  }

  it('records one span per hop of the 5-node flow, in order, served by the admin endpoint', async () => {
    const runtime = await loadTraced();
    const out = nextMessage();
    helper.getNode('tracer').receive({ payload: {}, correlationId: 'corr-5' } as never);
    const msg = await out;
    await waitFor(() => runtime.ring.byCorrelation('corr-5').filter((s) => s.end !== undefined).length >= 4);
    const spans = runtime.ring.byCorrelation('corr-5');
    assert.deepEqual(spans.map((s) => s.nodeId), ['tracer', 'c1', 'c2', 'c3', 'sink']);
    assert.deepEqual(spans.map((s) => s.nodeType), ['correlation-tracer', 'change', 'change', 'change', 'helper']);
    for (const s of spans.slice(0, 4)) {
      assert.ok(s.end !== undefined && s.end >= s.start, `${s.nodeId} closed`);
      assert.equal(s.flowId, 'flow1');
    }
    // The tracer's own hop starts before msg.trace exists; every later hop carries the message's W3C trace id.
    for (const s of spans.slice(1)) {
      assert.equal(s.traceId, msg.trace.traceId);
      assert.equal(s.parentSpanId, msg.trace.spanId);
    }
    const res = await helper.request().get('/odoo-middleware/traces/corr-5').expect(200);
    assert.deepEqual(res.body.spans.map((s: { nodeId: string }) => s.nodeId), ['tracer', 'c1', 'c2', 'c3', 'sink']);
    assert.equal(res.body.traceId, msg.trace.traceId);
    const list = await helper.request().get('/odoo-middleware/traces').expect(200);
    assert.equal(list.body.traces[0].correlationId, 'corr-5');
    const missing = await helper.request().get('/odoo-middleware/traces/nope').expect(404);
    assert.equal(missing.body.error.code, 'TRACE_NOT_FOUND');
  });

  it('untraced messages leave no spans; disable() removes the hooks; the buffer is bounded', async () => {
    const runtime = await loadTraced({ bufferSize: 7 });
    helper.getNode('c1').receive({ payload: {} } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runtime.ring.size, 0);
    runtime.disable();
    helper.getNode('tracer').receive({ payload: {} } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runtime.ring.size, 0);
    runtime.enable();
    for (let i = 0; i < 3; i++) helper.getNode('tracer').receive({ payload: {} } as never);
    await waitFor(() => runtime.ring.size === 7);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runtime.ring.size, 7, 'capacity caps 15 hops at 7');
  });

  it('records the error of a hop that fails', async () => {
    const flow = [
      { id: 'flow1', type: 'tab', label: 'failing' },
      { id: 'tracer', type: 'correlation-tracer', z: 'flow1', wires: [['bad']] },
      { id: 'bad', type: 'failing-step', z: 'flow1', wires: [['sink']] },
      { id: 'sink', type: 'helper', z: 'flow1', wires: [] },
    ];
    // Errors reach the hop through done(err), the 1.x contract every node of this package follows.
    const failingStep = (api: NodeAPI): void => {
      api.nodes.registerType('failing-step', function (this: never, def: never) {
        api.nodes.createNode(this, def);
        (this as unknown as { on: (e: string, cb: (m: unknown, s: unknown, d: (e?: Error) => void) => void) => void }).on('input', (_m, _s, done) => done(new Error('exploded')));
      });
    };
    await helper.load([tracerNode, failingStep, captureRed], flow as never);
    const api = red as unknown as TracingHost;
    tracing = installTracing({ hooks, httpAdmin: api.httpAdmin, settings: {} }, {});
    const runtime = tracing;
    helper.getNode('tracer').receive({ payload: {}, correlationId: 'failing' } as never);
    await waitFor(() => runtime.ring.byCorrelation('failing').filter((s) => s.end !== undefined).length === 2);
    const [first, failed] = runtime.ring.byCorrelation('failing');
    assert.equal(first.error, undefined);
    assert.equal(failed.nodeId, 'bad');
    assert.match(String(failed.error), /exploded/);
  });

  it('exports spans over OTLP/HTTP with the message trace id', async () => {
    const bodies: string[] = [];
    const paths: string[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const runtime = await loadTraced({ otlpEndpoint: endpoint, serviceName: 'odoo-bridge' });
      assert.equal(runtime.exporting, true);
      const out = nextMessage();
      helper.getNode('tracer').receive({ payload: {}, req: { headers: { traceparent: `00-${TRACE}-${SPAN}-01` } } } as never);
      await out;
      // The tracer's own hop is not traced here: the message only gets its ids inside that node.
      await waitFor(() => runtime.ring.all().filter((s) => s.end !== undefined).length >= 3);
      await runtime.flush();
      await waitFor(() => bodies.length > 0);
      assert.match(paths[0], /^POST \/v1\/traces application\/json/);
      const all = bodies.join('\n');
      assert.ok(all.includes(TRACE), 'the W3C trace id is exported');
      assert.ok(all.includes('odoo-bridge'));
      const exported = JSON.parse(bodies[0]).resourceSpans[0].scopeSpans[0].spans as Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }>;
      const recorded = runtime.ring.all().filter((s) => s.traceId === TRACE && s.end !== undefined);
      const c1 = recorded.find((s) => s.nodeId === 'c1');
      const c1Exported = exported.find((s) => s.name === 'step c1');
      assert.ok(c1 && c1Exported);
      assert.equal(c1Exported.traceId, TRACE);
      assert.equal(c1Exported.spanId, c1.spanId, 'the exported span id is the recorded hop id');
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('the admin endpoint answers 401 without a token when adminAuth is on', async () => {
    const editorApi = path.dirname(require.resolve('@node-red/editor-api/package.json', { paths: [nodeRedDir] }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const auth = require(path.join(editorApi, 'lib', 'auth')) as { init(settings: object, storage: object): void; needsPermission: TracingHost['auth'] extends infer A ? A extends { needsPermission: infer F } ? F : never : never };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tokens = require(path.join(editorApi, 'lib', 'auth', 'tokens')) as { create(user: string, client: string, scope: string[]): Promise<{ accessToken: string }> };
    let sessions = {};
    auth.init(
      { adminAuth: { type: 'credentials', users: [{ username: 'ops', password: '$2b$08$wuAqPiKJlVN27eF5qJp.RuQYuy6ZYONW7a/UWYxDTtwKFCdB8F19y', permissions: 'read' }] } },
      { getSessions: async () => sessions, saveSessions: async (s: object) => { sessions = s; } },
    );
    await helper.load([tracerNode, changeModule, captureRed], fiveNodeFlow() as never);
    const api = red as unknown as TracingHost;
    tracing = installTracing({ hooks, httpAdmin: api.httpAdmin, auth: { needsPermission: auth.needsPermission } }, {});
    const out = nextMessage();
    helper.getNode('tracer').receive({ payload: {}, correlationId: 'secured' } as never);
    await out;
    await helper.request().get('/odoo-middleware/traces/secured').expect(401);
    await helper.request().get('/odoo-middleware/traces').expect(401);
    const { accessToken } = await tokens.create('ops', 'node-red-editor', ['read']);
    await helper.request().get('/odoo-middleware/traces/secured').set('Authorization', `Bearer ${accessToken}`).expect(200);
    auth.init({}, {});
  });

  it('the plugin registers as odoo-middleware-tracing and installs on add', async () => {
    const registered: Array<{ id: string; type: string; onadd?: () => void; onremove?: () => void }> = [];
    await helper.load([tracerNode, changeModule, captureRed], fiveNodeFlow() as never);
    const api = red as unknown as Record<string, unknown>;
    tracingPlugin({ ...api, hooks, settings: {}, log: { info: () => undefined, warn: () => undefined }, plugins: { registerPlugin: (id: string, def: { type: string }) => registered.push({ id, ...def }) } } as unknown as NodeAPI);
    assert.equal(registered.length, 1);
    assert.equal(registered[0].id, 'odoo-middleware-tracing');
    assert.equal(registered[0].type, 'odoo-middleware-tracing');
    registered[0].onadd?.();
    const out = nextMessage();
    helper.getNode('tracer').receive({ payload: {}, correlationId: 'via-plugin' } as never);
    await out;
    await helper.request().get('/odoo-middleware/traces/via-plugin').expect(200);
    await helper.request().get('/odoo-middleware/traces').expect(200);
    assert.equal(hooks.has('onReceive.odooMiddlewareTrace'), true);
    registered[0].onremove?.();
    assert.equal(hooks.has('onReceive.odooMiddlewareTrace'), false);
    assert.equal(hooks.has('onComplete.odooMiddlewareTrace'), false);
    await helper.request().get('/odoo-middleware/traces').expect(404);
  });
});
