import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricsRegistry } from '../../../nodes/lib/ops/metrics';
import { MiddlewareInstruments } from '../../../nodes/lib/ops/instruments';

const DASHBOARD = path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'grafana-dashboard.json');

describe('Grafana dashboard in docs/', () => {
  it('queries only metrics the product exposes', async () => {
    const metrics = new MetricsRegistry();
    const instruments = new MiddlewareInstruments(metrics);
    instruments.watchConnection('erp', { circuitState: () => 'closed', keyExpiry: () => ({ state: 'ok', expiresAt: Date.now() + 1000, key: 1 }), paused: () => undefined });
    instruments.watchDeadLetters(() => []);
    const exposed = new Set([...(await metrics.metrics()).matchAll(/^# TYPE (\S+) (\w+)/gm)].map((m) => m[1]));
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/odoo_middleware_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))));
    assert.ok(used.size >= 8, `the dashboard uses ${used.size} metrics`);
    for (const name of used) assert.ok(exposed.has(name), `${name} is not exposed (exposed: ${[...exposed].join(', ')})`);
  });
});
