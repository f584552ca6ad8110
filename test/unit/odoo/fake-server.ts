/** A tiny scriptable HTTP server standing in for Odoo, so the client is tested over real sockets. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OdooError } from '../../../nodes/lib/odoo';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  // any: test bodies are arbitrary JSON, asserted field by field.
  body: any;
}

export type FakeHandler = (req: SeenRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void;

export interface FakeServer {
  url: string;
  port: number;
  requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests being handled right now, and the most seen at once. */
  inFlight: number;
  maxInFlight: number;
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeServer(handler: FakeHandler = (_req, res) => json(res, 200, true)): Promise<FakeServer> {
  let current = handler;
  const fake: FakeServer = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    inFlight: 0,
    maxInFlight: 0,
    handle(next) {
      current = next;
    },
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const seen: SeenRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      fake.requests.push(seen);
      fake.inFlight += 1;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        fake.inFlight -= 1;
      };
      res.on('finish', release);
      res.on('close', release);
      current(seen, res, req);
    });
  });
  server.on('connection', () => {
    fake.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function html(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A JSON-RPC answer in Odoo's envelope. */
export function rpcResult(res: http.ServerResponse, id: unknown, result: unknown): void {
  json(res, 200, { jsonrpc: '2.0', id, result });
}

export function rpcError(res: http.ServerResponse, id: unknown, data: Record<string, unknown>, code = 0, message = 'Odoo Server Error'): void {
  json(res, 200, { jsonrpc: '2.0', id, error: { code, message, data: { arguments: [data.message], context: {}, debug: 'Traceback (most recent call last):\n  File "odoo/http.py"\n', ...data } } });
}

/** A port nothing listens on: bound, then released. */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Awaits a call that must fail and returns its OdooError. */
export async function failure(promise: Promise<unknown>): Promise<OdooError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OdooError, `expected an OdooError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call should have failed');
}
