import { describeNode, FlowIndex } from '../flow-index';
import type { LintRule, Report } from '../types';

/** webhook-in's schemes that verify the sender; anything but 'none' is a signature or token check. */
const UNSIGNED = new Set([undefined, '', 'none']);

export const webhookUnsigned: LintRule = {
  id: 'odoo-mw-webhook-unsigned',
  severity: 'error',
  description: 'webhook-in without a signature scheme or token: anyone who finds the URL can post to the flow',
  check(flows: FlowIndex): Report[] {
    return flows
      .ofType('webhook-in')
      .filter((node) => !node.d && UNSIGNED.has(node.scheme as string | undefined))
      .map((node) => ({
        nodeId: node.id,
        message: `${describeNode(node)} accepts unsigned requests on ${String(node.path ?? '')}: choose a signature scheme (HMAC, Stripe, Shopify, GitHub) and set its secret`,
      }));
  },
};
