/** The httpNodeMiddleware guard over real HTTP, in front of a handler that reads what a flow would get. */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonBodyGuard, type JsonBodyGuardOptions } from '../../../nodes/lib/http';

type Req = http.IncomingMessage & { body?: unknown; _body?: boolean };

interface Served {
  base: string;
  reached: unknown[];
  close: () => Promise<void>;
}

/** `before` stands for whatever ran before the guard (the editor's parser, webhook-in's raw-body marker). */
async function serve(options: JsonBodyGuardOptions = {}, before?: (req: Req) => Promise<void>): Promise<Served> {
  const guard = jsonBodyGuard(options);
  const reached: unknown[] = [];
  const server = http.createServer((req: Req, res) => {
    void (before ? before(req) : Promise.resolve()).then(() =>
      guard(req, res, (err?: unknown) => {
        if (err) throw err;
        if (!req._body) {
          // Not parsed by the guard: the stream must still be readable by the next parser.
          let text = '';
          req.setEncoding('utf8');
          req.on('data', (chunk: string) => (text += chunk));
          req.on('end', () => {
            reached.push({ raw: text });
            res.end('raw');
          });
          return;
        }
        reached.push(req.body);
        res.end('ok');
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reached,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function send(base: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('jsonBodyGuard (httpNodeMiddleware)', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('parses an ordinary JSON body for the next handler', async () => {
    served = await serve();
    const answer = await send(served.base, '{"name":"Azure","tags":[["a"]]}');
    assert.equal(answer.status, 200);
    assert.deepEqual(served.reached, [{ name: 'Azure', tags: [['a']] }]);
  });

  it('answers 400 MW_JSON_TOO_DEEP for 2,000 levels in 4 KB; nothing reaches the handler', async () => {
    served = await serve();
    const answer = await send(served.base, nested(2000));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      error: { code: 'MW_JSON_TOO_DEEP', kind: 'json_too_deep', message: 'request body is nested deeper than 100 levels of objects and arrays' },
    });
    assert.deepEqual(served.reached, []);
  });

  it('checks a body another parser already read, as parsed', async () => {
    served = await serve({}, async (req) => {
      req.body = JSON.parse(nested(500));
      req._body = true;
    });
    assert.equal((await send(served.base, '[]')).status, 400);
    assert.deepEqual(served.reached, []);
  });

  it('takes its depth from the options', async () => {
    served = await serve({ maxDepth: 3 });
    assert.equal((await send(served.base, nested(3))).status, 200);
    assert.equal((await send(served.base, nested(4))).status, 400);
  });

  it('answers 400 MW_INVALID_JSON for a body that is not JSON, and 413 above the size limit', async () => {
    served = await serve({ limit: 100 });
    const bad = await send(served.base, '{"a":');
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { code: string } }).error.code, 'MW_INVALID_JSON');
    const big = await send(served.base, JSON.stringify({ pad: 'x'.repeat(200) }));
    assert.equal(big.status, 413);
    assert.equal((big.body as { error: { code: string } }).error.code, 'MW_BODY_TOO_LARGE');
  });

  it('parses forms as the http in node does, and answers a form nested past 32 levels as JSON', async () => {
    served = await serve();
    assert.equal((await send(served.base, 'name=Acme&tags[]=a', 'application/x-www-form-urlencoded')).status, 200);
    assert.deepEqual(served.reached, [{ name: 'Acme', tags: ['a'] }]);
    const deep = await send(served.base, `a${'[b]'.repeat(40)}=1`, 'application/x-www-form-urlencoded');
    assert.equal(deep.status, 400);
    assert.equal((deep.body as { error: { code: string } }).error.code, 'MW_INVALID_BODY');
    assert.equal(served.reached.length, 1);
  });

  it('leaves other content types and raw-body routes unread for the next parser', async () => {
    served = await serve();
    assert.equal((await send(served.base, nested(300), 'text/plain')).status, 200);
    assert.deepEqual(served.reached, [{ raw: nested(300) }]);
  });

  it('refuses a depth limit that is not a whole number of at least 1', () => {
    assert.throws(() => jsonBodyGuard({ maxDepth: 0 }), RangeError);
    assert.throws(() => jsonBodyGuard({ maxDepth: 2.5 }), RangeError);
  });
});
