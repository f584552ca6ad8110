/**
 * Node-RED settings for `npm start`. Compiled to dist/settings.js and passed to Node-RED with `-s`.
 * Everything environment-specific comes from the environment, so the file itself holds no secret.
 */
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import { jsonBodyGuard } from './nodes/lib/http';

const root = path.resolve(__dirname, '..');
const adminPassword = process.env.NODE_RED_ADMIN_PASSWORD;
const adminUser = process.env.NODE_RED_ADMIN_USER ?? 'admin';

if (!adminPassword) {
  console.warn(
    '[odoo-middleware] NODE_RED_ADMIN_PASSWORD is not set: the editor and admin API are open to anyone who can ' +
      'reach this port. Set it before exposing Node-RED beyond this machine.',
  );
}

export = {
  uiHost: process.env.HOST ?? '127.0.0.1',
  uiPort: Number(process.env.PORT ?? 1880),
  userDir: process.env.NODE_RED_USER_DIR ?? path.join(root, '.node-red'),
  // The flows under version control (NODE_RED_FLOW_FILE: another file); pretty-printed so diffs stay readable.
  flowFile: process.env.NODE_RED_FLOW_FILE ?? path.join(root, 'flows', 'flows.json'),
  flowFilePretty: true,
  // Unset, Node-RED generates a key into the user dir; set it to move credentials between machines.
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET,
  adminAuth: adminPassword
    ? {
        type: 'credentials',
        users: [{ username: adminUser, password: bcrypt.hashSync(adminPassword, 10), permissions: '*' }],
      }
    : undefined,
  // Core http in endpoints refuse JSON nested deeper than 100 levels (400) before a flow sees it. The editor
  // and the endpoints share "/", so the editor's parser reads every body first: the guard goes in front of it
  // too, so that broken JSON is answered as JSON rather than as an HTML page with a server stack trace.
  httpAdminMiddleware: jsonBodyGuard(),
  httpNodeMiddleware: jsonBodyGuard(),
  functionExternalModules: false,
  functionGlobalContext: {},
  contextStorage: {
    default: { module: 'localfilesystem' },
    memory: { module: 'memory' },
  },
  exportGlobalContextKeys: false,
  logging: { console: { level: process.env.NODE_RED_LOG_LEVEL ?? 'info', metrics: false, audit: false } },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  editorTheme: {
    projects: { enabled: false },
    tours: false,
    palette: { categories: ['odoo middleware', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
  },
};
