/**
 * `npm start`: Node-RED with this package's nodes and the flows in `flows/`.
 * With no ODOO_URL it first starts the Odoo sandbox on loopback and points the flows at it, so a newcomer sees
 * working flows at once.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../sandbox';

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

async function main(): Promise<void> {
  let sandbox: Sandbox | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_RED_USER_DIR: userDir };
  if (!process.env.ODOO_URL) {
    sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 8069) });
    env.ODOO_URL = sandbox.url;
    env.ODOO_DB = SANDBOX_DEFAULTS.database;
    env.ODOO_LOGIN = SANDBOX_DEFAULTS.login;
    env.ODOO_API_KEY = SANDBOX_DEFAULTS.apiKey;
    env.ODOO_PASSWORD = SANDBOX_DEFAULTS.password;
    console.log(`[odoo-middleware] no ODOO_URL set: Odoo sandbox listening on ${sandbox.url}`);
  }
  linkPackage();
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', path.join(root, 'dist', 'settings.js')], {
    env,
    stdio: 'inherit',
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
  console.error(err);
  process.exit(1);
});
