import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The one HTTP seam of the client; tests may inject their own. */
export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Destroys every socket, in use or idle. */
  close(): void;
}

/**
 * A request that got no complete answer. `written` tells whether the request had left this process: after that,
 * Odoo may have run (and committed) the call although no answer came back.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly written: boolean,
    readonly timeoutMs?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface TransportOptions {
  maxSockets: number;
  rejectUnauthorized: boolean;
  maxResponseBytes: number;
}

/** An idle socket closes this long before the server's announced keep-alive timeout ends. */
const KEEP_ALIVE_MARGIN_MS = 1_000;
/** Idle time allowed when the server announces none (undici's default too); at most 10 min when it does. */
const DEFAULT_IDLE_MS = 4_000;
const MAX_IDLE_MS = 600_000;

/** How long a socket may idle after an answer with this `Keep-Alive` header (`timeout=5` from Node, Apache). */
export function idleLimitMs(keepAlive: string | undefined): number {
  const seconds = /(?:^|[\s,])timeout=(\d+)/i.exec(keepAlive ?? '')?.[1];
  if (seconds === undefined) return DEFAULT_IDLE_MS;
  return Math.min(MAX_IDLE_MS, Math.max(0, Number(seconds) * 1000 - KEEP_ALIVE_MARGIN_MS));
}

/**
 * Node keeps an idle socket until the server closes it. A request sent just as the server does fails with
 * ECONNRESET, and for a write nobody can tell whether Odoo ran it. So an idle socket is closed first, once the
 * limit its last answer set has passed.
 */
function closeIdleSockets(agent: http.Agent, limits: WeakMap<net.Socket, number>): void {
  agent.on('free', (socket: net.Socket) => {
    const limit = limits.get(socket) ?? DEFAULT_IDLE_MS;
    // The agent destroys a free socket whose timeout fires.
    if (limit === 0) socket.destroy();
    else socket.setTimeout(limit);
  });
}

/** node:http(s) with one keep-alive agent per client, a whole-request timeout and a bounded response body. */
export function createHttpTransport(options: TransportOptions): HttpTransport {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, rejectUnauthorized: options.rejectUnauthorized });
  const idleLimits = new WeakMap<net.Socket, number>();
  closeIdleSockets(httpAgent, idleLimits);
  closeIdleSockets(httpsAgent, idleLimits);
  let closed = false;

  function request(req: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      if (closed) {
        reject(new TransportError('the Odoo connection is closed', 'ECLOSED', false));
        return;
      }
      let target: URL;
      try {
        target = new URL(req.url);
      } catch {
        reject(new TransportError(`invalid URL ${JSON.stringify(req.url)}`, 'EINVALIDURL', false));
        return;
      }
      const secure = target.protocol === 'https:';
      const lib = secure ? https : http;
      const headers: Record<string, string | number> = { Accept: 'application/json', ...req.headers };
      if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);

      let written = false;
      let settled = false;
      let timedOut = false;
      const fail = (err: TransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };

      let outgoing: http.ClientRequest;
      try {
        outgoing = lib.request(target, {
          method: req.method,
          headers,
          agent: secure ? httpsAgent : httpAgent,
        });
      } catch (err) {
        // Node validates header values synchronously (e.g. a newline in a correlation id).
        reject(new TransportError((err as Error).message, (err as NodeJS.ErrnoException).code ?? 'EREQUEST', false));
        return;
      }

      const timer = setTimeout(() => {
        timedOut = true;
        outgoing.destroy();
        fail(new TransportError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT_CLIENT', written, req.timeoutMs));
      }, req.timeoutMs);

      // A reused socket still carries its idle limit: no limit while a call runs on it (the timer above bounds that).
      outgoing.on('socket', (socket: net.Socket) => socket.setTimeout(0));
      outgoing.on('finish', () => {
        written = true;
      });
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        if (timedOut) return;
        fail(new TransportError(err.message, err.code ?? 'EUNKNOWN', written));
      });
      outgoing.on('response', (res) => {
        written = true;
        idleLimits.set(res.socket, idleLimitMs(res.headers['keep-alive']?.toString()));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            outgoing.destroy();
            fail(new TransportError(`the response is larger than ${options.maxResponseBytes} bytes`, 'ETOOLARGE', true));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          if (!timedOut) fail(new TransportError(err.message, err.code ?? 'ECONNRESET', true));
        });
        res.on('close', () => {
          if (!res.complete && !timedOut) {
            fail(new TransportError('the connection closed in the middle of the response', 'ECONNRESET', true));
          }
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      outgoing.end(req.body);
    });
  }

  return {
    request,
    close() {
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
