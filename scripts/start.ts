/**
 * `npm start`: Node-RED with this package's nodes and the flows in `flows/`.
 * With no ODOO_URL it first starts the Odoo sandbox on loopback and points the flows at it, so a newcomer sees
 * working flows at once. A webhook secret variable or API_TOKEN that is not set gets a generated demo value, and once
 * the flows run it prints a request for every shipped endpoint.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../sandbox';
import { API_TOKEN_VARIABLE, apiTokenMissing, describeEndpoints, missingSecretVariables, type FlowNode } from './endpoints';

const root = path.resolve(__dirname, '..', '..');
const userDir = process.env.NODE_RED_USER_DIR ?? path.join(root, '.node-red');

/** Node-RED loads packages from the user dir's node_modules; link this one there, as a developer install does. */
function linkPackage(): void {
  const modules = path.join(userDir, 'node_modules');
  const link = path.join(modules, 'node-red-contrib-odoo-middleware');
  fs.mkdirSync(modules, { recursive: true });
  if (fs.existsSync(link)) return;
  fs.symlinkSync(root, link, 'dir');
}

const log = (line: string): void => console.log(`[odoo-middleware] ${line}`);

/** The sandbox on the wanted port, or on a free one when that is taken (a local Odoo on 8069, typically). */
async function sandboxOn(port: number): Promise<Sandbox> {
  try {
    return await startSandbox({ port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const sandbox = await startSandbox({ port: 0 });
    log(`port ${port} is in use (a local Odoo?): the sandbox listens on port ${sandbox.port} instead (set SANDBOX_PORT to choose)`);
    return sandbox;
  }
}

function readFlows(): FlowNode[] {
  try {
    const flows: unknown = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'flows.json'), 'utf8'));
    return Array.isArray(flows) ? (flows as FlowNode[]) : [];
  } catch {
    // Node-RED reports a broken flow file itself.
    return [];
  }
}

async function main(): Promise<void> {
  let sandbox: Sandbox | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_RED_USER_DIR: userDir };
  const flows = readFlows();
  for (const name of missingSecretVariables(flows, env)) {
    env[name] = randomBytes(24).toString('hex');
    log(`${name} is not set: using the demo secret ${env[name]} for this run (set it to your shop's secret)`);
  }
  if (apiTokenMissing(flows, env)) {
    env[API_TOKEN_VARIABLE] = randomBytes(24).toString('hex');
    log(`${API_TOKEN_VARIABLE} is not set: using the demo token ${env[API_TOKEN_VARIABLE]} for this run (the REST facade and Orders endpoints want "Authorization: Bearer <token>")`);
  }
  if (!process.env.ODOO_URL) {
    const wanted = process.env.SANDBOX_PORT ?? '8069';
    const port = Number(wanted);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`[odoo-middleware] SANDBOX_PORT must be a port number (0-65535), got '${wanted}'`);
      process.exit(1);
    }
    sandbox = await sandboxOn(port);
    env.ODOO_URL = sandbox.url;
    env.ODOO_DB = SANDBOX_DEFAULTS.database;
    env.ODOO_LOGIN = SANDBOX_DEFAULTS.login;
    env.ODOO_API_KEY = SANDBOX_DEFAULTS.apiKey;
    env.ODOO_PASSWORD = SANDBOX_DEFAULTS.password;
    log(`no ODOO_URL set: Odoo sandbox listening on ${sandbox.url}`);
  }
  linkPackage();
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', path.join(root, 'dist', 'settings.js')], {
    env,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  // Node-RED's output passes through; once its flows run, the requests to try follow it.
  let told = false;
  red.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (told || !chunk.toString().includes('Started flows')) return;
    told = true;
    const base = `http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? 1880}`;
    const requests = describeEndpoints(flows, base, env);
    if (requests.length > 0) console.log(['', `[odoo-middleware] editor at ${base}/ ; the shipped endpoints:`, ...requests, ''].join('\n'));
  });
  const stop = (signal: NodeJS.Signals): void => {
    red.kill(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  red.on('exit', (code) => {
    void (sandbox?.close() ?? Promise.resolve()).then(() => process.exit(code ?? 0));
  });
}

main().catch((err: unknown) => {
  // One clear line; the stack of a start-up failure helps nobody running `npm start`.
  console.error(`[odoo-middleware] cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
