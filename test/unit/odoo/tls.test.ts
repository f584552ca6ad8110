import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createOdooClient, OdooError } from '../../../nodes/lib/odoo';

/** A throw-away self-signed certificate, made with openssl at test time so no key lives in the repository. */
function selfSigned(): { key: string; cert: string } | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { cwd: dir, stdio: 'ignore' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('odoo client: TLS verification', () => {
  let server: https.Server | undefined;
  let url = '';

  before(async function () {
    const pair = selfSigned();
    if (!pair) {
      console.log('    (openssl not found: TLS tests skipped)');
      this.skip();
    }
    server = https.createServer(pair, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('42');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('refuses a self-signed certificate by default, as a non-retryable network error', async () => {
    const client = createOdooClient({ url, protocol: 'json2', apiKey: 'key', circuit: false });
    try {
      await assert.rejects(client.call('res.partner', 'search_count', { domain: [] }), (err: unknown) => {
        assert.ok(err instanceof OdooError);
        assert.equal(err.kind, 'network');
        assert.equal(err.retryable, false);
        assert.equal(err.outcomeUnknown, false);
        assert.match(err.message, /TLS check/);
        return true;
      });
    } finally {
      client.close();
    }
  });

  it('accepts it when rejectUnauthorized is false', async () => {
    const client = createOdooClient({ url, protocol: 'json2', apiKey: 'key', circuit: false, rejectUnauthorized: false });
    try {
      assert.equal(await client.call('res.partner', 'search_count', { domain: [] }), 42);
    } finally {
      client.close();
    }
  });
});
