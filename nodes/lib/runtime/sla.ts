/** What the sla config node offers sla-open and sla-close, and the admin endpoint listing open and breached SLAs. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { Request, Response } from 'express';
import { MiddlewareError, toMiddlewareError, ValidationError } from '../errors';
import { businessKey, slaRegistry, type LastHop, type SlaBreach, type SlaMonitor } from '../ops/sla';
import { cleared, failed, idle } from '../status';
import { activeTracing } from '../trace/runtime';
import { throttledStatus, type ThrottledStatus } from './throttled-status';
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

export interface SlaNodeDef extends NodeDef, SlaKeySetting {
  sla: string;
}

type Send = (msg: NodeMessageInFlow | Array<NodeMessageInFlow | null>) => void;

/** What sla-open and sla-close each do; `wireSlaNode` does the rest. */
export interface SlaNodeSpec<R> {
  type: 'sla-open' | 'sla-close';
  /** Where the key is read when the node names none. */
  defaultKey: string;
  /** The green counter shown after messages. */
  counts(): string;
  /** Runs once the sla config is found; returns what to undo on close. */
  attach?(config: SlaConfigNode, status: ThrottledStatus): () => void;
  handle(monitor: SlaMonitor, key: string, msg: NodeMessageInFlow): Promise<R>;
  /** Counts the result (already on `msg.sla`) and sends the message on. */
  deliver(result: R, msg: NodeMessageInFlow, send: Send): void;
}

const STATUS_INTERVAL_MS = 500;

/** The config lookup, key reading, status and error routing sla-open and sla-close share. */
export function wireSlaNode<R>(RED: NodeAPI, node: Node, def: SlaNodeDef, spec: SlaNodeSpec<R>): void {
  const readKey = slaKeyReader(RED, node, def, spec.defaultKey, spec.type);
  const status = throttledStatus(node, STATUS_INTERVAL_MS, spec.counts);
  let config: SlaConfigNode | undefined;
  let setupError: MiddlewareError | undefined;
  let detach: (() => void) | undefined;
  try {
    config = slaConfigOf(RED, def.sla, spec.type);
    if (config.setupError) throw config.setupError;
    detach = spec.attach?.(config, status);
    node.status(idle(config.monitor?.name ?? 'sla'));
  } catch (err) {
    setupError = toMiddlewareError(err);
    node.status(failed('configuration'));
    node.error(setupError);
  }

  node.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
    const monitor = config?.monitor;
    if (!monitor) {
      done(setupError);
      return;
    }
    readKey(msg)
      .then((key) => spec.handle(monitor, key, msg))
      .then(
        (result) => {
          (msg as NodeMessageInFlow & { sla?: unknown }).sla = result;
          spec.deliver(result, msg, send);
          status.update();
          done();
        },
        (err: unknown) => {
          const error = toMiddlewareError(err);
          status.show(failed(error.kind === 'store_unavailable' ? 'store unavailable' : error.kind));
          done(error);
        },
      );
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    detach?.();
    status.show(cleared());
    done();
  });
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
