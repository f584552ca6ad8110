/**
 * A small body nested far deeper than any business document, sent unauthenticated to every endpoint the shipped
 * flows open under `npm start`: each answers 400 with a JSON error, and the runtime keeps serving.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, getJson, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';

const SECRET = 'deep-json-test-secret';
const API_TOKEN = 'deep-json-test-token';

/** `[[[...]]]`: 2,000 levels are 4 KB. */
const deepBody = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('deep JSON on the shipped endpoints (npm start)', function () {
  this.timeout(90_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  const body = deepBody(2000);

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-deep-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({ userDir, port, env: { SHOP_WEBHOOK_SECRET: SECRET, API_TOKEN } });
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  // The body guard answers before any flow (and its token check) runs: the deep body needs no credential.
  // The webhook checks its signature before parsing anything, so the deep body comes signed there.
  const endpoints: Array<[string, Record<string, string>, string]> = [
    ['/api/partners', {}, 'MW_JSON_TOO_DEEP'],
    ['/api/orders', {}, 'MW_JSON_TOO_DEEP'],
    ['/hooks/shop-orders', { 'x-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, 'WEBHOOK_JSON_TOO_DEEP'],
  ];

  for (const [endpoint, headers, code] of endpoints) {
    it(`POST ${endpoint} answers 400 ${code} and the runtime stays up`, async function () {
      assert.ok(body.length <= 4096, `body is ${body.length} bytes`);
      const answer = await getJson(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      const error = (answer.body as { error: { code: string; message: string } }).error;
      assert.equal(error.code, code);
      assert.match(error.message, /deeper than 100/);
      // Give a crash inside a promise callback time to happen, then prove the process still serves.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(red?.child.exitCode, null, red?.output());
      const alive = await getJson(`${base}/api/partners`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(alive.status, 200);
    });
  }

  it('still accepts a document nested 100 levels deep on a core http in endpoint', async function () {
    const answer = await getJson(`${base}/api/partners`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body: deepBody(100) });
    // The flow refuses it as a partner, but for what it is, not for its depth.
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.notEqual((answer.body as { error?: { code?: string } }).error?.code, 'MW_JSON_TOO_DEEP', JSON.stringify(answer.body));
    assert.equal(red?.child.exitCode, null, red?.output());
  });
});
