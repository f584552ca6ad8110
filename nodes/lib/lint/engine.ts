/**
 * Runs the rules over one flow file. Severity comes from the rule, overridden per rule by the config; a rule is
 * switched off for a node, its group or its tab by nrlint's own comment in their info text:
 * `// nrlint odoo-mw-webhook-unsigned:off`, so one suppression works in the editor sidebar and the CLI.
 */
import { FlowIndex, flowObjects, type FlowObject } from './flow-index';
import { RULES } from './rules';
import type { Finding, LintRule, Severity } from './types';

export type RuleSetting = Severity | 'off';

export interface LintConfig {
  rules?: Record<string, RuleSetting>;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warn: 1 };

export function lintFlows(parsed: unknown, config: LintConfig = {}, rules: readonly LintRule[] = RULES): Finding[] {
  const flows = new FlowIndex(flowObjects(parsed));
  const findings: Finding[] = [];
  for (const rule of rules) {
    const setting = config.rules?.[rule.id] ?? rule.severity;
    if (setting === 'off') continue;
    for (const report of rule.check(flows)) {
      if (switchedOff(flows, flows.node(report.nodeId), rule.id)) continue;
      findings.push({ rule: rule.id, severity: setting, nodeId: report.nodeId, message: report.message });
    }
  }
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

export function checkConfig(config: unknown): LintConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new TypeError('the lint config is a JSON object like {"rules": {"<rule id>": "off"}}');
  const rules = (config as { rules?: unknown }).rules ?? {};
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) throw new TypeError('"rules" in the lint config maps rule ids to "error", "warn" or "off"');
  const known = new Set(RULES.map((r) => r.id));
  for (const [id, setting] of Object.entries(rules)) {
    if (!known.has(id)) throw new TypeError(`unknown lint rule "${id}" in the config; known: ${[...known].join(', ')}`);
    if (setting !== 'error' && setting !== 'warn' && setting !== 'off') throw new TypeError(`rule "${id}" is set to ${JSON.stringify(setting)}; use "error", "warn" or "off"`);
  }
  return { rules: rules as Record<string, RuleSetting> };
}

/** nrlint's comment syntax: lines `// nrlint rule-a:off, rule-b` in a node's, group's or tab's info. */
function offInInfo(info: unknown): Set<string> {
  const off = new Set<string>();
  if (typeof info !== 'string') return off;
  for (const m of info.matchAll(/^[ \t]*\/\/[ \t]*nrlint (.*)$/gm)) {
    for (const entry of m[1].replace(/\s*([:,])\s*/g, '$1').split(',')) {
      const [rule, value] = entry.trim().split(':');
      if (value === 'off') off.add(rule);
    }
  }
  return off;
}

function switchedOff(flows: FlowIndex, node: FlowObject | undefined, rule: string): boolean {
  const seen = new Set<string>();
  let current = node;
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    if (offInInfo(current.info).has(rule)) return true;
    current = flows.node(current.g ?? current.z);
  }
  return false;
}
