import type { CallOrigin } from '../../odoo/types';

/**
 * Where a write comes from, for the audit log: the node, its flow, the operation, and the message's business key
 * (`msg.businessKey`, else the idempotency key the guard set).
 */
export function callOrigin(node: { id: string; z?: string; name?: string }, msg: Record<string, unknown>, operation: string): CallOrigin {
  const origin: CallOrigin = { nodeId: node.id, operation };
  if (node.z) origin.flowId = node.z;
  if (node.name) origin.nodeName = node.name;
  const key = typeof msg.businessKey === 'string' && msg.businessKey !== '' ? msg.businessKey : (msg.idempotency as { key?: unknown } | undefined)?.key;
  if (typeof key === 'string' && key !== '') origin.businessKey = key;
  return origin;
}
