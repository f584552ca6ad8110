import { describeNode, FlowIndex } from '../flow-index';
import type { LintRule, Report } from '../types';

const LOADS_CODE = /\brequire\s*\(|\bimport\s*\(|process\.mainModule|global\.get\(\s*['"]require['"]/;

export const functionExternalModules: LintRule = {
  id: 'odoo-mw-function-external-modules',
  severity: 'warn',
  description: 'function node loading external modules (Setup > Modules, require, import): code that is not reviewed with the flow',
  check(flows: FlowIndex): Report[] {
    return flows.ofType('function').flatMap((node) => {
      const reports: Report[] = [];
      const libs = Array.isArray(node.libs) ? node.libs : [];
      const modules = libs.map((lib) => (typeof lib === 'object' && lib !== null ? String((lib as { module?: unknown }).module ?? '') : String(lib))).filter(Boolean);
      if (modules.length > 0) {
        reports.push({ nodeId: node.id, message: `${describeNode(node)} loads external modules: ${modules.join(', ')}` });
      }
      const code = ['initialize', 'func', 'finalize'].map((p) => (typeof node[p] === 'string' ? (node[p] as string) : '')).join('\n');
      if (LOADS_CODE.test(code)) reports.push({ nodeId: node.id, message: `${describeNode(node)} loads code at run time (require/import in its code)` });
      return reports;
    });
  },
};
