import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { CallOptions, OdooClient } from '../odoo/types';
import { LookupCache, buildVals, parseValueRules, type ValueRule } from '../write/values';
import { evaluateTypedInput } from './typed-input';

export type ValuesBuilder = (msg: NodeMessage, client: Pick<OdooClient, 'call'>, options: CallOptions) => Promise<Record<string, unknown>>;

/**
 * The vals odoo-write sends when its values editor has rules, or undefined when it has none (msg.payload is
 * written as before). Broken rules fail every message with the reason, so it reaches a Catch node.
 */
export function valuesBuilder(RED: NodeAPI, node: Node, raw: unknown): ValuesBuilder | undefined {
  let rules: ValueRule[];
  try {
    rules = parseValueRules(raw);
  } catch (err) {
    return () => Promise.reject(err);
  }
  if (rules.length === 0) return undefined;
  const lookups = new LookupCache();
  return (msg, client, options) =>
    buildVals(rules, (rule) => evaluateTypedInput(RED, node, `values.${rule.field}`, rule.value, rule.type, msg), lookups.resolver(client, options));
}
