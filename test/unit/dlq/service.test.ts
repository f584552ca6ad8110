import { strict as assert } from 'node:assert';
import { DeadLetterRegistry, type ReplayTarget } from '../../../nodes/lib/dlq/registry';
import { discardLetters, listLetters, parseIds, parseListQuery, parseOlderThanDays, purgeLetters, replayLetters } from '../../../nodes/lib/dlq/service';
import { ReplayQueue, type Timers } from '../../../nodes/lib/dlq/replay-queue';
import { createSqliteStore } from '../../../nodes/lib/store/sqlite';
import type { DeadLetter, MiddlewareStore } from '../../../nodes/lib/store/types';

function letter(id: string, over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id,
    message: { payload: id },
    droppedPaths: [],
    error: { message: `failed ${id}`, code: 'ODOO_VALIDATION', reason: 'not_retryable' },
    history: [{ attempt: 1 }],
    nodeId: 'r1',
    flowId: 'f1',
    errorKind: 'validation',
    createdAt: 1000,
    updatedAt: 1000,
    status: 'dead',
    ...over,
  };
}

function target(nodeId: string, store: MiddlewareStore, queued: string[]): ReplayTarget {
  return { nodeId, store, enqueueReplay: (l) => (queued.includes(l.id) ? false : (queued.push(l.id), true)) };
}

describe('dead-letter service', () => {
  let a: MiddlewareStore;
  let b: MiddlewareStore;
  let registry: DeadLetterRegistry;
  const queued: string[] = [];
  beforeEach(async () => {
    a = createSqliteStore({ path: ':memory:' });
    b = createSqliteStore({ path: ':memory:' });
    registry = new DeadLetterRegistry();
    queued.length = 0;
    registry.register(target('r1', a, queued));
    registry.register(target('r1b', a, queued));
    registry.register(target('r2', b, queued));
    await a.addDeadLetter(letter('a1', { createdAt: 1000 }));
    await a.addDeadLetter(letter('a2', { createdAt: 3000, errorKind: 'timeout', correlationId: 'c9' }));
    await b.addDeadLetter(letter('b1', { createdAt: 2000, nodeId: 'r2', flowId: 'f2' }));
    await b.addDeadLetter(letter('b2', { createdAt: 4000, nodeId: 'gone', errorKind: 'weird' }));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('lists across distinct stores, newest first, paged, with counts by kind', async () => {
    const all = await listLetters(registry, parseListQuery({}));
    assert.equal(all.stores, 2);
    assert.equal(all.total, 4);
    assert.deepEqual(all.items.map((i) => i.id), ['b2', 'a2', 'b1', 'a1']);
    assert.deepEqual(all.countsByKind, { validation: 2, timeout: 1, other: 1 });
    assert.equal(all.items[0].attempts, 1);
    assert.equal(all.items[0].errorMessage, 'failed b2');
    assert.equal((all.items[0] as unknown as Record<string, unknown>).message, undefined, 'list rows leave the message out');
    const page = await listLetters(registry, parseListQuery({ limit: '2', offset: '1' }));
    assert.deepEqual(page.items.map((i) => i.id), ['a2', 'b1']);
  });

  it('filters by flow, kind, correlation id, status and time', async () => {
    const ids = async (q: Record<string, unknown>) => (await listLetters(registry, parseListQuery(q))).items.map((i) => i.id);
    assert.deepEqual(await ids({ flow: 'f2' }), ['b1']);
    assert.deepEqual(await ids({ kind: 'timeout' }), ['a2']);
    assert.deepEqual(await ids({ correlationId: 'c9' }), ['a2']);
    assert.deepEqual(await ids({ since: '2000', until: '3000' }), ['a2', 'b1']);
    assert.deepEqual(await ids({ since: new Date(3500).toISOString() }), ['b2']);
    await a.setDeadLetterStatus('a1', 'discarded', 5000);
    assert.deepEqual(await ids({ status: 'discarded' }), ['a1']);
  });

  it('rejects bad query values naming the parameter', () => {
    assert.throws(() => parseListQuery({ status: 'lost' }), /query status must be one of dead, replayed, discarded/);
    assert.throws(() => parseListQuery({ limit: '0' }), /query limit must be an integer from 1 to 500/);
    assert.throws(() => parseListQuery({ since: 'yesterday' }), /query since must be epoch milliseconds or an ISO date/);
    assert.throws(() => parseIds({ ids: [] }), /body.ids must be a non-empty array/);
    assert.throws(() => parseIds({}), /body.ids/);
    assert.throws(() => parseOlderThanDays({ olderThanDays: -1 }), /olderThanDays must be a number >= 0/);
    assert.deepEqual(parseIds({ ids: ['x', 'x', 'y'] }), ['x', 'y']);
  });

  it('replay queues on the parking node; missing node, wrong status and unknown ids are reported', async () => {
    await b.setDeadLetterStatus('b1', 'replayed', 5000);
    const result = await replayLetters(registry, ['a1', 'b1', 'b2', 'nope']);
    assert.deepEqual(result.queued, ['a1']);
    assert.deepEqual(result.notFound, ['nope']);
    assert.deepEqual(result.conflicts.map((c) => [c.id, c.reason]), [['b1', 'not_dead'], ['b2', 'node_missing']]);
    assert.match(result.conflicts[1].message, /retry node gone .* no longer exists/);
    const again = await replayLetters(registry, ['a1']);
    assert.deepEqual(again.conflicts.map((c) => c.reason), ['already_queued']);
  });

  it('discard and purge', async () => {
    assert.deepEqual(await discardLetters(registry, ['a1', 'nope'], 9000), { discarded: ['a1'], notFound: ['nope'] });
    assert.equal((await a.getDeadLetter('a1'))!.status, 'discarded');
    // now = 1 day + 2500 ms: letters created before 2500 go
    assert.deepEqual(await purgeLetters(registry, 1, 86_400_000 + 2500), { purged: 2 });
    assert.deepEqual((await listLetters(registry, {})).items.map((i) => i.id), ['b2', 'a2']);
  });

  it('unregister keeps a newer registration of the same node id', () => {
    const old = registry.get('r1')!;
    const fresh = target('r1', b, queued);
    registry.register(fresh);
    registry.unregister(old);
    assert.equal(registry.get('r1'), fresh);
    registry.unregister(fresh);
    assert.equal(registry.get('r1'), undefined);
  });
});

describe('ReplayQueue', () => {
  it('emits one item per interval and refuses a key already waiting', async () => {
    const scheduled: Array<{ fn: () => void; ms: number }> = [];
    const timers: Timers = { setTimeout: (fn, ms) => scheduled.push({ fn, ms }), clearTimeout: () => undefined };
    const emitted: number[] = [];
    const queue = new ReplayQueue<number>(4, async (n) => void emitted.push(n), timers);
    assert.equal(queue.push('a', 1), true);
    assert.equal(queue.push('b', 2), true);
    assert.equal(queue.push('b', 3), false);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(emitted, [1]);
    assert.equal(scheduled.at(-1)!.ms, 250);
    scheduled.at(-1)!.fn();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(emitted, [1, 2]);
    queue.close();
    assert.equal(queue.push('c', 4), false);
  });
});
