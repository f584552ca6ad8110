import { describeNode, FlowIndex, FlowObject } from '../flow-index';
import type { LintRule, Report } from '../types';

export const writeUnprotected: LintRule = {
  id: 'odoo-mw-write-unprotected',
  severity: 'error',
  description: 'odoo-write with no delivery settings (exactly once, retry, dead letter) and no Catch -> middleware-retry covering it: a failed write is lost',
  check(flows: FlowIndex): Report[] {
    return flows
      .ofType('odoo-write')
      .filter((node) => !node.d && !protectedWrite(flows, node))
      .map((node) => ({
        nodeId: node.id,
        message: `${describeNode(node)} has no delivery settings and no Catch -> retry covering it, so a failed write is lost: tick retry or dead letter on its delivery tab, or catch its errors into a middleware-retry`,
      }));
  },
};

function protectedWrite(flows: FlowIndex, node: FlowObject): boolean {
  if (node.once === true || node.retry === true || node.deadLetter === true) return true;
  const sources = flows.upstream(node.id).filter((n) => !flows.hasInputs(n.id));
  // Nothing reaches it, or a person starts it by hand and sees the outcome: no message to lose.
  if (sources.length === 0 || sources.every(isHandStarted)) return true;
  const catchers = flows.catchesCovering(node).map((c) => flows.downstream(c.id));
  if (catchers.some((reached) => reached.some((n) => n.type === 'middleware-retry'))) return true;
  // Fed by an event subscriber, a failure nacked back to the bus is delivered again, then dead-lettered.
  const fromBus = sources.length > 0 && sources.every((s) => s.type === 'event-subscribe');
  if (fromBus && catchers.some((reached) => reached.some((n) => n.type === 'event-ack' && n.action === 'nack'))) return true;
  // On an HTTP request path, a failure answered to the caller is the caller's to retry.
  const answersCaller = sources.some((s) => s.type === 'http in' || (s.type === 'webhook-in' && s.responseMode === 'flow'));
  return answersCaller && catchers.some((reached) => reached.some((n) => n.type === 'http response'));
}

function isHandStarted(node: FlowObject): boolean {
  return node.type === 'inject' && !node.repeat && !node.crontab && node.once !== true;
}
