import { strict as assert } from 'node:assert';
import { LabelSetLimiter, MAX_LABEL_LENGTH, MetricsRegistry } from '../../../nodes/lib/ops/metrics';
import { MiddlewareInstruments } from '../../../nodes/lib/ops/instruments';
import { parseExposition, valueOf, has } from '../../helpers/metrics';

describe('metrics registry', () => {
  it('a gauge shows the union of its sources, read at scrape time, and drops a removed source', async () => {
    const metrics = new MetricsRegistry();
    let open = 2;
    const removeA = metrics.gaugeSource('sla_open', 'Open SLAs.', ['sla'], () => [{ labels: { sla: 'orders' }, value: open }]);
    metrics.gaugeSource('sla_open', 'Open SLAs.', ['sla'], async () => [{ labels: { sla: 'invoices' }, value: 5 }]);
    let samples = parseExposition(await metrics.metrics());
    assert.equal(valueOf(samples, 'odoo_middleware_sla_open', { sla: 'orders' }), 2);
    assert.equal(valueOf(samples, 'odoo_middleware_sla_open', { sla: 'invoices' }), 5);
    open = 7;
    assert.equal(valueOf(parseExposition(await metrics.metrics()), 'odoo_middleware_sla_open', { sla: 'orders' }), 7);
    removeA();
    samples = parseExposition(await metrics.metrics());
    assert.ok(!has(samples, 'odoo_middleware_sla_open', { sla: 'orders' }));
    assert.ok(has(samples, 'odoo_middleware_sla_open', { sla: 'invoices' }));
  });

  it('a counter asked for twice by name is the same counter', async () => {
    const metrics = new MetricsRegistry();
    metrics.counter('sla_breaches_total', 'Breaches.', ['sla']).inc({ sla: 'orders' });
    metrics.counter('sla_breaches_total', 'Breaches.', ['sla']).inc({ sla: 'orders' });
    assert.equal(valueOf(parseExposition(await metrics.metrics()), 'odoo_middleware_sla_breaches_total', { sla: 'orders' }), 2);
  });

  it('label values are cut to a bounded length', async () => {
    const metrics = new MetricsRegistry();
    metrics.gaugeSource('bus_depth', 'Depth.', ['topic'], () => [{ labels: { topic: 'x'.repeat(500) }, value: 1 }]);
    const [sample] = parseExposition(await metrics.metrics());
    assert.equal(sample.labels.topic.length, MAX_LABEL_LENGTH);
  });

  it('model/method pairs past the cap are counted under other', async () => {
    const limiter = new LabelSetLimiter(2);
    assert.deepEqual(['a', 'b', 'c', 'a'].map((k) => limiter.admit(k)), [true, true, false, true]);
    const metrics = new MetricsRegistry();
    const observer = new MiddlewareInstruments(metrics).callObserver('erp');
    for (let i = 0; i < 600; i++) observer.onCall({ model: `m${i}`, method: 'read', args: {}, outcome: 'ok', sent: true, durationMs: 1 });
    const samples = parseExposition(await metrics.metrics()).filter((s) => s.name === 'odoo_middleware_odoo_calls_total');
    assert.equal(samples.length, 501);
    assert.equal(valueOf(samples, 'odoo_middleware_odoo_calls_total', { model: 'other', method: 'other' }), 100);
  });

  it('a refused call is counted but adds no duration', async () => {
    const metrics = new MetricsRegistry();
    const observer = new MiddlewareInstruments(metrics).callObserver('erp');
    observer.onCall({ model: 'res.partner', method: 'create', args: {}, outcome: 'policy', sent: false, durationMs: 0 });
    const samples = parseExposition(await metrics.metrics());
    assert.equal(valueOf(samples, 'odoo_middleware_odoo_calls_total', { outcome: 'policy' }), 1);
    assert.equal(valueOf(samples, 'odoo_middleware_odoo_call_duration_seconds_count', { model: 'res.partner' }), 0);
  });
});
