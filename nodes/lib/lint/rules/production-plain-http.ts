import { describeNode, FlowIndex } from '../flow-index';
import type { LintRule, Report } from '../types';

export const productionPlainHttp: LintRule = {
  id: 'odoo-mw-production-plain-http',
  severity: 'warn',
  description: 'production Odoo connection over plain http to a host other than this machine: the API key crosses the network in clear text',
  check(flows: FlowIndex): Report[] {
    return flows
      .ofType('odoo-connection')
      .filter((node) => node.environment === 'production' && typeof node.url === 'string')
      .flatMap((node) => {
        const host = plainHttpHost(node.url as string);
        return host !== undefined && !isLoopback(host)
          ? [{ nodeId: node.id, message: `${describeNode(node)} is marked production but talks plain http to ${host}: use https` }]
          : [];
      });
  },
};

/** The host of an http:// URL; undefined for https, env placeholders and anything unparsable. */
function plainHttpHost(url: string): string | undefined {
  if (!/^http:\/\//i.test(url.trim())) return undefined;
  try {
    return new URL(url.trim()).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
