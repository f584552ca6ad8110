import { describeNode, FlowIndex, FlowObject, isRecord } from '../flow-index';
import { isCredentialName, isLiteralSecretValue, lineOf, looksRandomKey, recognisedSecret, secretsInCode } from '../secrets';
import type { LintRule, Report } from '../types';

/** Properties that hold code, scanned for literals assigned to credential names and key-like strings. */
const CODE_PROPERTIES = new Set(['func', 'initialize', 'finalize', 'template']);
/** Name/value pairs: inject props, change rules, http request headers, tab and subflow env entries. */
const PAIRS: ReadonlyArray<[name: string, value: string, type?: string]> = [
  ['p', 'v', 'vt'],
  ['p', 'to', 'tot'],
  ['keyValue', 'valueValue', 'valueType'],
  ['name', 'value', 'type'],
  ['key', 'value', 'type'],
];
const LITERAL_TYPES = new Set([undefined, 'str', 'other']);
const ADVICE = 'keep it in the node\'s credentials or an environment variable';

export const secretInFlow: LintRule = {
  id: 'odoo-mw-secret-in-flow',
  severity: 'error',
  description: 'a secret-looking value (API key, token, password, private key, long hex/base64 string) in a flow file',
  check(flows: FlowIndex): Report[] {
    return flows.objects.flatMap((node) => {
      const found = new Map<string, string>();
      scan(node, '', node, found);
      return [...found].map(([where, what]) => ({ nodeId: node.id, message: `${describeNode(node)}: ${where} holds ${what}; ${ADVICE}` }));
    });
  },
};

function scan(value: unknown, path: string, node: FlowObject, found: Map<string, string>): void {
  const note = (where: string, what: string): void => {
    if (!found.has(where)) found.set(where, what);
  };
  if (typeof value === 'string') {
    const key = path.split(/[.[\]]/).filter(Boolean).pop() ?? '';
    if (path.startsWith('credentials.') && isLiteralSecretValue(value) && value !== '__PWRD__') {
      note(path, 'a credential value exported with the flow');
    } else if (CODE_PROPERTIES.has(key) && path === key) {
      for (const hit of secretsInCode(value)) note(`${path} line ${lineOf(value, hit.index)}`, hit.what);
    } else {
      const shape = recognisedSecret(value);
      if (shape) note(path, `what looks like ${shape.what}`);
      else if (isCredentialName(key) && isLiteralSecretValue(value)) note(path, looksRandomKey(value) ?? 'a literal password or key');
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => scan(item, `${path}[${i}]`, node, found));
    return;
  }
  if (!isRecord(value)) return;
  for (const [name, valueKey, typeKey] of PAIRS) {
    const label = value[name];
    const literal = value[valueKey];
    if (typeof label === 'string' && isCredentialName(label) && isLiteralSecretValue(literal) && LITERAL_TYPES.has(typeKey ? (value[typeKey] as string | undefined) : undefined)) {
      note(`${path}${path ? '.' : ''}${valueKey}`, `a literal value for "${label}"`);
    }
  }
  for (const [key, child] of Object.entries(value)) {
    if (path === '' && (key === 'id' || key === 'z' || key === 'g' || key === 'wires' || key === 'type')) continue;
    scan(child, path ? `${path}.${key}` : key, node, found);
  }
}
