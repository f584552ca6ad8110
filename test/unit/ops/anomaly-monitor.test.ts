import { strict as assert } from 'node:assert';
import { AnomalyMonitor, percentile, type MonitorHost } from '../../../nodes/lib/ops/anomaly-monitor';
import { createSqliteStore } from '../../../nodes/lib/store';
import type { DeadLetter, MiddlewareStore } from '../../../nodes/lib/store/types';

type Hook = (event: never) => void;

function host(stores: MiddlewareStore[], clock: () => number) {
  const hooks = new Map<string, Hook>();
  const h: MonitorHost & { fire(type: string, id: string, msgid: string, error?: unknown, name?: string): void } = {
    hooks: { add: (id, cb) => hooks.set(id, cb), remove: (id) => hooks.delete(id) },
    connectionOf: (nodeId) => (nodeId.startsWith('w') ? { id: 'conn1', name: 'odoo prod' } : undefined),
    circuitOf: () => 'closed',
    stores: () => stores,
    clock,
    fire(type, id, msgid, error, name) {
      const node = { id, type, name };
      (hooks.get('onReceive.odooMiddlewareAnomaly') as (e: unknown) => void)({ msg: { _msgid: msgid }, destination: { id, node } });
      (hooks.get('onComplete.odooMiddlewareAnomaly') as (e: unknown) => void)({ msg: { _msgid: msgid }, node: { id, node }, error });
    },
  };
  return h;
}

function letter(id: string, createdAt: number): DeadLetter {
  return { id, message: {}, droppedPaths: [], error: { message: 'x' }, history: [], nodeId: 'r1', errorKind: 'validation', createdAt, updatedAt: createdAt, status: 'dead' };
}

describe('anomaly monitor', () => {
  it('takes the 95th percentile by rank', () => {
    assert.equal(percentile([], 95), undefined);
    assert.equal(percentile([5], 95), 5);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95), 95);
  });

  it('flags a connection whose failure rate steps up, keeps an hour of its figures and resolves after', async () => {
    let now = 0;
    const h = host([], () => now);
    const monitor = new AnomalyMonitor(h, { windowSeconds: 60, warmupWindows: 3, coolDownSeconds: 0 });
    monitor.start();
    let n = 0;
    const window = async (calls: number, failures: number) => {
      for (let i = 0; i < calls; i++) {
        now += 1;
        h.fire('odoo-write', 'w1', `m${++n}`, i < failures ? new Error('boom') : undefined, 'upsert sale.order');
      }
      now += 60_000;
      return monitor.tick();
    };
    for (let w = 0; w < 5; w++) await window(50, 1);
    const step = await window(50, 25);
    const connection = step.find((c) => c.subject === 'connection odoo prod');
    assert.equal(connection?.anomalous, true);
    assert.equal(step.find((c) => c.subject === 'node upsert sale.order')?.anomalous, true, 'the node is judged on its own too');
    assert.match(connection?.explanation ?? '', /^connection odoo prod: 25 of 50 calls failed in the last 1 min \(50\.0%\); its baseline is 2\.0%/);
    const snap = monitor.snapshot();
    assert.deepEqual(snap.alerts.map((a) => a.subject).sort(), ['connection odoo prod', 'node upsert sale.order']);
    const windows = snap.connections[0].windows;
    assert.equal(windows.length, 6);
    assert.deepEqual(windows.at(-1), { at: now, calls: 50, errors: 25, circuit: 'closed', p95Ms: 0 });
    await window(50, 1);
    assert.deepEqual(monitor.snapshot().alerts, []);
    monitor.stop();
  });

  it('flags a burst of dead letters and a backlog heading for its threshold', async () => {
    let now = 1_000_000;
    const store = createSqliteStore({ path: ':memory:' });
    const monitor = new AnomalyMonitor(host([store], () => now), { windowSeconds: 60, warmupWindows: 3, backlogThreshold: 50, backlogHorizonMinutes: 30 });
    let id = 0;
    const park = async (count: number) => {
      for (let i = 0; i < count; i++) await store.addDeadLetter(letter(`d${++id}`, now + 1 + i));
    };
    for (let w = 0; w < 5; w++) {
      await park(1);
      now += 60_000;
      const calm = await monitor.tick();
      assert.equal(calm.find((c) => c.kind === 'dlq_inflow')?.anomalous, false);
    }
    await park(20);
    now += 60_000;
    const burst = await monitor.tick();
    const inflow = burst.find((c) => c.kind === 'dlq_inflow');
    assert.equal(inflow?.anomalous, true);
    assert.equal(inflow?.value, 20);
    const backlog = burst.find((c) => c.kind === 'backlog_growth');
    assert.equal(backlog?.value, 25);
    assert.equal(backlog?.anomalous, true, backlog?.explanation);
    assert.match(backlog?.explanation ?? '', /dead-letter queue: 25 dead letters, growing [\d.]+\/min .*; at this rate 50 is reached in \d+ (s|min)/);
    await store.close();
  });
});
