/**
 * The rules in nrlint's plugin shape ({ meta, create(context) } per rule), for its editor sidebar and its CLI.
 * nrlint walks the flow object by object; each rule checks the whole flow once at `start` and reports a finding
 * when nrlint visits the node it is about, so nrlint's "ignore for node/group/flow" comments apply as usual.
 */
import { FlowIndex, flowObjects } from './flow-index';
import { RULES } from './rules';
import type { LintRule, Severity } from './types';

/** The parts of @node-red/flow-parser's NRFlowSet and objects that the adapter uses. */
export interface NrlintFlowSet {
  export(): unknown[];
  walk(visit: (object: NrlintObject) => void): void;
}

export interface NrlintObject {
  id: string;
  info?: unknown;
}

export interface NrlintContext {
  report(finding: { location: string[]; message: string }): void;
}

export interface NrlintRule {
  meta: { type: 'problem'; severity: Severity; docs: { description: string }; options: Record<string, never> };
  create(context: NrlintContext): Record<string, (object: never) => void>;
}

/** NRFlowSet.export() leaves out node info texts; put them back so rules see the flow as saved. */
function exportedFlow(flowSet: NrlintFlowSet): unknown[] {
  const info = new Map<string, unknown>();
  flowSet.walk((o) => {
    if (o.info !== undefined) info.set(o.id, o.info);
  });
  return flowSet.export().map((o) => {
    const entry = o as { id: string; info?: unknown };
    return info.has(entry.id) && entry.info === undefined ? { ...entry, info: info.get(entry.id) } : entry;
  });
}

export function nrlintRule(rule: LintRule): NrlintRule {
  return {
    meta: { type: 'problem', severity: rule.severity, docs: { description: `${rule.description} (odoo-middleware)` }, options: {} },
    create(context) {
      let pending = new Map<string, string[]>();
      const report = (object: NrlintObject): void => {
        for (const message of pending.get(object.id) ?? []) context.report({ location: [object.id], message });
        pending.delete(object.id);
      };
      return {
        start: (flowSet: NrlintFlowSet) => {
          pending = new Map();
          for (const { nodeId, message } of rule.check(new FlowIndex(flowObjects(exportedFlow(flowSet))))) {
            pending.set(nodeId, [...(pending.get(nodeId) ?? []), message]);
          }
        },
        flow: report,
        subflow: report,
        group: report,
        node: report,
        configNode: report,
      };
    },
  };
}

export function nrlintRules(rules: readonly LintRule[] = RULES): Record<string, NrlintRule> {
  return Object.fromEntries(rules.map((rule) => [rule.id, nrlintRule(rule)]));
}
