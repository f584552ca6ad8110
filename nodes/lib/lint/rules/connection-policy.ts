import { allows, parseAllowList, READ_METHODS } from '../allow-list';
import { describeNode, FlowIndex } from '../flow-index';
import { odooCalls } from '../odoo-calls';
import type { LintRule, Report } from '../types';

export const connectionPolicy: LintRule = {
  id: 'odoo-mw-connection-policy',
  severity: 'error',
  description: "model or method of an Odoo node outside its connection's allow-list, or a write through a read-only connection: the connection refuses the call at run time",
  check(flows: FlowIndex): Report[] {
    return flows.objects.flatMap((node) => {
      const connection = flows.node(typeof node.connection === 'string' ? node.connection : undefined);
      if (!connection || connection.type !== 'odoo-connection' || node.d) return [];
      const allowRead = parseAllowList(connection.allowRead);
      const allowWrite = parseAllowList(connection.allowWrite);
      const refused = new Set<string>();
      for (const { model, method } of odooCalls(node)) {
        const read = READ_METHODS.has(method);
        if (!read && connection.readOnly === true) refused.add(`${model}.${method}: the connection ${describeNode(connection)} is read-only`);
        else if (!allows(read ? allowRead : allowWrite, model, method)) {
          refused.add(`${model}.${method}: not in the ${read ? 'read' : 'write'} allow-list of ${describeNode(connection)}`);
        }
      }
      return [...refused].map((reason) => ({ nodeId: node.id, message: `${describeNode(node)} calls ${reason}` }));
    });
  },
};
