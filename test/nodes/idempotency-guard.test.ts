import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node } from 'node-red';
import { helper, initRuntime } from '../helpers/runtime';
import storeNode = require('../../nodes/middleware-store');
import guardNode = require('../../nodes/idempotency-guard');
import completeNode = require('../../nodes/idempotency-complete');
import type { NodeStatus } from '../../nodes/lib/status';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- Node-RED's core catch node ships as CommonJS without types
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as unknown;

initRuntime();

type Msg = Record<string, unknown> & { idempotency?: Record<string, unknown>; error?: Record<string, unknown> & { cause?: Record<string, unknown> } };
type TestNode = Node & { on(event: 'input', fn: (msg: Msg) => void): void; receive(msg: Msg): void };

const NODES: Parameters<typeof helper.load>[0] = [storeNode, guardNode, completeNode, catchNode as typeof storeNode];

/** Collects every message reaching the named helper nodes. */
function collect(...ids: string[]): Record<string, Msg[]> {
  const seen: Record<string, Msg[]> = {};
  for (const id of ids) {
    seen[id] = [];
    (helper.getNode(id) as unknown as TestNode).on('input', (msg) => seen[id]!.push(msg));
  }
  return seen;
}

async function until(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

function recordStatus(id: string): NodeStatus[] {
  const node = helper.getNode(id) as unknown as { status(s: NodeStatus): void };
  const calls: NodeStatus[] = [];
  const original = node.status.bind(node);
  node.status = (s: NodeStatus) => {
    calls.push(s);
    original(s);
  };
  return calls;
}

describe('idempotency-guard and idempotency-complete nodes', function () {
  let dir: string;
  let dbPath: string;

  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-guard-'));
    dbPath = path.join(dir, 'store.sqlite');
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** inject -> guard -> (1) complete -> done; (2) dup; (3) conflict; catch -> caught. */
  const flow = (guard: Record<string, unknown> = {}, complete: Record<string, unknown> = {}, store: Record<string, unknown> = {}) => [
    { id: 'f1', type: 'tab' },
    { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: dbPath, ...store },
    { id: 'guard1', type: 'idempotency-guard', z: 'f1', store: 'store1', namespace: 'orders', key: 'payload.orderId', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['first'], ['dup'], ['conflict']], ...guard },
    { id: 'first', type: 'helper', z: 'f1' },
    { id: 'dup', type: 'helper', z: 'f1' },
    { id: 'conflict', type: 'helper', z: 'f1' },
    { id: 'complete1', type: 'idempotency-complete', z: 'f1', store: 'store1', mode: 'success', ttlSeconds: 3600, wires: [['done']], ...complete },
    { id: 'done', type: 'helper', z: 'f1' },
    { id: 'catch1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];

  it('lets the first message through, completes it, and answers the resend as a duplicate with the result', async () => {
    await helper.load(NODES, flow());
    const seen = collect('first', 'dup', 'conflict', 'done', 'caught');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'SO-1', total: 10 }, topic: 'kept' });
    await until(() => seen.first!.length === 1, 'first sight');
    const first = seen.first![0]!;
    assert.equal(first.topic, 'kept');
    assert.deepEqual(first.payload, { orderId: 'SO-1', total: 10 });
    assert.equal(first.idempotency?.status, 'in_progress');
    assert.equal(first.idempotency?.key, 'SO-1');
    assert.equal(first.idempotency?.namespace, 'orders');
    assert.match(String(first.idempotency?.leaseToken), /^[0-9a-f-]{36}$/);
    assert.match(String(first.idempotency?.fingerprint), /^[0-9a-f]{64}$/);
    assert.equal(typeof first.idempotency?.firstSeenAt, 'number');

    (helper.getNode('complete1') as unknown as TestNode).receive({ ...first, payload: { invoiceId: 7 } });
    await until(() => seen.done!.length === 1, 'completion');
    assert.equal(seen.done![0]!.idempotency?.status, 'completed');
    assert.equal(seen.done![0]!.idempotency?.key, 'SO-1');

    guard.receive({ payload: { total: 10, orderId: 'SO-1' } });
    await until(() => seen.dup!.length === 1, 'duplicate');
    const dup = seen.dup![0]!;
    assert.equal(dup.idempotency?.status, 'completed');
    assert.deepEqual(dup.idempotency?.result, { invoiceId: 7 });
    assert.equal(dup.idempotency?.firstSeenAt, first.idempotency?.firstSeenAt);
    assert.equal(dup.idempotency?.leaseToken, undefined);
    assert.equal(seen.first!.length, 1);
    assert.equal(seen.conflict!.length + seen.caught!.length, 0);
  });

  it('sends a resend during processing and a reused key with another payload to output 3 with the reason', async () => {
    await helper.load(NODES, flow());
    const seen = collect('first', 'dup', 'conflict');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'SO-2', total: 10 } });
    await until(() => seen.first!.length === 1, 'first sight');
    guard.receive({ payload: { orderId: 'SO-2', total: 10 } });
    await until(() => seen.conflict!.length === 1, 'in-progress conflict');
    assert.equal(seen.conflict![0]!.idempotency?.reason, 'in_progress');
    guard.receive({ payload: { orderId: 'SO-2', total: 99 } });
    await until(() => seen.conflict!.length === 2, 'mismatch conflict');
    assert.equal(seen.conflict![1]!.idempotency?.reason, 'fingerprint_mismatch');
    assert.match(String(seen.conflict![1]!.idempotency?.message), /different payload/);
    assert.equal(seen.first!.length, 1);
    assert.equal(seen.dup!.length, 0);
  });

  it('ignores payload differences when fingerprint comparison is off', async () => {
    await helper.load(NODES, flow({ compareFingerprint: false }));
    const seen = collect('first', 'conflict');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'SO-3', at: 1 } });
    await until(() => seen.first!.length === 1, 'first sight');
    guard.receive({ payload: { orderId: 'SO-3', at: 2 } });
    await until(() => seen.conflict!.length === 1, 'conflict');
    assert.equal(seen.conflict![0]!.idempotency?.reason, 'in_progress');
  });

  it('reads the key from an HTTP header', async () => {
    await helper.load(NODES, flow({ keyType: 'header', key: 'Idempotency-Key' }));
    const seen = collect('first', 'caught');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: {}, req: { headers: { 'idempotency-key': 'abc-123' } } });
    await until(() => seen.first!.length === 1, 'first sight');
    assert.equal(seen.first![0]!.idempotency?.key, 'abc-123');
  });

  it('lets exactly one of 100 simultaneous messages with one key through', async () => {
    await helper.load(NODES, flow());
    const seen = collect('first', 'dup', 'conflict', 'caught');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    for (let i = 0; i < 100; i += 1) guard.receive({ payload: { orderId: 'HOT', total: 1 }, n: i });
    await until(() => seen.first!.length + seen.dup!.length + seen.conflict!.length === 100, 'all 100 messages');
    assert.equal(seen.first!.length, 1);
    assert.equal(seen.conflict!.length, 99);
    assert.ok(seen.conflict!.every((m) => m.idempotency?.reason === 'in_progress'));
    assert.equal(seen.caught!.length, 0);
  });

  it('still answers completed keys as duplicates after a runtime restart on the same SQLite file', async () => {
    await helper.load(NODES, flow());
    let seen = collect('first', 'done');
    (helper.getNode('guard1') as unknown as TestNode).receive({ payload: { orderId: 'SO-R' } });
    await until(() => seen.first!.length === 1, 'first sight');
    (helper.getNode('complete1') as unknown as TestNode).receive({ ...seen.first![0]!, payload: { ok: 1 } });
    await until(() => seen.done!.length === 1, 'completion');
    await helper.unload();

    await helper.load(NODES, flow());
    seen = collect('first', 'dup');
    (helper.getNode('guard1') as unknown as TestNode).receive({ payload: { orderId: 'SO-R' } });
    await until(() => seen.dup!.length === 1, 'duplicate after restart');
    assert.deepEqual(seen.dup![0]!.idempotency?.result, { ok: 1 });
    assert.equal(seen.first!.length, 0);
  });

  it('sends a missing key to the Catch node as MW_VALIDATION naming the property, and nothing to the outputs', async () => {
    await helper.load(NODES, flow());
    const seen = collect('first', 'dup', 'conflict', 'caught');
    const status = recordStatus('guard1');
    (helper.getNode('guard1') as unknown as TestNode).receive({ payload: { other: 1 }, topic: 'bad' });
    await until(() => seen.caught!.length === 1, 'catch');
    const caught = seen.caught![0]!;
    assert.equal(caught.topic, 'bad');
    assert.equal(caught.error?.code, 'MW_VALIDATION');
    assert.match(String(caught.error?.message), /msg\.payload\.orderId is missing/);
    assert.equal(caught.error?.cause?.property, 'msg.payload.orderId');
    assert.equal(caught.error?.cause?.retryable, false);
    await settle();
    assert.equal(seen.first!.length + seen.dup!.length + seen.conflict!.length, 0);
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'invalid key' });
  });

  it('fails with a retryable MW_STORE_UNAVAILABLE and a red status when the store is down, passing nothing on', async () => {
    await helper.load(NODES, flow({}, {}, { backend: 'redis', url: 'redis://127.0.0.1:1', path: '' }));
    const seen = collect('first', 'dup', 'conflict', 'caught');
    const status = recordStatus('guard1');
    (helper.getNode('guard1') as unknown as TestNode).receive({ payload: { orderId: 'SO-9' } });
    await until(() => seen.caught!.length === 1, 'catch', 10_000);
    const error = seen.caught![0]!.error;
    assert.equal(error?.code, 'MW_STORE_UNAVAILABLE');
    assert.equal(error?.cause?.retryable, true);
    assert.match(String(error?.message), /Redis store unavailable at redis:\/\/127\.0\.0\.1:1/);
    await settle();
    assert.equal(seen.first!.length + seen.dup!.length + seen.conflict!.length, 0);
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'store unavailable' });
  });

  it('shows counts in the status and clears it on close', async () => {
    await helper.load(NODES, flow());
    const seen = collect('first', 'conflict');
    const status = recordStatus('guard1');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'A' } });
    guard.receive({ payload: { orderId: 'A' } });
    await until(() => seen.first!.length === 1 && seen.conflict!.length === 1, 'both messages');
    await until(() => status.length > 0, 'status update');
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: '1 new · 0 dup · 1 conflict' });
    await helper.unload();
    assert.deepEqual(status.at(-1), {});
  });

  it('clears status and keeps the store usable for others when the guard is removed by a redeploy', async () => {
    await helper.load(NODES, flow());
    const status = recordStatus('guard1');
    const remaining = flow().filter((n) => n.id !== 'guard1');
    await (helper as unknown as { setFlows(flow: unknown[], type: string): Promise<void> }).setFlows(remaining, 'nodes');
    assert.deepEqual(status.at(-1), {});
    assert.equal(helper.getNode('guard1'), null);
    const seen = collect('caught');
    (helper.getNode('complete1') as unknown as TestNode).receive({ payload: 1, idempotency: { key: 'k', namespace: 'orders', leaseToken: 'nobody' } });
    await until(() => seen.caught!.length === 1, 'catch');
    assert.equal(seen.caught![0]!.error?.code, 'MW_LEASE_LOST');
  });

  it('refuses completion by a holder whose lease was taken over (MW_LEASE_LOST on the Catch path)', async () => {
    await helper.load(NODES, flow({ leaseSeconds: 0.05 }));
    const seen = collect('first', 'done', 'caught');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'L' } });
    await until(() => seen.first!.length === 1, 'first holder');
    await settle(120);
    guard.receive({ payload: { orderId: 'L' } });
    await until(() => seen.first!.length === 2, 'takeover');
    assert.equal(seen.first![1]!.idempotency?.takeover, true);
    (helper.getNode('complete1') as unknown as TestNode).receive({ ...seen.first![0]!, payload: 'late' });
    await until(() => seen.caught!.length === 1, 'lease lost');
    const error = seen.caught![0]!.error;
    assert.equal(error?.code, 'MW_LEASE_LOST');
    assert.equal(error?.cause?.key, 'L');
    assert.equal(seen.done!.length, 0);
    (helper.getNode('complete1') as unknown as TestNode).receive({ ...seen.first![1]!, payload: 'fresh' });
    await until(() => seen.done!.length === 1, 'completion by the new holder');
  });

  it('releases the key in failure mode so the resend is processed again', async () => {
    await helper.load(NODES, flow({}, { mode: 'failure' }));
    const seen = collect('first', 'done', 'conflict');
    const guard = helper.getNode('guard1') as unknown as TestNode;
    guard.receive({ payload: { orderId: 'F' } });
    await until(() => seen.first!.length === 1, 'first');
    (helper.getNode('complete1') as unknown as TestNode).receive(seen.first![0]!);
    await until(() => seen.done!.length === 1, 'release');
    assert.equal(seen.done![0]!.idempotency?.status, 'released');
    guard.receive({ payload: { orderId: 'F' } });
    await until(() => seen.first!.length === 2, 'processed again');
    assert.equal(seen.conflict!.length, 0);
  });

  it('names msg.idempotency when a message reaches idempotency-complete without it', async () => {
    await helper.load(NODES, flow());
    const seen = collect('caught', 'done');
    (helper.getNode('complete1') as unknown as TestNode).receive({ payload: 1 });
    await until(() => seen.caught!.length === 1, 'catch');
    assert.equal(seen.caught![0]!.error?.code, 'MW_VALIDATION');
    assert.equal(seen.caught![0]!.error?.cause?.property, 'msg.idempotency');
    assert.equal(seen.done!.length, 0);
  });

  it('reports a configuration error per message when no store is configured', async () => {
    await helper.load(NODES, flow({ store: '' }));
    const seen = collect('caught', 'first');
    (helper.getNode('guard1') as unknown as TestNode).receive({ payload: { orderId: 'X' } });
    await until(() => seen.caught!.length === 1, 'catch');
    assert.equal(seen.caught![0]!.error?.code, 'MW_VALIDATION');
    assert.equal(seen.caught![0]!.error?.cause?.property, 'store');
  });
});
