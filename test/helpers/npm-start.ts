/** `npm start`'s entry point (dist/scripts/start.js) as the end-to-end tests run it. */
import * as path from 'node:path';
import { startProcess, type RunningProcess } from './process';

const START_JS = path.resolve(__dirname, '..', '..', 'scripts', 'start.js');

/** Not set in a newcomer's shell: no Odoo configured (npm start starts the sandbox), no admin password. */
const NEWCOMER_UNSET = ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_PASSWORD', 'NODE_RED_ADMIN_PASSWORD'];

export interface NpmStartOptions {
  userDir: string;
  port: number;
  /** Set on top of the newcomer's environment (the sandbox on a free port). */
  env?: NodeJS.ProcessEnv;
  /** Further variables to leave unset. */
  unset?: string[];
  ready?: RegExp;
  timeoutMs?: number;
}

export function startNpmStart(options: NpmStartOptions): Promise<RunningProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(options.port), SANDBOX_PORT: '0', NODE_RED_USER_DIR: options.userDir };
  for (const name of [...NEWCOMER_UNSET, ...(options.unset ?? [])]) delete env[name];
  Object.assign(env, options.env);
  return startProcess(process.execPath, [START_JS], { env, ready: options.ready ?? /Started flows/, timeoutMs: options.timeoutMs ?? 60_000 });
}
