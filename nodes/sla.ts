import type { NodeAPI, NodeDef } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { middlewareMetrics } from './lib/ops/metrics';
import { deadlineMs, SlaMonitor, slaMetricReadings, slaRegistry, type SlaBreach } from './lib/ops/sla';
import { middlewareStoreOf } from './lib/runtime/middleware-store';
import { lastTracedHop, mountSlaRoutes, type SlaConfigNode } from './lib/runtime/sla';

interface SlaDef extends NodeDef {
  deadline: string | number;
  deadlineUnit: string;
  store: string;
}

/** Breaches are looked for ten times per deadline, at most every 5 s and at least every 200 ms. */
function scanIntervalMs(deadline: number): number {
  return Math.min(5000, Math.max(200, Math.round(deadline / 10)));
}

/** Label values are SLA names (one per config node), never business keys. */
const breachesTotal = middlewareMetrics.counter('sla_breaches_total', 'Business SLA breaches reported, per SLA.', ['sla']);
let openGaugeAdded = false;

export = (RED: NodeAPI): void => {
  mountSlaRoutes(RED);
  if (!openGaugeAdded) {
    openGaugeAdded = true;
    middlewareMetrics.gaugeSource('sla_open', 'Open business SLAs per SLA, breached ones included.', ['sla'], async () =>
      (await slaMetricReadings()).map((r) => ({ labels: { sla: r.sla }, value: r.open })),
    );
  }

  function SlaConfig(this: SlaConfigNode, def: SlaDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const targets = new Map<string, (breach: SlaBreach) => void>();
    let timer: NodeJS.Timeout | undefined;
    let scanning = false;
    let lastWarnAt = 0;

    node.addBreachTarget = (nodeId, report) => {
      targets.set(nodeId, report);
      return () => {
        if (targets.get(nodeId) === report) targets.delete(nodeId);
      };
    };

    try {
      const deadline = deadlineMs(def.deadline, def.deadlineUnit);
      node.monitor = new SlaMonitor({
        id: node.id,
        name: def.name || node.id,
        deadlineMs: deadline,
        store: middlewareStoreOf(RED, def.store, 'sla'),
        lastHop: lastTracedHop,
      });
      slaRegistry.register(node.monitor);
      timer = setInterval(scan, scanIntervalMs(deadline));
      timer.unref();
    } catch (err) {
      node.setupError = toMiddlewareError(err);
      node.error(node.setupError);
    }

    function scan(): void {
      const monitor = node.monitor;
      // A breach is marked in the store only while an output can carry it, so none is marked and lost.
      if (!monitor || scanning || targets.size === 0) return;
      scanning = true;
      monitor
        .scan()
        .then(
          (breaches) => {
            for (const breach of breaches) {
              breachesTotal.inc({ sla: monitor.name });
              // The opener reports it; when that node is gone (edited flow), any sla-open on this SLA does.
              const report = targets.get(breach.openedBy ?? '') ?? targets.values().next().value;
              report?.(breach);
            }
          },
          (err: unknown) => {
            const now = Date.now();
            if (now - lastWarnAt < 30_000) return;
            lastWarnAt = now;
            node.warn(`sla ${monitor.name}: breaches could not be checked: ${toMiddlewareError(err).message}`);
          },
        )
        .finally(() => {
          scanning = false;
        });
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      if (node.monitor) slaRegistry.unregister(node.monitor);
      done();
    });
  }

  RED.nodes.registerType('sla', SlaConfig);
};
