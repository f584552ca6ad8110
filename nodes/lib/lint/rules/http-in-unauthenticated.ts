import { describeNode, FlowIndex, FlowObject } from '../flow-index';
import type { LintRule, Report } from '../types';

/** A header or cookie that carries the caller's credential, read by a switch or function on the way. */
const CREDENTIAL_CHECK = /\breq\.(?:headers|cookies)\b[^;\n]{0,24}?(?:authorization|api[-_]?key|token|signature|session)/i;
/** Third-party authentication nodes name themselves so (node-red-contrib-*-auth, jwt, oauth2, passport). */
const AUTH_NODE_TYPE = /auth|jwt|oauth|passport|api-?key/i;

export const httpInUnauthenticated: LintRule = {
  id: 'odoo-mw-http-in-unauthenticated',
  severity: 'warn',
  description: 'http in on a path that writes to Odoo with no authentication check on the way (unless httpNodeAuth or httpNodeMiddleware guards it in settings)',
  check(flows: FlowIndex): Report[] {
    return flows
      .ofType('http in')
      .filter((node) => !node.d)
      .flatMap((node) => {
        const writer = flows.downstream(node.id, checksCredential).find(writesToOdoo);
        if (!writer) return [];
        const endpoint = `${String(node.method ?? 'get').toUpperCase()} ${String(node.url ?? '')}`;
        return [{
          nodeId: node.id,
          message: `${describeNode(node)} (${endpoint}) reaches ${describeNode(writer)} with no authentication on the way: check a credential (switch or function on msg.req.headers.authorization), or guard http in nodes with httpNodeAuth / httpNodeMiddleware in settings and turn this rule off`,
        }];
      });
  },
};

function checksCredential(node: FlowObject): boolean {
  if (AUTH_NODE_TYPE.test(node.type)) return true;
  if (node.type === 'switch') return typeof node.property === 'string' && CREDENTIAL_CHECK.test(`msg.${node.property}`);
  if (node.type === 'function') return typeof node.func === 'string' && CREDENTIAL_CHECK.test(node.func);
  return false;
}

function writesToOdoo(node: FlowObject): boolean {
  return node.type === 'odoo-write' || (node.type === 'canonical-mapper' && node.createPartners === true && Boolean(node.connection));
}
