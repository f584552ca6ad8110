import { strict as assert } from 'node:assert';
import { RetryController, RESTORE_STAGGER_MS, type RetryControllerDeps } from '../../../nodes/lib/retry/controller';
import { DEFAULT_POLICY } from '../../../nodes/lib/retry/policy';
import { NO_OVERRIDES } from '../../../nodes/lib/retry/classify';
import { createSqliteStore } from '../../../nodes/lib/store/sqlite';
import type { MiddlewareStore } from '../../../nodes/lib/store/types';
import type { Timers } from '../../../nodes/lib/dlq/replay-queue';
import type { NodeStatus } from '../../../nodes/lib/status';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Timers {
  now = 1_000_000;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  get armed(): number {
    return this.due.size;
  }
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
      await flush();
    }
    this.now = until;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const timeoutError = { message: 'Error: timed out', code: 'ODOO_TIMEOUT', source: { id: 'w1', type: 'odoo-write', count: 1 }, cause: { kind: 'timeout', retryable: true, outcomeUnknown: true } };

function setup(store: MiddlewareStore, clock: FakeClock, over: Partial<RetryControllerDeps> = {}) {
  const resent: Array<Record<string, unknown>> = [];
  const dead: Array<Record<string, unknown>> = [];
  const statuses: NodeStatus[] = [];
  const errors: unknown[] = [];
  let n = 0;
  const controller = new RetryController({
    nodeId: 'retry1',
    flowId: 'flowA',
    store,
    policy: DEFAULT_POLICY,
    overrides: NO_OVERRIDES,
    unknownRetryable: true,
    replayRatePerSecond: 2,
    now: () => clock.now,
    random: () => 1,
    newId: () => `id${++n}`,
    timers: clock,
    flowIdOf: (id) => (id === 'w1' ? 'flowW' : undefined),
    resend: (m) => resent.push(m),
    deadLettered: (m) => dead.push(m),
    status: (s) => statuses.push(s),
    reportError: (e) => errors.push(e),
    ...over,
  });
  return { controller, resent, dead, statuses, errors };
}

describe('RetryController', () => {
  let store: MiddlewareStore;
  let clock: FakeClock;
  beforeEach(() => {
    store = createSqliteStore({ path: ':memory:' });
    clock = new FakeClock();
  });
  afterEach(() => store.close());

  it('stores the retry before arming, strips msg.error, re-sends once due and removes the entry', async () => {
    const { controller, resent, statuses } = setup(store, clock);
    const msg: Record<string, unknown> = { payload: { a: 1 }, error: timeoutError, _error: { message: 'older' } };
    await controller.handleFailure(msg);
    assert.equal(msg.error, undefined);
    assert.equal(msg._error, undefined);
    const stored = await store.listRetries('retry1');
    assert.equal(stored.length, 1);
    assert.equal(stored[0].dueAt, clock.now + 1000);
    assert.deepEqual((stored[0].message as { payload: unknown }).payload, { a: 1 });
    assert.deepEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'retry 2/5 in 1s' });
    await clock.advance(999);
    assert.equal(resent.length, 0);
    await clock.advance(1);
    assert.equal(resent.length, 1);
    assert.equal(resent[0], msg, 'the live message (with its non-serialisable parts) goes back');
    assert.equal((resent[0].retry as { attempt: number }).attempt, 2);
    assert.equal((resent[0].retry as { outcomeUnknown: boolean }).outcomeUnknown, true);
    assert.deepEqual(await store.listRetries('retry1'), []);
  });

  it('refuses a message that carries no error, before any side effect', async () => {
    const { controller, resent, dead } = setup(store, clock);
    await assert.rejects(controller.handleFailure({ payload: 1 }), (err: Error & { code?: string }) => err.code === 'MW_VALIDATION' && /msg\.error must be/.test(err.message));
    assert.deepEqual([resent.length, dead.length, (await store.listRetries('retry1')).length], [0, 0, 0]);
    await controller.handleFailure({ payload: 2, statusCode: 503 });
    assert.equal((await store.listRetries('retry1')).length, 1, 'an HTTP status alone is enough');
  });

  it('does not re-send an entry another instance already took', async () => {
    const { controller, resent } = setup(store, clock);
    await controller.handleFailure({ payload: 1, error: timeoutError });
    const [entry] = await store.listRetries('retry1');
    assert.equal(await store.removeRetry(entry.id), true);
    await clock.advance(2000);
    assert.equal(resent.length, 0);
  });

  it('parks a non-retryable error at once with its flow, correlation id and dropped paths', async () => {
    const { controller, dead, resent } = setup(store, clock);
    const msg = { payload: { x: 1 }, correlationId: 'c-1', req: { socket: {} }, error: { message: 'bad', code: 'MW_VALIDATION', source: { id: 'w1' }, cause: { kind: 'validation', retryable: false } } };
    await controller.handleFailure(msg);
    assert.equal(resent.length, 0);
    assert.equal(dead.length, 1);
    const info = dead[0].deadLetter as { id: string; reason: string; kind: string };
    assert.deepEqual(info, { id: 'id1', reason: 'not_retryable', kind: 'validation' });
    const letter = await store.getDeadLetter(info.id);
    assert.ok(letter);
    assert.equal(letter.flowId, 'flowW');
    assert.equal(letter.nodeId, 'retry1');
    assert.equal(letter.correlationId, 'c-1');
    assert.equal(letter.errorKind, 'validation');
    assert.equal(letter.status, 'dead');
    assert.deepEqual(letter.droppedPaths, ['req']);
    assert.equal(letter.error.reason, 'not_retryable');
    assert.equal(letter.error.code, 'MW_VALIDATION');
    assert.equal(letter.history.length, 1);
    assert.equal(letter.message.error, undefined);
    assert.equal(letter.message.deadLetter, undefined);
  });

  it('never stores credential-bearing headers with a dead letter or a retry', async () => {
    const { controller, dead } = setup(store, clock);
    const headers = () => ({
      'content-type': 'application/json',
      'x-correlation-id': 'c-9',
      authorization: 'Bearer secret-token',
      Cookie: 'session_id=abc',
      'set-cookie': ['sid=1'],
      'x-hub-signature-256': 'sha256=aa',
      'x-api-key': 'k-123',
    });
    const validation = { message: 'bad', code: 'MW_VALIDATION', source: { id: 'w1' }, cause: { kind: 'validation', retryable: false } };
    await controller.handleFailure({ payload: 1, headers: headers(), webhook: { headers: headers() }, error: validation });
    const letter = await store.getDeadLetter((dead[0].deadLetter as { id: string }).id);
    assert.ok(letter);
    const text = JSON.stringify(letter);
    for (const secret of ['secret-token', 'session_id', 'sid=1', 'sha256=aa', 'k-123']) assert.ok(!text.includes(secret), `${secret} was stored`);
    assert.deepEqual(letter.message.headers, { 'content-type': 'application/json', 'x-correlation-id': 'c-9' });
    assert.ok(letter.droppedPaths.includes('headers.authorization') && letter.droppedPaths.includes('webhook.headers["x-api-key"]'), JSON.stringify(letter.droppedPaths));
    await controller.handleFailure({ payload: 2, headers: headers(), error: timeoutError });
    const [retry] = await store.listRetries('retry1');
    assert.deepEqual((retry.message as { headers: unknown }).headers, { 'content-type': 'application/json', 'x-correlation-id': 'c-9' });
  });

  it('restore re-arms stored retries: future ones on time, overdue ones staggered', async () => {
    const first = setup(store, clock);
    await first.controller.handleFailure({ payload: 'a', error: timeoutError });
    await first.controller.handleFailure({ payload: 'b', error: timeoutError, retry: { attempt: 3, history: [], firstFailedAt: clock.now } });
    await first.controller.close(false);
    assert.equal((await store.listRetries('retry1')).length, 2, 'a redeploy keeps them');
    clock.now += 2000; // 'a' (due +1 s) is overdue, 'b' (due +4 s) is 2 s away
    const second = setup(store, clock);
    assert.equal(await second.controller.restore(), 2);
    await clock.advance(RESTORE_STAGGER_MS);
    assert.deepEqual(second.resent.map((m) => m.payload), ['a']);
    await clock.advance(2000);
    assert.deepEqual(second.resent.map((m) => m.payload), ['a', 'b']);
  });

  it('a retry taken while the node closes is put back for its next start, not sent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: MiddlewareStore = Object.create(store, {
      removeRetry: { value: async (id: string) => { await gate; return store.removeRetry(id); } },
    });
    const { controller, resent } = setup(slow, clock);
    await controller.handleFailure({ payload: 'mid', error: timeoutError });
    await clock.advance(1000);
    const closing = controller.close(false);
    release();
    await closing;
    assert.equal(resent.length, 0);
    const stored = await store.listRetries('retry1');
    assert.deepEqual(stored.map((e) => [e.message.payload, e.dueAt]), [['mid', clock.now]]);
  });

  it('close(removed=true) moves pending retries to the dead-letter queue', async () => {
    const { controller } = setup(store, clock);
    await controller.handleFailure({ payload: 'p', error: timeoutError });
    await controller.close(true);
    assert.equal(clock.armed, 0);
    assert.deepEqual(await store.listRetries('retry1'), []);
    const { items } = await store.listDeadLetters({ nodeId: 'retry1' });
    assert.equal(items.length, 1);
    assert.equal(items[0].error.reason, 'node_removed');
    assert.equal(items[0].message.payload, 'p');
  });

  it('replays letters at the configured rate with msg.retry reset and outcomeUnknown kept', async () => {
    const { controller, resent, dead } = setup(store, clock, { policy: { ...DEFAULT_POLICY, maxAttempts: 1 } });
    await controller.handleFailure({ payload: 1, error: timeoutError });
    await controller.handleFailure({ payload: 2, error: timeoutError });
    const letters = await Promise.all(dead.map((m) => store.getDeadLetter((m.deadLetter as { id: string }).id)));
    for (const l of letters) assert.equal(controller.enqueueReplay(l!, store), true);
    assert.equal(controller.enqueueReplay(letters[0]!, store), false, 'already queued');
    await flush();
    assert.equal(resent.length, 1);
    assert.deepEqual(resent[0].retry, { attempt: 1, nextDelayMs: 0, history: [], replayOf: letters[0]!.id, outcomeUnknown: true });
    assert.equal((await store.getDeadLetter(letters[0]!.id))!.status, 'replayed');
    await clock.advance(499);
    assert.equal(resent.length, 1, '2 per second: the second waits 500 ms');
    await clock.advance(1);
    assert.deepEqual(resent.map((m) => m.payload), [1, 2]);
  });
});
