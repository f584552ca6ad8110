/**
 * What `npm start` prints once the flows run: a ready-to-paste request for every HTTP endpoint of the shipped
 * flows (core `http in` and `webhook-in` nodes), signed with the webhook's secret where the node checks one.
 */
import { createHmac } from 'node:crypto';

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  d?: boolean;
  url?: string;
  path?: string;
  method?: string;
  scheme?: string;
  hmacAlgorithm?: string;
  hmacEncoding?: string;
  hmacHeader?: string;
  hmacPrefix?: string;
  secretEnv?: string;
  label?: string;
  func?: string;
}

/** The variable holding the bearer token the shipped http in endpoints check. */
export const API_TOKEN_VARIABLE = 'API_TOKEN';

/** Example bodies by route, matching what each shipped flow expects. */
const EXAMPLES: Record<string, unknown> = {
  '/api/partners': { name: 'Ada Lovelace', email: 'ada@example.com' },
  '/api/orders': { order_id: 'demo-1', customer: { email: 'ada@example.com', name: 'Ada Lovelace' }, lines: [{ sku: 'FURN_7777', description: 'Office Chair', qty: 1, price: 199 }] },
  '/hooks/shop-orders': {
    id: 9001,
    email: 'ada@example.com',
    created_at: '2026-01-15T10:20:30Z',
    currency: 'EUR',
    total_price: '199.00',
    customer: { id: 7001, first_name: 'Ada', last_name: 'Lovelace' },
    billing_address: { first_name: 'Ada', last_name: 'Lovelace', address1: 'Main Street 1', city: 'London', zip: 'N1 9GU', country_code: 'GB' },
    line_items: [{ sku: 'FURN_7777', title: 'Office Chair', quantity: 1, price: '199.00' }],
  },  '/odoo/partners': { _action: 'Send res.partner to Node-RED(#1)', _id: 3, _model: 'res.partner', email: 'admin@yourcompany.example.com', id: 3, name: 'Mitchell Admin', write_date: '2026-01-15 10:20:30.000000' },
};

/** Environment variables holding webhook secrets that are not set (the demo secret goes there). */
export function missingSecretVariables(flows: FlowNode[], env: NodeJS.ProcessEnv): string[] {
  const names = flows.filter((n) => n.type === 'webhook-in' && !n.d && n.scheme && n.scheme !== 'none' && n.secretEnv).map((n) => (n.secretEnv as string).trim());
  return [...new Set(names)].filter((name) => name !== '' && !env[name]);
}

/**
 * True when a function node checks the bearer token and the variable is not set (a demo token goes there). Set
 * empty, it stays empty: the endpoints then refuse every request (503), as they do outside npm start.
 */
export function apiTokenMissing(flows: FlowNode[], env: NodeJS.ProcessEnv): boolean {
  return env[API_TOKEN_VARIABLE] === undefined && flows.some((n) => n.type === 'function' && !n.d && (n.func ?? '').includes(`env.get("${API_TOKEN_VARIABLE}")`));
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** One block per endpoint: a comment naming it, then a curl command. */
export function describeEndpoints(flows: FlowNode[], base: string, env: NodeJS.ProcessEnv): string[] {
  const tabs = new Map(flows.filter((n) => n.type === 'tab').map((n) => [n.id, n]));
  const lines: string[] = [];
  for (const node of flows) {
    if (node.d || tabs.get(node.z ?? '')?.d) continue;
    const route = node.type === 'http in' ? node.url : node.type === 'webhook-in' ? node.path : undefined;
    if (!route) continue;
    const method = (node.method ?? 'post').toUpperCase();
    const tab = tabs.get(node.z ?? '')?.label;
    const plain = `${base}${route.startsWith('/') ? route : `/${route}`}`;
    // Odoo's rule carries webhook-in's secret in the URL.
    const token = node.type === 'webhook-in' && node.scheme === 'odoo' && node.secretEnv ? env[node.secretEnv.trim()] : undefined;
    const url = token ? `${plain}?token=${encodeURIComponent(token)}` : plain;
    lines.push(`  # ${method} ${route}${tab ? ` (${tab} tab)` : ''}`);
    const apiToken = env[API_TOKEN_VARIABLE];
    const authorization = node.type === 'http in' && apiToken ? ` -H ${quote(`authorization: Bearer ${apiToken}`)}` : '';
    if (method === 'GET' || method === 'DELETE') {
      lines.push(`  curl -s ${quote(method === 'GET' && route === '/api/partners' ? `${url}?q=ada` : url)}${authorization}${method === 'DELETE' ? ' -X DELETE' : ''}`);
      continue;
    }
    const body = JSON.stringify(EXAMPLES[route] ?? {});
    const headers = [`-H 'content-type: application/json'${authorization}`];
    if (node.type === 'webhook-in' && node.scheme === 'hmac') {
      const secret = node.secretEnv ? env[node.secretEnv.trim()] : undefined;
      if (secret) {
        const algorithm = node.hmacAlgorithm === 'sha512' ? 'sha512' : 'sha256';
        const digest = createHmac(algorithm, secret).update(body).digest(node.hmacEncoding === 'base64' ? 'base64' : 'hex');
        headers.push(`-H ${quote(`${node.hmacHeader || 'X-Signature'}: ${node.hmacPrefix ?? ''}${digest}`)}`);
      } else {
        lines.push('  # (signed with the secret in the node; no secret is known here)');
      }
    }
    lines.push(`  curl -s -X ${method} ${quote(url)} ${headers.join(' ')} -d ${quote(body)}`);
  }
  return lines;
}
