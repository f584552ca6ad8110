/** What the sla config node offers sla-open and sla-close, and the admin endpoint listing open and breached SLAs. */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { Request, Response } from 'express';
import { ValidationError } from '../errors';
import { businessKey, slaRegistry, type LastHop, type SlaBreach, type SlaMonitor } from '../ops/sla';
import { activeTracing } from '../trace/runtime';
import { evaluateTypedInput } from './typed-input';

export const SLAS_PATH = '/odoo-middleware/slas';

export interface SlaConfigNode extends Node {
  monitor?: SlaMonitor;
  /** A setup error (bad deadline, no store) every user reports per message. */
  setupError?: Error;
  /** An sla-open node's breach output; breaches are only looked for while one is listening. */
  addBreachTarget(nodeId: string, report: (breach: SlaBreach) => void): () => void;
}

export function slaConfigOf(RED: NodeAPI, id: string, type: string): SlaConfigNode {
  const config = RED.nodes.getNode(id) as (SlaConfigNode & Partial<SlaConfigNode>) | null;
  if (!config || typeof config.addBreachTarget !== 'function') {
    throw new ValidationError(`${type}: property sla must name an sla config node`, { property: 'sla' });
  }
  return config;
}

/** The settings sla-open and sla-close read the business key with. */
export interface SlaKeySetting {
  key?: string;
  keyType?: string;
}

/** Reads a message's business key as the node's key setting says, or rejects with where it looked. */
export function slaKeyReader(RED: NodeAPI, node: Node, def: SlaKeySetting, defaultKey: string, type: string): (msg: NodeMessage) => Promise<string> {
  const keyValue = def.key || defaultKey;
  const keyType = def.keyType || 'msg';
  const where = keyType === 'msg' ? `msg.${keyValue}` : `${keyType} ${keyValue}`;
  return (msg) => evaluateTypedInput(RED, node, 'key', keyValue, keyType, msg).then((value) => businessKey(value, type, where));
}

/** The hop a traced message was seen in last, from this process's hop recorder. */
export function lastTracedHop(correlationId: string): LastHop | undefined {
  const spans = activeTracing()?.ring.byCorrelation(correlationId);
  const last = spans?.[spans.length - 1];
  if (!last) return undefined;
  const hop: LastHop = { nodeId: last.nodeId, nodeType: last.nodeType, at: last.start, source: 'trace' };
  if (last.nodeName !== undefined) hop.nodeName = last.nodeName;
  if (last.flowId !== undefined) hop.flowId = last.flowId;
  if (last.error !== undefined) hop.error = last.error;
  return hop;
}

const mountedApps = new WeakSet<object>();

/** GET /odoo-middleware/slas: every deployed SLA with its open and breached keys (permission sla.read). */
export function mountSlaRoutes(RED: NodeAPI): void {
  if (!RED.httpAdmin || mountedApps.has(RED.httpAdmin)) return;
  mountedApps.add(RED.httpAdmin);
  RED.httpAdmin.get(SLAS_PATH, RED.auth.needsPermission('sla.read'), (_req: Request, res: Response) => {
    slaRegistry.figures().then(
      (slas) => res.json({ slas }),
      (err: unknown) => res.status(500).json({ code: 'MW_INTERNAL', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}
