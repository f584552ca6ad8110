import { OdooError } from '../../odoo/errors';
import { enforcePolicy, parsePolicy, type ConnectionPolicy } from '../../odoo/policy';
import { describeNode, FlowIndex, FlowObject } from '../flow-index';
import { odooCalls } from '../odoo-calls';
import type { LintRule, Report } from '../types';

export const connectionPolicy: LintRule = {
  id: 'odoo-mw-connection-policy',
  severity: 'error',
  description: "model or method of an Odoo node outside its connection's allow-list, or a write through a read-only connection: the connection refuses the call at run time",
  check(flows: FlowIndex): Report[] {
    const reports: Report[] = [];
    const policies = new Map<string, ConnectionPolicy | undefined>();
    for (const connection of flows.ofType('odoo-connection')) {
      try {
        // The connection's own parser and check, so the lint refuses exactly what the client refuses.
        policies.set(connection.id, parsePolicy({ allowRead: text(connection.allowRead), allowWrite: text(connection.allowWrite), readOnly: connection.readOnly as boolean | string | undefined }));
      } catch (err: unknown) {
        policies.set(connection.id, undefined);
        reports.push({ nodeId: connection.id, message: `${describeNode(connection)}: ${(err as Error).message.replace(/^odoo-connection: /, '')}` });
      }
    }
    for (const node of flows.objects) {
      const connection = flows.node(typeof node.connection === 'string' ? node.connection : undefined);
      const policy = connection ? policies.get(connection.id) : undefined;
      if (!connection || !policy || node.d) continue;
      for (const reason of new Set(refusals(policy, node))) {
        reports.push({ nodeId: node.id, message: `${describeNode(node)} on ${describeNode(connection)}: ${reason}` });
      }
    }
    return reports;
  },
};

function refusals(policy: ConnectionPolicy, node: FlowObject): string[] {
  return odooCalls(node).flatMap(({ model, method }) => {
    try {
      // Record counts depend on the message; only the model and method are known before it runs.
      enforcePolicy(policy, model, method, {});
      return [];
    } catch (err: unknown) {
      if (err instanceof OdooError && err.kind === 'policy') return [err.message];
      throw err;
    }
  });
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
