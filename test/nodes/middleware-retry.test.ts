import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node } from 'node-red';
import { helper, initRuntime } from '../helpers/runtime';
import storeNode = require('../../nodes/middleware-store');
import retryNode = require('../../nodes/middleware-retry');
import type { MiddlewareStore } from '../../nodes/lib/store/types';

// Node-RED's core nodes ship as CommonJS without types.
const functionNode = require('@node-red/nodes/core/function/10-function.js') as never;
const injectNode = require('@node-red/nodes/core/common/20-inject.js') as never;
const debugNode = require('@node-red/nodes/core/common/21-debug.js') as never;

initRuntime();

type Msg = Record<string, unknown>;
type HelperNode = Node & { on(event: 'input', fn: (msg: Msg) => void): void };

function nextMessage(id: string, timeoutMs = 8000): Promise<Msg> {
  const node = helper.getNode(id) as unknown as HelperNode;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message reached ${id} within ${timeoutMs} ms`)), timeoutMs);
    node.on('input', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function storeOf(): MiddlewareStore {
  return (helper.getNode('store1') as unknown as { getStore(): MiddlewareStore }).getStore();
}

const rateLimited = (retryAfterMs: number): Msg => ({
  message: 'Error: slow down',
  code: 'ODOO_RATE_LIMITED',
  source: { id: 'w1', type: 'odoo-write', count: 1 },
  cause: { kind: 'rate_limited', retryable: true, status: 429, retryAfterMs },
});
const validation: Msg = {
  message: 'Error: name is required',
  code: 'MW_VALIDATION',
  source: { id: 'w1', type: 'odoo-write', count: 1 },
  cause: { kind: 'validation', retryable: false },
};

describe('middleware-retry node', function () {
  let dir: string;
  let dbPath: string;

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-retry-'));
    dbPath = path.join(dir, 'store.sqlite');
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const storeConfig = () => ({ id: 'store1', type: 'middleware-store', backend: 'sqlite', path: dbPath });
  const retryConfig = (wires: string[][], over: Msg = {}) => ({
    id: 'retry1', type: 'middleware-retry', z: 'f1', name: 'retry', store: 'store1', maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100,
    multiplier: 2, maxTotalMs: 60000, retryOn: '', deadLetterOn: '', unknownErrors: 'retry', replayRate: 10, wires, ...over,
  });

  it('retries a function node that fails twice, through Catch, and records the history', async () => {
    const flow = [
      { id: 'f1', type: 'tab' },
      storeConfig(),
      {
        id: 'fn', type: 'function', z: 'f1', wires: [['out']], outputs: 1,
        func: "const n = (context.get('n') || 0) + 1; context.set('n', n); msg.calls = n;\n" +
          "if (n <= 2) { const e = new Error('flaky ' + n); e.code = 'ECONNRESET'; node.error(e, msg); return null; }\nreturn msg;",
      },
      { id: 'catcher', type: 'catch', z: 'f1', scope: ['fn'], uncaught: false, wires: [['retry1']] },
      retryConfig([['fn'], ['dead']]),
      { id: 'out', type: 'helper', z: 'f1' },
      { id: 'dead', type: 'helper', z: 'f1' },
    ];
    await helper.load([storeNode, retryNode, functionNode], flow);
    const statuses: string[] = [];
    (helper.getNode('retry1') as unknown as { on(e: string, fn: (call: { args: Array<{ text?: string }> }) => void): void }).on('call:status', (call) => {
      if (call.args[0]?.text) statuses.push(call.args[0].text);
    });
    const out = nextMessage('out');
    helper.getNode('fn').receive({ payload: { order: 7 } } as never);
    const msg = await out;
    assert.equal(msg.calls, 3, 'three attempts in all');
    assert.deepEqual(msg.payload, { order: 7 });
    assert.equal(msg.error, undefined);
    const retry = msg.retry as { attempt: number; history: Array<{ attempt: number; at: number; error: Msg }>; firstFailedAt: number };
    assert.equal(retry.attempt, 3);
    assert.deepEqual(retry.history.map((h) => h.attempt), [1, 2]);
    assert.deepEqual(retry.history.map((h) => h.error.message), ['Error: flaky 1', 'Error: flaky 2']);
    assert.equal(retry.history[0].error.code, 'ECONNRESET');
    assert.deepEqual(retry.history[0].error.source, { id: 'fn', type: 'function', name: undefined });
    assert.equal(retry.firstFailedAt, retry.history[0].at);
    assert.ok(statuses.some((s) => /^retry 2\/5 in \d+ms$/.test(s)), statuses.join(' | '));
    assert.deepEqual(await storeOf().listRetries('retry1'), [], 'taken retries leave the store');
  });

  it('sends a non-retryable error to output 2 and the dead-letter queue at once', async () => {
    const flow = [{ id: 'f1', type: 'tab' }, storeConfig(), retryConfig([['again'], ['dead']]), { id: 'again', type: 'helper', z: 'f1' }, { id: 'dead', type: 'helper', z: 'f1' }];
    await helper.load([storeNode, retryNode], flow);
    let resent = 0;
    (helper.getNode('again') as unknown as HelperNode).on('input', () => resent++);
    const dead = nextMessage('dead');
    helper.getNode('retry1').receive({ payload: { name: '' }, correlationId: 'corr-1', error: validation } as never);
    const msg = await dead;
    const info = msg.deadLetter as { id: string; reason: string; kind: string };
    assert.equal(info.reason, 'not_retryable');
    assert.equal(info.kind, 'validation');
    assert.equal(msg.error, undefined);
    const res = await helper.request().get(`/odoo-middleware/dead-letters/${info.id}`).expect(200);
    assert.equal(res.body.status, 'dead');
    assert.equal(res.body.nodeId, 'retry1');
    assert.equal(res.body.correlationId, 'corr-1');
    assert.equal(res.body.errorKind, 'validation');
    assert.deepEqual(res.body.message.payload, { name: '' });
    assert.equal(res.body.history.length, 1);
    assert.equal(resent, 0);
  });

  it('resumes a pending retry after a runtime restart on the same SQLite file; dead letters stay', async () => {
    const flow = [{ id: 'f1', type: 'tab' }, storeConfig(), retryConfig([['again'], ['dead']]), { id: 'again', type: 'helper', z: 'f1' }, { id: 'dead', type: 'helper', z: 'f1' }];
    await helper.load([storeNode, retryNode], flow);
    let early = 0;
    (helper.getNode('again') as unknown as HelperNode).on('input', () => early++);
    const dead = nextMessage('dead');
    helper.getNode('retry1').receive({ payload: 'parked', error: validation } as never);
    const letterId = ((await dead).deadLetter as { id: string }).id;
    helper.getNode('retry1').receive({ payload: 'pending', error: rateLimited(1500) } as never);
    await until(async () => (await storeOf().listRetries('retry1')).length === 1, 'the retry to be stored');
    await helper.unload();
    assert.equal(early, 0, 'the retry had not fired before the restart');

    await helper.load([storeNode, retryNode], flow);
    const again = await nextMessage('again', 10000);
    assert.equal(again.payload, 'pending');
    assert.equal((again.retry as { attempt: number }).attempt, 2);
    const list = await helper.request().get('/odoo-middleware/dead-letters').expect(200);
    assert.deepEqual(list.body.items.map((i: { id: string }) => i.id), [letterId]);
  });

  it('lists, shows, replays, discards and purges through the admin endpoints', async () => {
    const flow = [{ id: 'f1', type: 'tab' }, storeConfig(), retryConfig([['again'], ['dead']]), { id: 'again', type: 'helper', z: 'f1' }, { id: 'dead', type: 'helper', z: 'f1' }];
    await helper.load([storeNode, retryNode], flow);
    const ids: string[] = [];
    for (const payload of ['one', 'two']) {
      const dead = nextMessage('dead');
      helper.getNode('retry1').receive({ payload, correlationId: `c-${payload}`, error: validation } as never);
      ids.push(((await dead).deadLetter as { id: string }).id);
    }
    const now = Date.now();
    await storeOf().addDeadLetter({
      id: 'orphan', message: { payload: 'x' }, droppedPaths: [], error: { message: 'old' }, history: [], nodeId: 'deleted-node',
      errorKind: 'timeout', createdAt: now, updatedAt: now, status: 'dead',
    });

    const list = await helper.request().get('/odoo-middleware/dead-letters').query({ kind: 'validation' }).expect(200);
    assert.equal(list.body.total, 2);
    assert.deepEqual(list.body.countsByKind, { validation: 2, timeout: 1 });
    const byCorrelation = await helper.request().get('/odoo-middleware/dead-letters').query({ correlationId: 'c-two' }).expect(200);
    assert.deepEqual(byCorrelation.body.items.map((i: { id: string }) => i.id), [ids[1]]);
    await helper.request().get('/odoo-middleware/dead-letters').query({ status: 'lost' }).expect(400);
    await helper.request().get('/odoo-middleware/dead-letters/nope').expect(404);

    const replayed = nextMessage('again');
    const replay = await helper.request().post('/odoo-middleware/dead-letters/replay').send({ ids: [ids[0]] }).expect(200);
    assert.deepEqual(replay.body.queued, [ids[0]]);
    const msg = await replayed;
    assert.equal(msg.payload, 'one');
    assert.deepEqual(msg.retry, { attempt: 1, nextDelayMs: 0, history: [], replayOf: ids[0] });
    assert.equal((await helper.request().get(`/odoo-middleware/dead-letters/${ids[0]}`)).body.status, 'replayed');
    const twice = await helper.request().post(`/odoo-middleware/dead-letters/${ids[0]}/replay`).expect(409);
    assert.match(twice.body.message, /only letters with status dead/);

    const orphan = await helper.request().post('/odoo-middleware/dead-letters/orphan/replay').expect(409);
    assert.match(orphan.body.message, /retry node deleted-node that parked dead letter orphan no longer exists/);

    const discard = await helper.request().post('/odoo-middleware/dead-letters/discard').send({ ids: [ids[1], 'nope'] }).expect(200);
    assert.deepEqual(discard.body, { discarded: [ids[1]], notFound: ['nope'] });
    assert.equal((await helper.request().get(`/odoo-middleware/dead-letters/${ids[1]}`)).body.status, 'discarded');
    await helper.request().post('/odoo-middleware/dead-letters/discard').send({ ids: 'x' }).expect(400);

    await helper.request().post('/odoo-middleware/dead-letters/purge').send({ olderThanDays: 1 }).expect(200, { purged: 0 });
    await new Promise((r) => setTimeout(r, 5));
    await helper.request().post('/odoo-middleware/dead-letters/purge').send({ olderThanDays: 0 }).expect(200, { purged: 3 });
    assert.equal((await helper.request().get('/odoo-middleware/dead-letters')).body.total, 0);
  });

  it('on delete (removed) parks its pending retries as dead letters; a redeploy keeps them', async () => {
    const flow = [{ id: 'f1', type: 'tab' }, storeConfig(), retryConfig([['again'], ['dead']]), { id: 'again', type: 'helper', z: 'f1' }, { id: 'dead', type: 'helper', z: 'f1' }];
    await helper.load([storeNode, retryNode], flow);
    helper.getNode('retry1').receive({ payload: 'waiting', error: rateLimited(30000) } as never);
    await until(async () => (await storeOf().listRetries('retry1')).length === 1, 'the retry to be stored');

    await helper.setFlows(flow.map((n) => (n.id === 'retry1' ? { ...n, name: 'renamed' } : n)), 'nodes');
    assert.equal((await storeOf().listRetries('retry1')).length, 1, 'redeploy (removed=false) keeps the pending retry');

    await helper.setFlows(flow.filter((n) => n.id !== 'retry1'), 'nodes');
    const store = storeOf();
    assert.deepEqual(await store.listRetries('retry1'), []);
    const { items } = await store.listDeadLetters({ nodeId: 'retry1' });
    assert.equal(items.length, 1);
    assert.equal(items[0].error.reason, 'node_removed');
    assert.equal(items[0].message.payload, 'waiting');
  });

  it('fails a message with a clear error when no store is configured', async () => {
    const flow = [
      { id: 'f1', type: 'tab' },
      retryConfig([[], []], { store: '' }),
      { id: 'catcher', type: 'catch', z: 'f1', scope: ['retry1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1' },
    ];
    await helper.load([storeNode, retryNode], flow);
    const caught = nextMessage('caught');
    helper.getNode('retry1').receive({ payload: 1, error: validation } as never);
    const msg = await caught;
    assert.equal((msg.error as Msg).code, 'MW_VALIDATION');
    assert.match(String((msg.error as Msg).message), /property store must name a middleware-store config node/);
  });

  it('runs the example flow: the call ends either done or dead-lettered, never lost', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'flows', 'examples', 'middleware-retry.json'), 'utf8')) as Msg[];
    const flow = example.map((n) =>
      n.type === 'middleware-store' ? { ...n, path: dbPath } : n.type === 'middleware-retry' ? { ...n, baseDelayMs: 5, maxDelayMs: 20 } : n,
    );
    await helper.load([storeNode, retryNode, functionNode, injectNode, debugNode], flow as never);
    const outcome = new Promise<string>((resolve) => {
      (helper.getNode('a1c0ffee00000005') as unknown as HelperNode).on('input', () => resolve('done'));
      (helper.getNode('a1c0ffee00000008') as unknown as HelperNode).on('input', () => resolve('dead'));
    });
    (helper.getNode('a1c0ffee00000003') as unknown as { receive(m: Msg): void }).receive({});
    assert.ok(['done', 'dead'].includes(await outcome));
  });
});
