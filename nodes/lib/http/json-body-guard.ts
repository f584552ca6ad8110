/**
 * An Express middleware for Node-RED's `httpNodeMiddleware` setting: every core http in endpoint then refuses
 * JSON bodies nested deeper than a limit with 400 and a JSON error, before the flow sees a message. A body
 * another parser already read (the editor's, when editor and endpoints share a root) is checked as parsed;
 * otherwise it is parsed here the way the http in node would (body-parser, JSON and forms), with the depth of
 * JSON checked on the raw bytes first, so the http in node's own parser sees it as done.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import { DEFAULT_MAX_JSON_DEPTH, JsonDepthError, jsonTextTooDeep, valueTooDeep } from './json-depth';

export interface JsonBodyGuardOptions {
  /** Deepest nesting of objects and arrays accepted (default 100). */
  maxDepth?: number;
  /** Largest body parsed here, as body-parser takes it (default '5mb', the http in node's default). */
  limit?: string | number;
}

type GuardedRequest = IncomingMessage & { body?: unknown; _body?: boolean };
type Next = (err?: unknown) => void;

/** Same shape as the REST facade's errors: `{error: {code, kind, message}}`. */
function answer(res: ServerResponse, status: number, code: string, kind: string, message: string): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: { code, kind, message } }));
}

function refuseTooDeep(res: ServerResponse, maxDepth: number): void {
  const err = new JsonDepthError(maxDepth);
  answer(res, err.status, err.code, err.kind, err.message);
}

/** body-parser's failures (bad JSON, too large, bad charset) as a JSON answer with body-parser's status. */
function refuseBody(res: ServerResponse, err: { status?: number; type?: string; message?: string }): void {
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 400;
  const code = err.type === 'entity.too.large' ? 'MW_BODY_TOO_LARGE' : err.type === 'entity.parse.failed' ? 'MW_INVALID_JSON' : 'MW_INVALID_BODY';
  answer(res, status, code, 'validation', `request body refused: ${err.message ?? 'unreadable'}`);
}

export function jsonBodyGuard(options: JsonBodyGuardOptions = {}): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new RangeError(`maxDepth: expected a whole number of at least 1, got ${String(options.maxDepth)}`);
  const parse = bodyParser.json({
    limit: options.limit ?? '5mb',
    verify: (_req, _res, buf) => {
      if (jsonTextTooDeep(buf, maxDepth)) throw new JsonDepthError(maxDepth);
    },
  });
  // Forms too, as the editor and the http in node parse them (qs nests at most 32 levels): so a refused form is
  // answered as JSON as well, never by Express' HTML error page.
  const parseForm = bodyParser.urlencoded({ limit: options.limit ?? '5mb', extended: true });
  return (req, res, next) => {
    const request = req as GuardedRequest;
    if (request._body) {
      if (valueTooDeep(request.body, maxDepth)) refuseTooDeep(res, maxDepth);
      else next();
      return;
    }
    const after = (then: () => void) => (err?: unknown) => {
      if (err instanceof JsonDepthError) refuseTooDeep(res, maxDepth);
      else if (err) refuseBody(res, err as { status?: number; type?: string; message?: string });
      else then();
    };
    parse(request, res, after(() => (request._body ? next() : parseForm(request, res, after(() => next())))));
  };
}
