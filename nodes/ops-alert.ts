import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AlertBook, type AlertKind, type Condition } from './lib/ops/anomaly';
import { anomalyMonitor } from './lib/runtime/anomaly';
import { cleared, failed, ok } from './lib/status';

interface OpsAlertDef extends NodeDef {
  failureRate: boolean;
  dlqInflow: boolean;
  backlogGrowth: boolean;
  /** Only subjects matching this regular expression (empty: all). */
  subject: string;
  coolDown: string | number;
}

const DEFAULT_COOL_DOWN_SECONDS = 900;

export = (RED: NodeAPI): void => {
  function OpsAlert(this: Node, def: OpsAlertDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const kinds = new Set<AlertKind>();
    if (def.failureRate !== false) kinds.add('failure_rate');
    if (def.dlqInflow !== false) kinds.add('dlq_inflow');
    if (def.backlogGrowth !== false) kinds.add('backlog_growth');
    let subject: RegExp | undefined;
    try {
      subject = def.subject ? new RegExp(def.subject, 'i') : undefined;
    } catch (err) {
      node.error(`ops-alert: property subject must be a regular expression: ${(err as Error).message}`);
      node.status(failed('configuration'));
      return;
    }
    const seconds = def.coolDown === '' || def.coolDown === undefined ? DEFAULT_COOL_DOWN_SECONDS : Number(def.coolDown);
    const book = new AlertBook((Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_COOL_DOWN_SECONDS) * 1000);
    const wanted = (c: Condition): boolean => kinds.has(c.kind) && (!subject || subject.test(c.subject));

    const unsubscribe = anomalyMonitor(RED).subscribe((conditions, now) => {
      for (const condition of conditions) {
        if (!wanted(condition)) continue;
        const alert = book.update(condition, now);
        if (!alert) continue;
        node.send({ payload: alert.explanation, topic: `${alert.kind} ${alert.subject}`, alert } as unknown as NodeMessageInFlow);
      }
      const open = book.active().length;
      node.status(open > 0 ? failed(`${open} open`) : ok('quiet'));
    });
    node.status(ok('quiet'));

    node.on('close', (_removed: boolean, done: () => void) => {
      unsubscribe();
      node.status(cleared());
      done();
    });
  }

  RED.nodes.registerType('ops-alert', OpsAlert);
};
