import { strict as assert } from 'node:assert';
import { businessKey, deadlineMs, SlaMonitor, SlaRegistry, slaMetricReadings } from '../../../nodes/lib/ops/sla';
import { createSqliteStore } from '../../../nodes/lib/store';

describe('business SLA logic', () => {
  it('reads deadlines in seconds, minutes, hours and days, refusing what is not a positive number', () => {
    assert.equal(deadlineMs(15, 'min'), 900_000);
    assert.equal(deadlineMs('1.5', 's'), 1500);
    assert.equal(deadlineMs(2, 'h'), 7_200_000);
    assert.equal(deadlineMs(1, 'd'), 86_400_000);
    assert.throws(() => deadlineMs(0, 'min'), /deadline must be a number greater than 0, got 0/);
    assert.throws(() => deadlineMs('', 'min'), /got ""/);
    assert.throws(() => deadlineMs(5, 'weeks'), /deadlineUnit must be one of s, min, h, d, got "weeks"/);
  });

  it('takes strings and numbers as business keys, nothing else', () => {
    assert.equal(businessKey(' S1234 ', 'sla-open', 'msg.payload.id'), 'S1234');
    assert.equal(businessKey(42, 'sla-open', 'msg.payload.id'), '42');
    assert.throws(() => businessKey({}, 'sla-open', 'msg.payload.id'), /sla-open: the business key \(msg\.payload\.id\) must be a non-empty string or a number, got \{\}/);
    assert.throws(() => businessKey('  ', 'sla-open', 'msg.payload.id'), /got "  "/);
  });

  it('breaches exactly the keys past their deadline, once, with the age and the last hop the trace holds', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    let now = 1_000_000;
    const hops: Record<string, { nodeId: string; nodeType: string; at: number; source: 'trace' }> = { 'c-late': { nodeId: 'w1', nodeType: 'odoo-write', at: now + 10, source: 'trace' } };
    const monitor = new SlaMonitor({ id: 'sla1', name: 'order', deadlineMs: 60_000, store, clock: () => now, lastHop: (c) => hops[c] });
    await monitor.open('S1', { correlationId: 'c-late', nodeId: 'open1' });
    await monitor.open('S2', { nodeId: 'open1', flowId: 'f1' });
    now += 30_000;
    await monitor.open('S3', {});
    assert.deepEqual(await monitor.scan(), []);
    now += 30_001;
    const breaches = await monitor.scan();
    assert.deepEqual(breaches.map((b) => b.key), ['S1', 'S2']);
    assert.equal(breaches[0].ageMs, 60_001);
    assert.equal(breaches[0].businessKey, 'order S1');
    assert.deepEqual(breaches[0].lastHop, hops['c-late']);
    assert.deepEqual(breaches[1].lastHop, { nodeId: 'open1', nodeType: 'sla-open', flowId: 'f1', at: 1_000_000, source: 'opened' });
    assert.deepEqual(await monitor.scan(), [], 'a breach is reported once');
    const figures = await monitor.figures();
    assert.equal(figures.open, 3);
    assert.equal(figures.breachedOpen, 2);
    assert.equal(figures.breachesReported, 2);
    const closed = await monitor.close('S3');
    assert.equal(closed.withinDeadline, true);
    assert.equal(closed.ageMs, 30_001);
    await store.close();
  });

  it('gives sla_open and sla_breaches_total readings per SLA name, leaving out an SLA whose store fails', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    let now = 0;
    const registry = new SlaRegistry();
    const orders = new SlaMonitor({ id: 'a', name: 'order', deadlineMs: 10, store, clock: () => now });
    const broken = createSqliteStore({ path: ':memory:' });
    await broken.close();
    registry.register(orders);
    registry.register(new SlaMonitor({ id: 'b', name: 'invoice', deadlineMs: 10, store: broken }));
    await orders.open('S1', {});
    await orders.open('S2', {});
    now = 11;
    await orders.scan();
    assert.deepEqual(await slaMetricReadings(registry), [{ sla: 'order', open: 2, breachesTotal: 2 }]);
    await orders.close('S1');
    assert.deepEqual(await slaMetricReadings(registry), [{ sla: 'order', open: 1, breachesTotal: 2 }]);
    await store.close();
  });
});
