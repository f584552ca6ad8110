import http from 'node:http';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../../sandbox';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON, undefined when the body is not JSON. */
  body: unknown;
}

export type Outcome = Reply | { error: string };

export const ADMIN = { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_DEFAULTS.apiKey}` };
export const DEMO = { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_DEFAULTS.demoApiKey}` };

/** One HTTP request on a fresh socket; resolves with the reply or with how the connection ended. */
export function request(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(`${url}${path}`, { method: options.method ?? 'POST', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    if (options.timeoutMs) {
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    }
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(options.body);
  });
}

export function isReply(outcome: Outcome): outcome is Reply {
  return 'status' in outcome;
}

export async function reply(promise: Promise<Outcome>): Promise<Reply> {
  const outcome = await promise;
  if (!isReply(outcome)) throw new Error(`expected a reply, the connection ended with ${outcome.error}`);
  return outcome;
}

export function json2(sb: Sandbox, model: string, method: string, body: unknown, headers: Record<string, string> = ADMIN): Promise<Reply> {
  return reply(request(sb.url, `/json/2/${model}/${method}`, { headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

/** The result of a successful JSON-2 call; fails the test with Odoo's error otherwise. */
export async function call<T = unknown>(sb: Sandbox, model: string, method: string, body: unknown, headers: Record<string, string> = ADMIN): Promise<T> {
  const r = await json2(sb, model, method, body, headers);
  if (r.status !== 200) throw new Error(`${model}.${method} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body as T;
}

export interface RpcEnvelope {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data: { name: string; message: string; arguments: unknown[]; context: unknown; debug: string } };
}

export async function rpc(sb: Sandbox, service: string, method: string, args: unknown[], id: unknown = 1): Promise<RpcEnvelope> {
  const r = await reply(
    request(sb.url, '/jsonrpc', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }),
    }),
  );
  if (r.status !== 200) throw new Error(`/jsonrpc answered HTTP ${r.status}`);
  return r.body as RpcEnvelope;
}

export function executeKw(
  sb: Sandbox,
  model: string,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
  auth: { db?: string; uid?: number; password?: string } = {},
): Promise<RpcEnvelope> {
  return rpc(sb, 'object', 'execute_kw', [
    auth.db ?? SANDBOX_DEFAULTS.database,
    auth.uid ?? 2,
    auth.password ?? SANDBOX_DEFAULTS.password,
    model,
    method,
    args,
    kwargs,
  ]);
}

/** The result of a successful execute_kw; fails the test with Odoo's error otherwise. */
export async function kw<T = unknown>(sb: Sandbox, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
  const envelope = await executeKw(sb, model, method, args, kwargs);
  if (envelope.error) throw new Error(`${model}.${method}: ${envelope.error.data.name}: ${envelope.error.data.message}`);
  return envelope.result as T;
}
