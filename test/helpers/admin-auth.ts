/**
 * A real Node-RED with adminAuth in a child process, for the admin endpoints our nodes add: the test helper's admin
 * app has no auth layer (its RED.auth lets every request through). Users `admin` (permissions `*`) and `viewer`
 * (`read`) share the password PASSWORD.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcess, type RunningProcess } from './process';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- bcryptjs ships with Node-RED (its adminAuth hashes), untyped here
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

export const PASSWORD = 'secret';

const distNodes = path.resolve(__dirname, '..', '..', 'nodes');
const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Embeds Node-RED as its docs describe (RED.init + httpAdmin on an express app) and prints the port. */
const RUNTIME_SCRIPT = `
const http = require('http');
const express = require('express');
const RED = require('node-red');
const settings = JSON.parse(process.env.NR_SETTINGS);
const app = express();
const server = http.createServer(app);
RED.init(server, settings);
app.use(settings.httpAdminRoot, RED.httpAdmin);
server.listen(0, '127.0.0.1', () => {
  RED.start().then(() => console.log('PORT ' + server.address().port), (err) => { console.error(err); process.exit(1); });
});
`;

export interface AdminAuthRed {
  /** The admin root, e.g. http://127.0.0.1:1880 */
  base: string;
  /** The user directory (removed by stop). */
  dir: string;
  /** An access token from /auth/token for `username` with `scope`. */
  tokenFor(username: 'admin' | 'viewer', scope: string): Promise<string>;
  stop(): Promise<void>;
}

export interface AdminAuthOptions {
  /** Prefix of the temporary user directory. */
  prefix: string;
  /** Built node types to load (nothing else is), linked from dist/nodes. */
  types: string[];
  /** The flows to start with, given the user directory. */
  flows?: (dir: string) => unknown[];
}

export async function startAdminAuthRed(options: AdminAuthOptions): Promise<AdminAuthRed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix));
  const nodesDir = path.join(dir, 'nodes');
  fs.mkdirSync(nodesDir);
  for (const type of options.types) {
    for (const file of [`${type}.js`, `${type}.html`]) fs.symlinkSync(path.join(distNodes, file), path.join(nodesDir, file));
  }
  if (options.flows) fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(options.flows(dir)));
  const hash = bcrypt.hashSync(PASSWORD, 8);
  const settings = {
    userDir: dir,
    flowFile: 'flows.json',
    nodesDir: [nodesDir],
    httpAdminRoot: '/',
    httpNodeRoot: false,
    credentialSecret: false,
    logging: { console: { level: 'off' } },
    adminAuth: {
      type: 'credentials',
      users: [
        { username: 'admin', password: hash, permissions: '*' },
        { username: 'viewer', password: hash, permissions: 'read' },
      ],
    },
  };
  let proc: RunningProcess;
  try {
    proc = await startProcess(process.execPath, ['-e', RUNTIME_SCRIPT], {
      cwd: repoRoot,
      env: { ...process.env, NR_SETTINGS: JSON.stringify(settings) },
      ready: /PORT \d+/,
      timeoutMs: 25_000,
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const base = `http://127.0.0.1:${/PORT (\d+)/.exec(proc.output())?.[1]}`;
  return {
    base,
    dir,
    async tokenFor(username, scope) {
      const res = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD }),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
